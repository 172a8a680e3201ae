"""Model capacity: small, medium and large MLPs on the same few hundred digits.

Claim: on small data a large network drives its training loss to ~0 (it even memorizes
the deliberately corrupted labels), while its validation loss reaches a minimum after a
few epochs and then rises: the overfitting curve, and the epoch early stopping would pick.
A small network keeps training and validation close together (small gap) but may underfit
(lower accuracy): capacity has to match the data.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
import pandas as pd
from pydantic import Field, field_validator

from studykit.experiments._data import noisy_digits
from studykit.experiments._fit import divergence_warning, fit, frame
from studykit.experiments._labels import SPLIT_NAMES
from studykit.experiments._measure import EVALUATION_COLUMNS, curve, final, overfitting_scores
from studykit.experiments._models import build_mlp, compile_classifier, reuse, set_random_seed
from studykit.experiments.base import Curves, Experiment, Params, Progress, Result, distinct

SIZES = ("small", "medium", "large")
SizeName = Literal[SIZES]  # type: ignore[valid-type]


class CapacityParams(Params):
    sizes: tuple[SizeName, ...] = Field(
        SIZES, min_length=1, max_length=3, title="모델 크기 (small / medium / large)"
    )
    small_width: int = Field(8, ge=1, le=64, title="작은 모델: 은닉층 1개의 뉴런 수")
    medium_width: int = Field(32, ge=4, le=256, title="중간 모델: 은닉층 1개의 뉴런 수")
    large_width: int = Field(512, ge=16, le=1024, title="큰 모델: 은닉층마다의 뉴런 수")
    large_depth: int = Field(2, ge=1, le=5, title="큰 모델: 은닉층 수")
    n_train: int = Field(200, ge=50, le=1347, title="학습 데이터 수 (training samples)")
    label_noise: float = Field(
        0.1, ge=0.0, le=0.5, title="무작위로 바꾼 학습 레이블 비율 (label noise)"
    )
    epochs: int = Field(25, ge=2, le=200, title="에폭 (epochs)")
    batch_size: int = Field(50, ge=8, le=512, title="배치 크기 (batch size)")
    learning_rate: float = Field(0.01, ge=1e-5, le=0.1, title="학습률 (learning rate, Adam)")
    seed: int = Field(0, ge=0, le=2**31 - 1, title="시드 (seed)")

    @field_validator("sizes")
    @classmethod
    def _distinct(cls, value):
        chosen = distinct(value, "sizes")
        return tuple(s for s in SIZES if s in chosen)  # in the order of SIZES


def hidden_layers(p: CapacityParams, size: str) -> list[int]:
    return {
        "small": [p.small_width],
        "medium": [p.medium_width],
        "large": [p.large_width] * p.large_depth,
    }[size]


def size_label(p: dict, size: str) -> str:
    widths = {
        "small": f"은닉층 1개 × {p['small_width']}",
        "medium": f"은닉층 1개 × {p['medium_width']}",
        "large": f"은닉층 {p['large_depth']}개 × {p['large_width']}",
    }
    korean = {"small": "작은 모델", "medium": "중간 모델", "large": "큰 모델"}
    return f"{korean[size]} ({widths[size]})"


def _summary(p: CapacityParams, f: dict[str, float]) -> str:
    noise = f"(레이블 {p.label_noise:.0%}를 일부러 틀리게 바꿈)" if p.label_noise > 0 else ""
    korean = {"small": "작은 모델", "medium": "중간 모델", "large": "큰 모델"}
    gaps = ", ".join(f"{korean[s]} {f[f'gap.{s}'] * 100:.1f}%p" for s in p.sizes)
    biggest = p.sizes[-1]
    best = f[f"best_val_epoch.{biggest}"]
    if f[f"val_loss_rise.{biggest}"] > 0:
        curve = (
            f"{best:.0f}번째 에폭에서 가장 낮은 값({f[f'min_val_loss.{biggest}']:.3f})을 찍은 뒤 "
            f"마지막 에폭에는 {f[f'final_val_loss.{biggest}']:.3f}까지 다시 올라갔습니다"
        )
    else:
        curve = f"마지막 에폭까지 계속 내려가 {f[f'final_val_loss.{biggest}']:.3f}에 이르렀습니다"
    return (
        f"학습 데이터 {p.n_train}개{noise}로 {p.epochs} 에폭 학습한 뒤 학습 정확도와 검증 "
        f"정확도의 격차(gap)는 {gaps}였고, {korean[biggest]}의 검증 손실(validation loss)은 "
        f"{curve}(같은 때 학습 손실: {f[f'final_train_loss.{biggest}']:.3f})."
    )


def run(p: CapacityParams, progress: Progress) -> Result:

    from studykit import activations

    data, noisy, changed = noisy_digits(p.seed, p.n_train, p.label_noise)
    history, final_rows, warnings = [], [], []
    findings: dict[str, float] = {}
    for size, part in progress.parts(p.sizes, lambda size: size_label(p.as_dict(), size)):
        # One MLP per size, the same data, Adam, measured in inference mode every epoch.
        set_random_seed(p.seed)
        model = build_mlp(
            64, 10, hidden_layers(p, size), seed=p.seed, output_activation=activations.softmax
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
            progress=part,
        )
        warnings += divergence_warning(part.label, fitted.guard)
        history += fitted.scores.rows(size=size)
        records = fitted.scores.records
        val_loss = np.array(curve(records, "validation", "loss"))
        val_accuracy = curve(records, "validation", "accuracy")
        best = int(np.nanargmin(val_loss)) if np.isfinite(val_loss).any() else 0
        values = {
            "params": float(model.count_params()),
            **overfitting_scores(records, model, data.x_train, noisy, changed),
            "final_train_loss": final(records, "train", "loss"),
            "final_val_loss": float(val_loss[-1]),
            "min_val_loss": float(val_loss[best]),
            "best_val_epoch": float(best),
            "val_loss_rise": float(val_loss[-1] - val_loss[best]),
            "early_stop_val_accuracy": float(val_accuracy[best]),
        }
        for metric, value in values.items():
            findings[f"{metric}.{size}"] = value
            final_rows.append({"size": size, "metric": metric, "value": value})
    return Result(
        frames={
            "history": frame(history, ["size", *EVALUATION_COLUMNS]),
            "final": frame(final_rows, ["size", "metric", "value"]),
        },
        findings=findings,
        summary=_summary(p, findings),
        warnings=warnings,
    )


def charts(result: Result) -> list:
    import altair as alt

    params = result.params
    names = {size: size_label(params, size) for size in SIZES}
    order = [names[s] for s in SIZES]
    history = result.frames["history"].assign(
        model=lambda d: d["size"].map(names), split=lambda d: d["split"].map(SPLIT_NAMES)
    )
    final = result.frames["final"]
    loss = (
        alt.layer(
            alt.Chart()
            .mark_line()
            .encode(
                x=alt.X("epoch:Q", title="에폭 (epoch)"),
                y=alt.Y("value:Q", title="손실 (cross-entropy)"),
                color=alt.Color("split:N", title="데이터"),
                tooltip=["model", "split", "epoch", alt.Tooltip("value:Q", format=".3f")],
            )
            .transform_filter(alt.datum.metric == "loss"),
            alt.Chart()
            .mark_rule(strokeDash=[4, 4], color="gray")
            .encode(x="epoch:Q")
            .transform_filter(
                (alt.datum.metric == "loss") & (alt.datum.split == "검증") & alt.datum.is_best
            ),
            data=history.assign(is_best=_is_best(history)),
        )
        .properties(width=220, height=190)
        .facet(column=alt.Column("model:N", title=None, sort=order))
        .properties(title="학습·검증 손실 곡선 (점선: 검증 손실이 가장 낮은 에폭 = 조기 종료 시점)")
    )
    accuracy = (
        alt.Chart(history[history.metric == "accuracy"])
        .mark_line()
        .encode(
            x=alt.X("epoch:Q", title="에폭 (epoch)"),
            y=alt.Y("value:Q", title="정확도 (accuracy)", scale=alt.Scale(domain=[0, 1])),
            color=alt.Color("split:N", title="데이터"),
            tooltip=["model", "split", "epoch", alt.Tooltip("value:Q", format=".3f")],
        )
        .properties(width=220, height=190)
        .facet(column=alt.Column("model:N", title=None, sort=order))
        .properties(title="학습·검증 정확도 곡선")
    )
    summary = final[final.metric.isin(["train_accuracy", "val_accuracy"])].assign(
        model=lambda d: d["size"].map(names),
        metric=lambda d: d["metric"].map(
            {"train_accuracy": "학습 정확도", "val_accuracy": "검증 정확도"}
        ),
    )
    bars = (
        alt.Chart(summary, title="모델 크기별 마지막 에폭의 학습·검증 정확도")
        .mark_bar()
        .encode(
            x=alt.X("metric:N", title=None),
            y=alt.Y("value:Q", title="정확도", scale=alt.Scale(domain=[0, 1])),
            color=alt.Color("metric:N", title=None),
            column=alt.Column("model:N", title=None, sort=order),
            tooltip=["model", "metric", alt.Tooltip("value:Q", format=".3f")],
        )
        .properties(width=120, height=180)
    )
    return [loss, accuracy, bars]


def _is_best(history: pd.DataFrame) -> pd.Series:
    """True on the validation-loss row of each model's lowest validation loss."""
    flags = pd.Series(False, index=history.index)
    val = history[(history.metric == "loss") & (history.split == "검증")]
    for _, group in val.groupby("model"):
        flags[group["value"].idxmin()] = True
    return flags


EXPERIMENT = Experiment(
    name="capacity",
    title="모델 용량 (capacity)과 과적합 (overfitting): 작은 모델 vs 큰 모델",
    caption=(
        "손실 곡선에서 큰 모델은 학습 손실이 0에 가깝게 계속 내려가는데 검증 손실은 몇 에폭 만에 "
        "최소(점선)를 찍고 다시 올라가는지, 즉 두 곡선이 어느 에폭부터 벌어지는지 보세요. 점선이 "
        "조기 종료 (early stopping)가 고를 에폭이고, 그 뒤로 학습을 계속하면 검증 손실이 얼마나 "
        "나빠지는지도 확인하세요. 작은 모델은 학습·검증 곡선이 붙어 있어 격차가 가장 작지만 "
        "정확도 자체가 낮을 수 있습니다(과소적합, underfitting). 과적합을 짧은 학습으로도 또렷하게 "
        "보이려고 학습 레이블의 일부를 일부러 틀리게 바꿨습니다."
    ),
    params=CapacityParams,
    presets={
        "default": {},
        "tiny": {
            "sizes": ["small", "large"],
            "n_train": 60,
            "large_width": 32,
            "large_depth": 1,
            "epochs": 2,
        },
        "clean_labels": {"label_noise": 0.0},
        "long": {"epochs": 60},
    },
    runner=run,
    charts=charts,
    findings={
        "best_val_epoch": ("검증 손실이 가장 낮은 에폭", "epochs"),
        "early_stop_val_accuracy": ("조기 종료 시점의 검증 정확도", "%"),
        "val_loss_rise": ("최저점 이후 검증 손실 상승폭", ""),
    },
    series={"small": "작은 모델", "medium": "중간 모델", "large": "큰 모델"},
    curves=Curves(
        series="size", names={s: s for s in SIZES}, series_title="모델 크기", shared=False
    ),
)
