"""Dropout: a large MLP on a few hundred digits, without and with dropout.

Claim: without dropout the network memorizes its small training set (including the
labels that were deliberately corrupted), so the training accuracy runs far ahead of the
validation accuracy; with dropout the train–validation gap shrinks (learning is slower,
and far fewer wrong labels are memorized).

Demo: ``studykit.layers.Dropout`` is inverted dropout, as in Keras: in training each value
is zeroed with probability p and the survivors are multiplied by 1/(1 − p), so the mean of
many training-mode passes equals the input, and inference is the identity (two predict
calls give the same output). The textbook (Deep Learning from Scratch) keeps training
outputs unscaled and multiplies by (1 − p) at test time instead; both give the same
expectation.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
import pandas as pd
from pydantic import Field, field_validator

from studykit.experiments._data import noisy_digits
from studykit.experiments._fit import divergence_warning, fit, frame
from studykit.experiments._measure import (
    EVALUATION_COLUMNS,
    overfitting_scores,
    predict,
    traced_predict,
)
from studykit.experiments._models import build_mlp, compile_classifier, reuse, set_random_seed
from studykit.experiments.base import Curves, Experiment, Params, Progress, Result, distinct

RATES = (0.0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8)
Rate = Literal[RATES]  # type: ignore[valid-type]
DEMO_SAMPLES = 3  # training-mode passes shown individually
NETWORK_DEMO_ROWS = 200  # validation digits of the network demo (x 100 training-mode passes)
NETWORK_DEMO_CHUNK = 10  # training-mode passes per call


def key(rate: float) -> str:
    """Finding suffix of a rate: 0 -> "0", 0.2 -> "0.2"."""
    return f"{rate:g}"


def label(rate: float) -> str:
    return "드롭아웃 없음 (p = 0)" if rate == 0 else f"드롭아웃 p = {rate:g}"


def _as_float(value):
    try:
        return float(value) if not isinstance(value, bool) else value
    except (TypeError, ValueError):
        return value  # reported by the Literal check


class DropoutParams(Params):
    rates: tuple[Rate, ...] = Field(
        (0.0, 0.2, 0.5), min_length=1, max_length=5, title="드롭아웃 비율 p (dropout rate)"
    )
    n_train: int = Field(200, ge=50, le=1347, title="학습 데이터 수 (training samples)")
    label_noise: float = Field(
        0.1, ge=0.0, le=0.5, title="무작위로 바꾼 학습 레이블 비율 (label noise)"
    )
    width: int = Field(256, ge=16, le=1024, title="층당 뉴런 수 (width)")
    depth: int = Field(2, ge=1, le=6, title="은닉층 수 (depth)")
    epochs: int = Field(25, ge=1, le=200, title="에폭 (epochs)")
    batch_size: int = Field(40, ge=8, le=512, title="배치 크기 (batch size)")
    learning_rate: float = Field(1e-3, ge=1e-5, le=0.1, title="학습률 (learning rate, Adam)")
    demo_rate: float = Field(0.5, ge=0.05, le=0.9, title="시연용 드롭아웃 비율 p")
    demo_passes: int = Field(
        1000, ge=10, le=5000, title="시연: 학습 모드로 통과시키는 횟수 (passes)"
    )
    seed: int = Field(0, ge=0, le=2**31 - 1, title="시드 (seed)")

    @field_validator("rates", mode="before")
    @classmethod
    def _numbers(cls, value):
        # The CLI passes "0,0.5" as strings, YAML may give ints: compare as floats.
        if isinstance(value, list | tuple):
            return tuple(_as_float(v) for v in value)
        return value

    @field_validator("rates")
    @classmethod
    def _distinct(cls, value):
        return tuple(sorted(distinct(value, "rates")))


def _train(p: DropoutParams, data, noisy, rate: float, progress: Progress):
    """The same MLP with dropout ``rate``, Adam, measured in inference mode every epoch."""

    from studykit import activations

    set_random_seed(p.seed)
    model = build_mlp(
        64,
        10,
        [p.width] * p.depth,
        seed=p.seed,
        dropout=rate,
        output_activation=activations.softmax,
    )
    model = reuse(compile_classifier(model, p.learning_rate))
    fitted = fit(
        model,
        data.x_train,
        noisy,
        epochs=p.epochs,
        batch_size=p.batch_size,
        seed=p.seed,
        measure=data.sets(noisy),
        progress=progress,
    )
    return model, fitted


def _layer_demo(p: DropoutParams, image: np.ndarray):
    """One digit through studykit's Dropout: many training passes vs inference."""
    import keras

    from studykit import layers

    drop = layers.Dropout(p.demo_rate, seed=p.seed)
    batch = np.repeat(image[None, :], p.demo_passes, axis=0)
    train = keras.ops.convert_to_numpy(drop(batch, training=True))
    inference = keras.ops.convert_to_numpy(drop(image[None, :], training=False))[0]
    keep = 1.0 - p.demo_rate
    # The textbook's dropout: the same masks without scaling; inference multiplies by 1 - p.
    book_train = np.where(train > 0, batch, 0.0)
    book_inference = image * keep
    lit = image > 0
    kept = train[:, lit] > 0
    survivors = train[:, lit][kept] / batch[:, lit][kept]
    mean = train.mean(axis=0)
    findings = {
        "demo.kept_scale": float(np.median(survivors)) if survivors.size else float("nan"),
        "demo.kept_fraction": float(kept.mean()),
        "demo.mean_relative_error": float(
            np.abs(mean[lit] - image[lit]).mean() / image[lit].mean()
        ),
        "demo.inference_max_diff": float(np.abs(inference - image).max()),
        "demo.book_mean_over_inference": float(
            book_train[:, lit].mean() / book_inference[lit].mean()
        ),
    }
    views = {"original": image}
    for index in range(DEMO_SAMPLES):
        views[f"train_{index + 1}"] = train[index]
    views["train_mean"] = mean
    views["inference"] = inference
    views["book_train_1"] = book_train[0]
    views["book_inference"] = book_inference
    image_rows = [
        {"view": view, "row": i // 8, "col": i % 8, "value": float(v)}
        for view, values in views.items()
        for i, v in enumerate(values)
    ]
    value_rows = [
        {
            "pass": index + 1,
            "unit": int(u),
            "input": float(image[u]),
            "output": float(train[index, u]),
        }
        for index in range(DEMO_SAMPLES)
        for u in np.flatnonzero(lit)
    ]
    return findings, image_rows, value_rows


def _network_demo(model, x: np.ndarray, passes: int = 100) -> dict[str, float]:
    """Inference is deterministic; the mean of training-mode passes is close to it.

    The passes go through the model ``NETWORK_DEMO_CHUNK`` at a time, in a traced call: all
    100 at once (20,000 rows through layers 256 wide) made TensorFlow's allocator keep about
    170 MB for good.
    """
    first, second = predict(model, x), predict(model, x)
    chunk = np.tile(x, (NETWORK_DEMO_CHUNK, 1))
    stacked = np.concatenate(
        [
            traced_predict(
                model, chunk[: len(x) * min(NETWORK_DEMO_CHUNK, passes - done)], training=True
            )
            for done in range(0, passes, NETWORK_DEMO_CHUNK)
        ]
    )
    stacked = stacked.reshape(passes, len(x), -1)
    mean = stacked.mean(axis=0)
    return {
        "network.repeat_predict_max_diff": float(np.abs(first - second).max()),
        "network.train_mode_std": float(stacked.std(axis=0).mean()),
        "network.mc_mean_abs_diff": float(np.abs(mean - first).mean()),
        "network.mc_agreement": float(np.mean(mean.argmax(1) == first.argmax(1))),
    }


def _pp(value: float) -> str:
    return f"{value * 100:.1f}%p"


def _summary(p: DropoutParams, f: dict[str, float]) -> str:
    gaps = ", ".join(f"p = {key(r)}에서 {_pp(f[f'gap.{key(r)}'])}" for r in p.rates)
    noise = f"(레이블 {p.label_noise:.0%}를 일부러 틀리게 바꿈)" if p.label_noise > 0 else ""
    return (
        f"학습 데이터 {p.n_train}개{noise}로 {p.epochs} 에폭 학습한 뒤 학습 정확도와 검증 "
        f"정확도의 격차(gap)는 {gaps}였고, 학습 모드에서 살아남은 값은 원래 값의 "
        f"{f['demo.kept_scale']:.2f}배(= 1/(1 − {p.demo_rate:g}))로 커졌으며 {p.demo_passes}번 "
        f"통과시킨 평균은 원래 값과 평균 {f['demo.mean_relative_error']:.1%}만 달랐고, 추론 "
        f"모드(inference)에서 두 번 예측한 출력의 최대 차이는 "
        f"{f['network.repeat_predict_max_diff']:g}에 불과했습니다."
    )


def run(p: DropoutParams, progress: Progress) -> Result:
    data, noisy, changed = noisy_digits(p.seed, p.n_train, p.label_noise)
    history, final_rows, warnings = [], [], []
    findings: dict[str, float] = {}
    model = None
    # 1. The same MLP once per dropout rate, on labels of which a share is wrong.
    for rate, part in progress.parts(p.rates, label, within=(0.0, 0.9)):
        model, fitted = _train(p, data, noisy, rate, part)
        history += fitted.scores.rows(rate=rate)
        values = overfitting_scores(fitted.scores.records, model, data.x_train, noisy, changed)
        for name, value in values.items():
            findings[f"{name}.{key(rate)}"] = value
            final_rows.append({"rate": rate, "metric": name, "value": value})
        warnings += divergence_warning(label(rate), fitted.guard)
    progress(0.92, "드롭아웃 층 시연")
    layer_findings, image_rows, value_rows = _layer_demo(p, data.x_val[0])
    findings.update(layer_findings)
    # The model with the largest rate (the last one: rates are sorted).
    findings.update(_network_demo(model, data.x_val[:NETWORK_DEMO_ROWS]))
    return Result(
        frames={
            "history": frame(history, ["rate", *EVALUATION_COLUMNS]),
            "final": frame(final_rows, ["rate", "metric", "value"]),
            "demo_image": frame(image_rows, ["view", "row", "col", "value"]),
            "demo_values": frame(value_rows, ["pass", "unit", "input", "output"]),
        },
        findings=findings,
        summary=_summary(p, findings),
        warnings=warnings,
    )


VIEW_NAMES = {
    "original": "원본 입력",
    "train_1": "학습 모드 1회",
    "train_2": "학습 모드 2회",
    "train_3": "학습 모드 3회",
    "train_mean": "학습 모드 평균",
    "inference": "추론 모드 (Keras)",
    "book_train_1": "교재 방식 학습 1회 (배율 없음)",
    "book_inference": "교재 방식 추론 (×(1 − p))",
}
METRIC_NAMES = {
    "train_accuracy": "학습 정확도",
    "val_accuracy": "검증 정확도",
    "gap": "격차 (학습 − 검증)",
    "memorized": "외워 버린 잘못된 레이블 비율",
}


def charts(result: Result) -> list:
    import altair as alt

    final = result.frames["final"].assign(
        model=lambda d: d["rate"].map(label), metric=lambda d: d["metric"].map(METRIC_NAMES)
    )
    bars = (
        alt.Chart(final, title="마지막 에폭의 정확도와 격차")
        .mark_bar()
        .encode(
            x=alt.X("model:N", title=None, sort=list(map(label, RATES))),
            y=alt.Y("value:Q", title="값"),
            color=alt.Color("model:N", title="모델", sort=list(map(label, RATES))),
            column=alt.Column("metric:N", title=None, sort=list(METRIC_NAMES.values())),
            tooltip=["model", "metric", alt.Tooltip("value:Q", format=".3f")],
        )
        .properties(width=140, height=180)
    )
    rate = result.params["demo_rate"]
    images = result.frames["demo_image"].assign(view=lambda d: d["view"].map(VIEW_NAMES))
    grid = (
        alt.Chart(images)
        .mark_rect()
        .encode(
            x=alt.X("col:O", title=None, axis=None),
            y=alt.Y("row:O", title=None, axis=None),
            color=alt.Color(
                "value:Q",
                title="값",
                scale=alt.Scale(scheme="greys", domain=[0, 1 / (1 - rate)]),
            ),
            tooltip=["view", "row", "col", alt.Tooltip("value:Q", format=".3f")],
        )
        .properties(width=90, height=90)
        .facet(
            facet=alt.Facet("view:N", title=None, sort=list(VIEW_NAMES.values())),
            columns=4,
        )
        .properties(title=f"숫자 이미지 한 장에 드롭아웃 p = {rate:g} 적용")
    )
    values = result.frames["demo_values"]
    top = float(values["input"].max()) if len(values) else 1.0
    line = pd_line(top, rate)
    scatter = (
        alt.Chart(values, title="학습 모드 출력 vs 입력 (살아남은 값은 1/(1 − p)배, 꺼진 값은 0)")
        .mark_circle(size=40, opacity=0.6)
        .encode(
            x=alt.X("input:Q", title="입력값"),
            y=alt.Y("output:Q", title="학습 모드 출력"),
            color=alt.Color("pass:N", title="통과 번호"),
            tooltip=["pass", "unit", "input", "output"],
        )
    )
    guide = (
        alt.Chart(line)
        .mark_line(strokeDash=[4, 4], color="gray")
        .encode(x="input:Q", y="output:Q", detail="line:N")
    )
    return [bars, grid, scatter + guide]


def pd_line(top: float, rate: float):
    """Guide lines y = x/(1 - p) and y = x for the scatter chart."""
    scale = 1 / (1 - rate)
    return pd.DataFrame(
        {
            "line": ["1/(1 − p)", "1/(1 − p)", "y = x", "y = x"],
            "input": [0.0, top, 0.0, top],
            "output": [0.0, top * scale, 0.0, top],
        }
    )


EXPERIMENT = Experiment(
    name="dropout",
    title="드롭아웃 (dropout): 작은 데이터에서 과적합 줄이기",
    caption=(
        "학습 곡선에서 드롭아웃이 없을 때 학습 정확도가 100%에 가까워지며 검증 정확도와 크게 "
        "벌어지는지, 드롭아웃 비율을 높이면 학습 정확도는 천천히 오르지만 두 곡선의 격차가 "
        "줄어드는지 보세요. 과적합을 짧은 학습으로도 또렷하게 보이려고 학습 레이블의 일부를 "
        "일부러 틀리게 바꿨으므로, 드롭아웃 없는 모델이 그 틀린 레이블까지 외우는지(막대 "
        "그래프의 '외워 버린 잘못된 레이블 비율')도 비교하세요. 아래 그림에서는 학습 모드에서 꺼진 "
        "픽셀은 0이 되고 살아남은 픽셀은 1/(1 − p)배로 밝아지는 것(Keras의 역 드롭아웃, inverted "
        "dropout), 여러 번 통과시킨 평균이 추론 모드 출력(= 원본)과 같아지는 것, 교재 방식은 학습 "
        "때 배율 없이 끄고 추론 때 (1 − p)를 곱한다는 점을 확인하세요."
    ),
    params=DropoutParams,
    presets={
        "default": {},
        "tiny": {
            "rates": [0.0, 0.5],
            "n_train": 60,
            "width": 32,
            "depth": 1,
            "epochs": 2,
            "demo_passes": 20,
        },
        "clean_labels": {"label_noise": 0.0},
        "book": {"rates": [0.0, 0.2], "n_train": 300, "width": 100, "depth": 6, "epochs": 60},
    },
    runner=run,
    charts=charts,
    findings={
        "demo.kept_scale": ("시연: 살아남은 값의 배율", "x"),
        "demo.kept_fraction": ("시연: 살아남은 값의 비율", "%"),
        "demo.mean_relative_error": ("시연: 여러 번 통과한 평균과 원래 값의 상대 오차", "%"),
        "demo.inference_max_diff": ("시연: 추론 모드 출력과 입력의 최대 차이", ""),
        "demo.book_mean_over_inference": ("교재 방식: 학습 평균 ÷ 추론 출력", "x"),
        "network.repeat_predict_max_diff": ("추론 모드로 두 번 예측한 출력의 최대 차이", ""),
        "network.train_mode_std": ("학습 모드 출력의 표준편차 (평균)", ""),
        "network.mc_mean_abs_diff": ("학습 모드 평균 출력과 추론 출력의 차이", ""),
        "network.mc_agreement": ("학습 모드 평균과 추론의 예측 일치율", "%"),
    },
    series={key(r): label(r) for r in RATES},
    curves=Curves(series="rate", names={key(r): label(r) for r in RATES}, series_title="드롭아웃"),
)
