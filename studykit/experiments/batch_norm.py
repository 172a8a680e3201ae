"""Batch normalization: training with and without BN across initial weight scales.

Setup (Deep Learning from Scratch §6.3.2, scaled down to digits and a few seconds): 1,000
training images, a 64-[64×5]-10 ReLU MLP whose every kernel (output layer included) starts
from N(0, w²) for several weight scales w = logspace(0, -4), plain SGD; "with BN" puts
``studykit.layers.BatchNormalization`` between each hidden Dense layer and its ReLU (the
book's Affine → BatchNorm → ReLU). The book uses 784 inputs, 100 units, 20 epochs, SGD 0.01
and 16 scales; this keeps batch 100 but uses a high learning rate (0.2), 5 epochs and
5 scales so that it runs in seconds. BN uses the book's momentum 0.9 and epsilon 1e-7:
with Keras' epsilon 1e-3 the variance of the pre-activations at the smallest scales
(~1e-8) would drown in epsilon and BN could not rescale them.

Claim: without BN only a narrow band of scales learns at all (too large: the activations
explode and the softmax saturates; too small: the signal vanishes layer by layer), while with
BN every layer's pre-activations are re-standardized per batch, so the network trains over
a far wider range of scales (the book: at w = 0.0136, 0.116 accuracy without vs 1.0 with).
The activation histograms at initialization show why.
"""

from __future__ import annotations

import math

import numpy as np
from pydantic import Field

from studykit.experiments._fit import divergence_warning, fit, frame
from studykit.experiments._measure import (
    EVALUATION_COLUMNS,
    curve,
    final,
    first_epoch_reaching,
)
from studykit.experiments._models import restart, reuse, set_random_seed
from studykit.experiments.base import Experiment, Params, Progress, Result

MODELS = ("plain", "batch_norm")
KOREAN_NAMES = {"plain": "BN 없음", "batch_norm": "BN 사용 (batch normalization)"}


class BatchNormParams(Params):
    n_scales: int = Field(5, ge=2, le=16, title="가중치 스케일 개수 (logspace(0, -4) 구간을 나눔)")
    depth: int = Field(5, ge=1, le=10, title="은닉층 수 (hidden layers)")
    width: int = Field(64, ge=8, le=256, title="층당 뉴런 수 (width)")
    train_samples: int = Field(1000, ge=100, le=1347, title="학습 데이터 수 (train samples)")
    learning_rate: float = Field(0.2, ge=1e-4, le=2.0, title="학습률 (learning rate, SGD)")
    epochs: int = Field(5, ge=1, le=50, title="에폭 (epochs)")
    batch_size: int = Field(100, ge=8, le=512, title="배치 크기 (batch size)")
    target_accuracy: float = Field(0.5, ge=0.15, le=1.0, title="목표 검증 정확도 (target)")
    bins: int = Field(20, ge=5, le=100, title="히스토그램 구간 수 (bins)")
    seed: int = Field(0, ge=0, le=2**31 - 1, title="시드 (seed)")


def _scale_label(scale: float) -> str:
    return f"{scale:.2g}"


def _build(p: BatchNormParams, with_bn: bool):
    import keras

    from studykit import activations, layers, optimizers

    stack = [keras.Input((64,))]
    for index in range(1, p.depth + 1):
        stack.append(keras.layers.Dense(p.width, name=f"dense_{index}"))
        if with_bn:
            stack.append(layers.BatchNormalization(momentum=0.9, epsilon=1e-7, name=f"bn_{index}"))
        stack.append(keras.layers.Activation(activations.relu, name=f"relu_{index}"))
    stack.append(keras.layers.Dense(10, activation=activations.softmax, name="output"))
    model = keras.Sequential(stack)
    model.compile(
        optimizer=optimizers.SGD(p.learning_rate),
        loss="sparse_categorical_crossentropy",
        jit_compile=False,
    )
    model = reuse(model)
    relus = [layer for layer in model.layers if layer.name.startswith("relu_")]
    probe = keras.Model(model.inputs[0], [layer.output for layer in relus])
    return model, probe


def _weights(model, base: list[np.ndarray], scale: float, seed: int) -> list[np.ndarray]:
    """``base`` with every Dense kernel redrawn from N(0, scale²) (same seeds for both nets)."""
    import keras

    from studykit import initializers

    kernels = {}
    dense = [layer for layer in model.layers if isinstance(layer, keras.layers.Dense)]
    for index, layer in enumerate(dense):
        draw = initializers.RandomNormal(stddev=float(scale), seed=seed + index)
        kernels[id(layer.kernel)] = keras.ops.convert_to_numpy(draw(tuple(layer.kernel.shape)))
    return [kernels.get(id(v), value) for v, value in zip(model.weights, base, strict=True)]


def _activation_rows(probe, x, labels: dict, bins: int):
    """Per-layer ReLU output statistics and histograms on a probe batch (training mode: BN
    normalizes with the batch's own statistics, as it does during training)."""
    import keras

    outputs = probe(x, training=True)
    outputs = outputs if isinstance(outputs, list | tuple) else [outputs]
    stats, histograms = [], []
    for layer, out in enumerate(outputs, start=1):
        values = keras.ops.convert_to_numpy(out).astype("float64").ravel()
        stats.append(
            {
                **labels,
                "layer": layer,
                "mean": float(values.mean()),
                "std": float(values.std()),
                "zero_fraction": float(np.mean(values <= 0.0)),
            }
        )
        high = float(values.max())
        counts, edges = np.histogram(values, bins=bins, range=(0.0, high if high > 0 else 1.0))
        for count, start, end in zip(counts, edges[:-1], edges[1:], strict=True):
            histograms.append(
                {
                    **labels,
                    "layer": layer,
                    "bin_start": float(start),
                    "bin_end": float(end),
                    "count": int(count),
                }
            )
    return stats, histograms


def _summary(p: BatchNormParams, findings: dict[str, float], scales: np.ndarray) -> str:
    return (
        f"가중치 초기 스케일 {len(scales)}가지({_scale_label(scales[0])} ~ "
        f"{_scale_label(scales[-1])}) 중 {p.epochs} 에폭 안에 검증 정확도 "
        f"{p.target_accuracy:.0%}에 도달한 것은 BN 없이 "
        f"{findings['scales_reaching_target.plain']:.0f}가지, BN을 쓰면 "
        f"{findings['scales_reaching_target.batch_norm']:.0f}가지였고, 스케일별 최종 검증 "
        f"정확도의 평균은 BN 없이 {findings['mean_final_accuracy.plain']:.1%}, BN 사용 시 "
        f"{findings['mean_final_accuracy.batch_norm']:.1%}였습니다."
    )


def run(p: BatchNormParams, progress: Progress) -> Result:

    from studykit import datasets

    data = datasets.digits(seed=p.seed, n_train=p.train_samples)
    scales = np.logspace(0, -4, p.n_scales)
    x_probe = data.x_train[: min(200, len(data.x_train))]
    history, runs, stats, histograms, findings, warnings = [], [], [], [], {}, []
    total = len(MODELS) * len(scales)
    for m_index, name in enumerate(MODELS):
        set_random_seed(p.seed)
        model, probe = _build(p, with_bn=name == "batch_norm")
        base = model.get_weights()
        for s_index, scale in enumerate(scales):
            weights = _weights(model, base, scale, p.seed)
            model.set_weights(weights)
            labels = {"model": name, "scale": float(scale)}
            layer_stats, layer_hist = _activation_rows(probe, x_probe, labels, p.bins)
            stats += layer_stats
            histograms += layer_hist
            restart(model, weights, p.seed)  # the probe updated BN's moving averages
            run_name = f"{KOREAN_NAMES[name]}, 스케일 {_scale_label(scale)}"
            fitted = fit(
                model,
                data.x_train,
                data.y_train,
                epochs=p.epochs,
                batch_size=p.batch_size,
                seed=p.seed,
                shuffle="keras",  # from Keras' global seed, set by restart
                measure=data.sets(),
                progress=progress.part(m_index * len(scales) + s_index, total, run_name),
            )
            scores, guard = fitted.scores, fitted.guard
            history += scores.rows(**labels)
            accuracy = curve(scores.records, "validation", "accuracy")
            reached = first_epoch_reaching(accuracy, p.target_accuracy)
            runs.append(
                {
                    **labels,
                    "epochs_to_target": reached,
                    "final_accuracy": final(scores.records, "validation", "accuracy"),
                    "final_train_accuracy": final(scores.records, "train", "accuracy"),
                    "final_loss": final(scores.records, "train", "loss"),
                    "diverged": bool(guard.diverged),
                }
            )
            warnings += divergence_warning(run_name, guard, hint="")
    for name in MODELS:
        mine = [r for r in runs if r["model"] == name]
        accuracies = [
            r["final_accuracy"] if math.isfinite(r["final_accuracy"]) else 0.0 for r in mine
        ]
        findings[f"scales_reaching_target.{name}"] = float(
            sum(math.isfinite(r["epochs_to_target"]) for r in mine)
        )
        findings[f"mean_final_accuracy.{name}"] = float(np.mean(accuracies))
        findings[f"best_final_accuracy.{name}"] = float(np.max(accuracies))
        findings[f"worst_final_accuracy.{name}"] = float(np.min(accuracies))
        smallest = [s for s in stats if s["model"] == name and s["scale"] == float(scales[-1])]
        findings[f"last_layer_std_at_smallest_scale.{name}"] = smallest[-1]["std"]
    return Result(
        frames={
            "runs": frame(
                runs,
                [
                    "model",
                    "scale",
                    "epochs_to_target",
                    "final_accuracy",
                    "final_train_accuracy",
                    "final_loss",
                    "diverged",
                ],
            ),
            "history": frame(history, ["model", "scale", *EVALUATION_COLUMNS]),
            "activations": frame(
                stats, ["model", "scale", "layer", "mean", "std", "zero_fraction"]
            ),
            "histograms": frame(
                histograms, ["model", "scale", "layer", "bin_start", "bin_end", "count"]
            ),
        },
        findings=findings,
        summary=_summary(p, findings, scales),
        warnings=warnings,
    )


def charts(result: Result) -> list:
    import altair as alt

    order = [KOREAN_NAMES[m] for m in MODELS]
    runs = result.frames["runs"].assign(model_name=lambda d: d["model"].map(KOREAN_NAMES))
    target = result.params["target_accuracy"]
    points = (
        alt.Chart(runs)
        .mark_line(point=True)
        .encode(
            x=alt.X(
                "scale:Q",
                title="초기 가중치 표준편차 (weight scale, 로그 눈금)",
                scale=alt.Scale(type="log", reverse=True),
            ),
            y=alt.Y("final_accuracy:Q", title="최종 검증 정확도", scale=alt.Scale(domain=[0, 1])),
            color=alt.Color("model_name:N", title="모델", sort=order),
            tooltip=[
                "model_name",
                alt.Tooltip("scale:Q", format=".2g"),
                alt.Tooltip("final_accuracy:Q", format=".3f"),
                "epochs_to_target",
            ],
        )
    )
    rule = alt.Chart(runs).mark_rule(strokeDash=[4, 4], color="gray").encode(y=alt.datum(target))
    summary = alt.layer(points, rule).properties(
        width=380, height=240, title=f"가중치 스케일별 최종 검증 정확도 (점선: 목표 {target:.0%})"
    )

    history = result.frames["history"]
    accuracy = history[(history["split"] == "validation") & (history["metric"] == "accuracy")]
    accuracy = accuracy.assign(
        model_name=lambda d: d["model"].map(KOREAN_NAMES),
        scale_label=lambda d: d["scale"].map(lambda s: f"w = {s:.2g}"),
    )
    scale_order = [f"w = {s:.2g}" for s in sorted(runs["scale"].unique(), reverse=True)]
    curves = (
        alt.Chart(accuracy)
        .mark_line()
        .encode(
            x=alt.X("epoch:Q", title="에폭"),
            y=alt.Y("value:Q", title="검증 정확도", scale=alt.Scale(domain=[0, 1])),
            color=alt.Color("model_name:N", title="모델", sort=order),
            tooltip=["model_name", "scale_label", "epoch", alt.Tooltip("value:Q", format=".3f")],
        )
        .properties(width=120, height=100)
        .facet(facet=alt.Facet("scale_label:N", title=None, sort=scale_order), columns=4)
        .properties(title="스케일별 학습 곡선 (책의 그림처럼 실선 두 개를 비교)")
    )

    stats = result.frames["activations"].assign(
        model_name=lambda d: d["model"].map(KOREAN_NAMES),
        scale_label=lambda d: d["scale"].map(lambda s: f"{s:.2g}"),
        std_plot=lambda d: d["std"].clip(lower=1e-12),
    )
    spread = (
        alt.Chart(stats)
        .mark_line(point=True)
        .encode(
            x=alt.X("layer:O", title="은닉층 번호"),
            y=alt.Y(
                "std_plot:Q",
                title="ReLU 출력 표준편차 (학습 전, 로그 눈금)",
                scale=alt.Scale(type="log"),
            ),
            color=alt.Color("scale_label:N", title="가중치 스케일", sort=None),
            tooltip=["model_name", "scale_label", "layer", alt.Tooltip("std:Q", format=".3g")],
        )
        .properties(width=220, height=200)
        .facet(column=alt.Column("model_name:N", title=None, sort=order))
        .properties(title="학습 전 층별 활성화 크기: BN이 없으면 스케일에 따라 폭발하거나 사라진다")
    )

    hist = result.frames["histograms"].assign(
        model_name=lambda d: d["model"].map(KOREAN_NAMES),
        scale_label=lambda d: d["scale"].map(lambda s: f"{s:.2g}"),
        layer_name=lambda d: d["layer"].map(lambda n: f"{n}층"),
    )
    labels = [f"{s:.2g}" for s in sorted(runs["scale"].unique(), reverse=True)]
    choice = alt.param(
        name="weight_scale",
        value=labels[len(labels) // 2],
        bind=alt.binding_select(options=labels, name="가중치 스케일 "),
    )
    colors = {"plain": "#4c78a8", "batch_norm": "#f58518"}

    def panel(model: str, layer: int):
        data = hist[(hist["model"] == model) & (hist["layer"] == layer)]
        return (
            alt.Chart(data, title=f"{layer}층")
            .mark_bar(color=colors[model])
            .encode(
                x=alt.X("bin_start:Q", bin="binned", title="ReLU 출력값"),
                x2="bin_end:Q",
                y=alt.Y("count:Q", title="개수" if layer == 1 else None),
                tooltip=["model_name", "layer_name", "bin_start", "bin_end", "count"],
            )
            .transform_filter(alt.datum.scale_label == choice)
            .properties(width=110, height=80)
        )

    depth = int(hist["layer"].max())
    # One row per model with the x axis shared across its layers: without BN the
    # distribution visibly shrinks towards 0 (or spreads out) layer by layer.
    rows = [
        alt.hconcat(*[panel(model, layer) for layer in range(1, depth + 1)])
        .resolve_scale(x="shared", y="independent")
        .properties(title=KOREAN_NAMES[model])
        for model in MODELS
    ]
    histogram = (
        alt.vconcat(*rows)
        .add_params(choice)
        .properties(title="학습 전 층별 활성화 분포 (가중치 스케일을 골라 보세요)")
    )
    return [summary, curves, spread, histogram]


EXPERIMENT = Experiment(
    name="batch_norm",
    title="배치 정규화 (batch normalization): 초기 가중치 스케일에 대한 강건성",
    caption=(
        "첫 그래프에서 가로축(가중치 초기 표준편차)을 따라 BN 없는 모델은 좁은 구간에서만 "
        "정확도가 오르고, BN을 쓴 모델은 거의 모든 스케일에서 목표(점선)를 넘는지 보세요. "
        "학습 전 활성화 그래프에서 BN이 없으면 층을 지날 때마다 출력 크기가 스케일에 따라 "
        "폭발하거나 0으로 사라지고, BN을 쓰면 층마다 비슷한 크기로 유지되는 것이 이유입니다."
    ),
    params=BatchNormParams,
    presets={
        "default": {},
        "tiny": {
            "n_scales": 2,
            "depth": 2,
            "width": 8,
            "train_samples": 200,
            "epochs": 1,
            "batch_size": 100,
            "bins": 5,
        },
        "book_like": {"n_scales": 8, "learning_rate": 0.01, "epochs": 20, "batch_size": 100},
    },
    runner=run,
    charts=charts,
    findings={
        "scales_reaching_target": ("목표 정확도에 도달한 스케일 수", "count"),
        "mean_final_accuracy": ("스케일별 최종 검증 정확도 평균", "%"),
        "best_final_accuracy": ("가장 좋은 최종 검증 정확도", "%"),
        "worst_final_accuracy": ("가장 나쁜 최종 검증 정확도", "%"),
        "last_layer_std_at_smallest_scale": ("가장 작은 스케일에서 마지막 층 출력의 표준편차", ""),
    },
    series=KOREAN_NAMES,
)
