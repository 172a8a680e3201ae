"""Weight decay: the same large MLP on a few hundred digits with no penalty, L1 or L2.

Claim: without a penalty the network memorizes its small training set (including the
deliberately corrupted labels) and the train–validation gap is large; an L1 or L2 penalty
on the kernels shrinks the gap. L1 (a constant pull of size λ toward 0 for every weight)
drives many weights to (almost exactly) zero, a sparse model; L2 (a pull proportional to
w) shrinks every weight but leaves few of them at zero, and gives the smallest weight norm.

Keras' L2 is l2·Σw² (no ½), so its gradient is 2·l2·w; the textbook's ½λΣw² has gradient
λw. The decoupled weight decay of AdamW (x -= x·wd·lr inside the optimizer) is offered as
a fourth choice: with plain SGD it is the same as L2, with Adam it is not.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
from pydantic import Field, field_validator

from studykit.experiments._data import noisy_digits
from studykit.experiments._fit import divergence_warning, fit, frame
from studykit.experiments._measure import EVALUATION_COLUMNS, overfitting_scores
from studykit.experiments._models import build_mlp, compile_classifier, reuse, set_random_seed
from studykit.experiments.base import Curves, Experiment, Params, Progress, Result, distinct

REGULARIZERS = ("none", "l1", "l2", "decoupled")
RegularizerName = Literal[REGULARIZERS]  # type: ignore[valid-type]
NAMES = {
    "none": "규제 없음",
    "l1": "L1 규제",
    "l2": "L2 규제",
    "decoupled": "분리된 가중치 감쇠 (decoupled weight decay)",
}
SHORT_NAMES = {"none": "규제 없음", "l1": "L1", "l2": "L2", "decoupled": "분리된 가중치 감쇠"}
HISTOGRAM_BINS = 61  # odd, so that one bin is centred on 0


class WeightDecayParams(Params):
    regularizers: tuple[RegularizerName, ...] = Field(
        ("none", "l1", "l2"), min_length=1, max_length=4, title="규제 (regularizer)"
    )
    l1: float = Field(2e-3, ge=0.0, le=0.1, title="L1 계수 (l1·Σ|w|)")
    l2: float = Field(1e-2, ge=0.0, le=0.1, title="L2 계수 (l2·Σw², Keras 방식: ½ 없음)")
    weight_decay: float = Field(
        0.2, ge=0.0, le=10.0, title="분리된 가중치 감쇠 계수 (w -= w·wd·lr)"
    )
    optimizer: Literal["momentum", "adam"] = Field("momentum", title="옵티마이저 (optimizer)")
    learning_rate: float = Field(0.05, ge=1e-5, le=1.0, title="학습률 (learning rate)")
    n_train: int = Field(200, ge=50, le=1347, title="학습 데이터 수 (training samples)")
    label_noise: float = Field(
        0.1, ge=0.0, le=0.5, title="무작위로 바꾼 학습 레이블 비율 (label noise)"
    )
    width: int = Field(256, ge=16, le=1024, title="층당 뉴런 수 (width)")
    depth: int = Field(2, ge=1, le=5, title="은닉층 수 (depth)")
    epochs: int = Field(25, ge=1, le=200, title="에폭 (epochs)")
    batch_size: int = Field(40, ge=8, le=512, title="배치 크기 (batch size)")
    near_zero: float = Field(
        0.01, ge=1e-5, le=0.1, title="'0에 가까운' 가중치의 기준 |w| (near-zero threshold)"
    )
    seed: int = Field(0, ge=0, le=2**31 - 1, title="시드 (seed)")

    @field_validator("regularizers")
    @classmethod
    def _distinct(cls, value):
        return distinct(value, "regularizers")


def _kernels(model) -> np.ndarray:
    import keras

    return np.concatenate(
        [
            keras.ops.convert_to_numpy(layer.kernel).ravel()
            for layer in model.layers
            if getattr(layer, "kernel", None) is not None
        ]
    )


def _build(p: WeightDecayParams, name: str):

    from studykit import activations, regularizers

    factories = {
        "l1": lambda: regularizers.L1(p.l1),
        "l2": lambda: regularizers.L2(p.l2),
    }
    set_random_seed(p.seed)
    model = build_mlp(
        64,
        10,
        [p.width] * p.depth,
        seed=p.seed,
        regularizer=factories.get(name),
        output_activation=activations.softmax,
    )
    extra = {"weight_decay": p.weight_decay} if name == "decoupled" else {}
    compile_classifier(model, p.learning_rate, p.optimizer, **extra)
    if name == "decoupled":
        # Decay the kernels only, like the L1/L2 penalties (biases are not penalized).
        model.optimizer.exclude_from_weight_decay(var_names=["bias"])
    return reuse(model)


def _histogram(weights: dict[str, np.ndarray]) -> list[dict]:
    every = np.concatenate(list(weights.values()))
    limit = float(np.quantile(np.abs(every), 0.995)) or 1.0
    edges = np.linspace(-limit, limit, HISTOGRAM_BINS + 1)
    rows = []
    for name, values in weights.items():
        counts, _ = np.histogram(np.clip(values, -limit, limit), bins=edges)
        for count, start, end in zip(counts, edges[:-1], edges[1:], strict=True):
            rows.append(
                {
                    "regularizer": name,
                    "bin_start": float(start),
                    "bin_end": float(end),
                    "count": int(count),
                    "fraction": float(count / len(values)),
                }
            )
    return rows


def _summary(p: WeightDecayParams, f: dict[str, float]) -> str:
    def listing(metric, fmt):
        return ", ".join(f"{SHORT_NAMES[r]} {fmt(f[f'{metric}.{r}'])}" for r in p.regularizers)

    noise = f"(레이블 {p.label_noise:.0%}를 일부러 틀리게 바꿈)" if p.label_noise > 0 else ""
    return (
        f"학습 데이터 {p.n_train}개{noise}로 {p.epochs} 에폭 학습한 뒤 학습 정확도와 검증 "
        f"정확도의 격차(gap)는 {listing('gap', lambda v: f'{v * 100:.1f}%p')}였고, "
        f"|w| < {p.near_zero:g}인 가중치의 비율은 "
        f"{listing('near_zero_fraction', lambda v: f'{v:.1%}')}, 가중치 노름(L2 norm)은 "
        f"{listing('weight_norm', lambda v: f'{v:.1f}')} 수준으로 측정되었습니다."
    )


def run(p: WeightDecayParams, progress: Progress) -> Result:
    data, noisy, changed = noisy_digits(p.seed, p.n_train, p.label_noise)
    history, final_rows, warnings = [], [], []
    weights: dict[str, np.ndarray] = {}
    findings: dict[str, float] = {}
    for name, part in progress.parts(p.regularizers, NAMES.get):
        # The same MLP with each penalty, measured in inference mode every epoch.
        model = _build(p, name)
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
        warnings += divergence_warning(NAMES[name], fitted.guard)
        history += fitted.scores.rows(regularizer=name)
        weights[name] = _kernels(model)
        values = {
            **overfitting_scores(fitted.scores.records, model, data.x_train, noisy, changed),
            "weight_norm": float(np.linalg.norm(weights[name])),
            "near_zero_fraction": float(np.mean(np.abs(weights[name]) < p.near_zero)),
        }
        for metric, value in values.items():
            findings[f"{metric}.{name}"] = value
            final_rows.append({"regularizer": name, "metric": metric, "value": value})
    return Result(
        frames={
            "history": frame(history, ["regularizer", *EVALUATION_COLUMNS]),
            "final": frame(final_rows, ["regularizer", "metric", "value"]),
            "weights": frame(
                _histogram(weights), ["regularizer", "bin_start", "bin_end", "count", "fraction"]
            ),
        },
        findings=findings,
        summary=_summary(p, findings),
        warnings=warnings,
    )


METRIC_NAMES = {
    "train_accuracy": "학습 정확도",
    "val_accuracy": "검증 정확도",
    "gap": "격차 (학습 − 검증)",
    "memorized": "외워 버린 잘못된 레이블 비율",
    "near_zero_fraction": "0에 가까운 가중치 비율",
    "weight_norm": "가중치 노름 (L2 norm)",
}


def charts(result: Result) -> list:
    import altair as alt

    order = list(NAMES.values())
    weights = result.frames["weights"].assign(model=lambda d: d["regularizer"].map(NAMES))
    histogram = (
        alt.Chart(weights)
        .mark_bar()
        .encode(
            x=alt.X("bin_start:Q", title="가중치 값 w"),
            x2=alt.X2("bin_end:Q"),
            y=alt.Y("fraction:Q", title="비율", axis=alt.Axis(format="%")),
            color=alt.Color("model:N", title="규제", sort=order, legend=None),
            tooltip=[
                "model",
                alt.Tooltip("bin_start:Q", format=".3f"),
                alt.Tooltip("bin_end:Q", format=".3f"),
                "count",
                alt.Tooltip("fraction:Q", format=".1%"),
            ],
        )
        .properties(width=220, height=180)
        .facet(column=alt.Column("model:N", title=None, sort=order))
        .properties(title="학습이 끝난 뒤 가중치 분포 (모든 층의 커널)")
    )
    final = result.frames["final"].assign(
        model=lambda d: d["regularizer"].map(NAMES), metric=lambda d: d["metric"].map(METRIC_NAMES)
    )
    bars = (
        alt.Chart(final, title="마지막 에폭의 정확도, 격차와 가중치 통계")
        .mark_bar()
        .encode(
            x=alt.X("model:N", title=None, sort=order, axis=alt.Axis(labels=False, ticks=False)),
            y=alt.Y("value:Q", title=None),
            color=alt.Color("model:N", title="규제", sort=order),
            tooltip=["model", "metric", alt.Tooltip("value:Q", format=".3f")],
        )
        .properties(width=110, height=160)
        .facet(facet=alt.Facet("metric:N", title=None, sort=list(METRIC_NAMES.values())), columns=3)
        .resolve_scale(y="independent")
    )
    return [histogram, bars]


EXPERIMENT = Experiment(
    name="weight_decay",
    title="가중치 감쇠 (weight decay): 규제 없음 vs L1 vs L2",
    caption=(
        "학습 곡선에서 규제가 없을 때 학습 정확도가 100%까지 올라 검증 정확도와 크게 벌어지는지, "
        "L1·L2 규제를 주면 그 격차가 줄어드는지 보세요(과적합을 짧은 학습으로도 또렷하게 보이려고 "
        "학습 레이블의 일부를 일부러 틀리게 바꿨고, 규제 없는 모델은 그 틀린 레이블까지 외웁니다). "
        "가중치 분포에서는 L1 규제가 많은 가중치를 0에 몰아넣어 가운데에 뾰족한 막대를 "
        "만드는지(희소성, sparsity), L2 규제는 분포 전체를 0 쪽으로 좁히지만 정확히 0인 "
        "가중치는 적은지 비교하고, 막대 그래프에서 가중치 노름이 규제에 따라 얼마나 작아지는지 "
        "확인하세요."
    ),
    params=WeightDecayParams,
    presets={
        "default": {},
        "tiny": {
            "regularizers": ["none", "l1"],
            "n_train": 60,
            "width": 32,
            "depth": 1,
            "epochs": 2,
        },
        "strong_l2": {"regularizers": ["none", "l2"], "l2": 0.05},
        "adam_vs_adamw": {
            "regularizers": ["none", "l2", "decoupled"],
            "optimizer": "adam",
            "learning_rate": 1e-3,
            "weight_decay": 4.0,
        },
    },
    runner=run,
    charts=charts,
    findings={
        "near_zero_fraction": ("0에 가까운 가중치 비율", "%"),
        "weight_norm": ("가중치 노름 (L2 norm)", ""),
    },
    series=NAMES,
    curves=Curves(series="regularizer", names=NAMES, series_title="규제"),
)
