"""Weight initialization: activation histograms per layer, training curves, and symmetry.

Claim (the "init histograms" setup of Deep Learning from Scratch §6.2: 1,000 inputs drawn
from N(0, 1), 5 layers × 100 units, no bias, one forward pass):

- N(0, 1) weights + sigmoid saturate: about three quarters of the layer-1 outputs are below
  0.05 or above 0.95 (tanh: most outputs near ±1);
- N(0, 0.01²) + sigmoid collapses every output to ≈ 0.5 (std ≈ 0.025, then ≈ 0.012): all
  units say the same thing (representation collapse); with ReLU the signal dies by layer 5;
- Xavier keeps sigmoid/tanh outputs spread and unsaturated; with ReLU it still halves the
  variance per layer (std shrinks with depth) while He (√(2/n)) keeps it.

"Xavier" here is ``glorot_normal``: std √(2 / (n_in + n_out)); for these square 100 → 100
layers that is exactly the book's √(1/n) (``lecun_normal``), and with the same seed the two
draw identical weights. The normal initializers are plain (untruncated) normals.

Then the same initializers train a ReLU MLP on digits (the book's "init on MNIST": std 0.01
does not learn, He learns fastest), and an all-zero network (sigmoid, every layer zero)
trains a few epochs: each hidden layer still holds identical units afterwards, because
identical units receive identical gradients — zero init never breaks the symmetry.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
from pydantic import Field, field_validator

from studykit.experiments._fit import divergence_warning, fit, frame
from studykit.experiments._labels import ACTIVATION_NAMES, josa
from studykit.experiments._measure import EVALUATION_COLUMNS, final
from studykit.experiments._models import (
    ACTIVATIONS,
    INITIALIZERS,
    build_mlp,
    restart,
    reuse,
    set_random_seed,
)
from studykit.experiments.base import Curves, Experiment, Params, Progress, Result, distinct

ActivationName = Literal[ACTIVATIONS]  # type: ignore[valid-type]
InitializerName = Literal[INITIALIZERS]  # type: ignore[valid-type]

INIT_NAMES = {
    "normal_1": "N(0, 1)",
    "normal_0.01": "N(0, 0.01²)",
    "lecun_normal": "LeCun 정규 (책의 Xavier, √(1/n))",
    "lecun_uniform": "LeCun 균등",
    "glorot_normal": "Xavier (Glorot 정규)",
    "glorot_uniform": "Xavier (Glorot 균등)",
    "he_normal": "He 정규",
    "he_uniform": "He 균등",
    "zeros": "0 (모두 0)",
}


_COLORS = (
    "#4c78a8",
    "#f58518",
    "#54a24b",
    "#e45756",
    "#72b7b2",
    "#b279a2",
    "#ff9da6",
    "#9d755d",
    "#bab0ac",
    "#eeca3b",
)


class WeightInitParams(Params):
    initializers: tuple[InitializerName, ...] = Field(
        ("normal_1", "normal_0.01", "glorot_normal", "he_normal"),
        min_length=1,
        max_length=9,
        title="히스토그램에 쓸 가중치 초기화 (initializer)",
    )
    activations: tuple[ActivationName, ...] = Field(
        ("sigmoid", "tanh", "relu"), min_length=1, max_length=5, title="활성화 함수 (activation)"
    )
    layers: int = Field(5, ge=1, le=10, title="층 수 (layers)")
    units: int = Field(100, ge=10, le=500, title="층당 뉴런 수 (units)")
    samples: int = Field(1000, ge=100, le=5000, title="입력 데이터 수 (samples, N(0, 1))")
    bins: int = Field(30, ge=5, le=100, title="히스토그램 구간 수 (bins)")
    train_initializers: tuple[InitializerName, ...] = Field(
        ("normal_0.01", "glorot_normal", "he_normal"),
        min_length=1,
        max_length=9,
        title="학습 곡선을 비교할 초기화 (digits, ReLU)",
    )
    train_depth: int = Field(4, ge=1, le=8, title="학습용 MLP 은닉층 수 (hidden layers)")
    epochs: int = Field(8, ge=1, le=50, title="에폭 (epochs)")
    learning_rate: float = Field(0.05, ge=1e-4, le=1.0, title="학습률 (learning rate, SGD)")
    batch_size: int = Field(64, ge=8, le=512, title="배치 크기 (batch size)")
    symmetry_epochs: int = Field(
        3, ge=1, le=20, title="0 초기화 대칭성 실험의 에폭 (epochs, 시그모이드)"
    )
    seed: int = Field(0, ge=0, le=2**31 - 1, title="시드 (seed)")

    @field_validator("initializers", "activations", "train_initializers")
    @classmethod
    def _unique(cls, value):
        return distinct(value, "entries")


def _forward_stats(p: WeightInitParams, initializer: str, activation: str, x: np.ndarray):
    """One forward pass through `layers` bias-free Dense layers; ActivationStatsLogger rows."""
    import keras

    from studykit import activations, callbacks, initializers

    model = keras.Sequential(
        [keras.Input((p.units,))]
        + [
            keras.layers.Dense(
                p.units,
                use_bias=False,
                activation=activations.get(activation),
                kernel_initializer=initializers.get(initializer, seed=p.seed + index),
                name=f"layer_{index + 1}",
            )
            for index in range(p.layers)
        ]
    )
    logger = callbacks.ActivationStatsLogger(x, bins=p.bins, margin=0.05)
    logger.set_model(model)
    logger.on_train_begin()  # measures the probe batch once (epoch 0)
    return logger.records, logger.histograms


def _fresh_weights(model, initializer: str, seed: int) -> list[np.ndarray]:
    """Starting weights: `initializer` for hidden kernels, Glorot for the output, zero biases.

    The same weights ``build_mlp(..., initializer, seed)`` would draw.
    """
    import keras

    from studykit import initializers

    weights = []
    dense = [layer for layer in model.layers if getattr(layer, "kernel", None) is not None]
    for index, layer in enumerate(dense):
        name = initializer if index < len(dense) - 1 else "glorot_uniform"
        kernel = initializers.get(name, seed=seed + index)(tuple(layer.kernel.shape))
        weights += [keras.ops.convert_to_numpy(kernel), np.zeros(layer.bias.shape, "float32")]
    return weights


def _train_curves(p: WeightInitParams, data, progress: Progress):

    from studykit import optimizers

    set_random_seed(p.seed)
    model = build_mlp(64, 10, [p.units] * p.train_depth, "relu", "he_normal", p.seed)
    model.compile(
        optimizer=optimizers.SGD(p.learning_rate),
        loss="sparse_categorical_crossentropy",
        jit_compile=False,
    )
    model = reuse(model)
    rows, findings, warnings = [], {}, []
    for initializer, part in progress.parts(p.train_initializers, INIT_NAMES.get):
        restart(model, _fresh_weights(model, initializer, p.seed), p.seed)
        fitted = fit(
            model,
            data.x_train,
            data.y_train,
            epochs=p.epochs,
            batch_size=p.batch_size,
            seed=p.seed,
            shuffle="keras",  # from Keras' global seed, set by restart
            measure=data.sets(),
            progress=part,
        )
        scores, guard = fitted.scores, fitted.guard
        rows += scores.rows(initializer=initializer)
        findings[f"final_loss.{initializer}"] = final(scores.records, "train", "loss")
        findings[f"final_accuracy.{initializer}"] = final(scores.records, "validation", "accuracy")
        warnings += divergence_warning(INIT_NAMES[initializer], guard, "초기 가중치가 너무 큽니다.")
    return rows, findings, warnings


def _symmetry(p: WeightInitParams, data, progress: Progress):
    """All-zero sigmoid MLP: after training, how many distinct units does each layer hold?"""
    import keras

    from studykit import activations, initializers, optimizers

    set_random_seed(p.seed)
    hidden = [p.units] * 2
    model = keras.Sequential(
        [keras.Input((64,))]
        + [
            keras.layers.Dense(
                units,
                activation=activations.sigmoid,
                kernel_initializer=initializers.Zeros(),
                name=f"hidden_{index + 1}",
            )
            for index, units in enumerate(hidden)
        ]
        + [
            keras.layers.Dense(
                10,
                activation=activations.softmax,
                kernel_initializer=initializers.Zeros(),
                name="output",
            )
        ]
    )
    model.compile(
        optimizer=optimizers.SGD(0.1), loss="sparse_categorical_crossentropy", jit_compile=False
    )
    model = reuse(model)
    scores = fit(
        model,
        data.x_train,
        data.y_train,
        epochs=p.symmetry_epochs,
        batch_size=p.batch_size,
        seed=p.seed,
        shuffle="keras",  # from Keras' global seed, set above
        measure={"validation": (data.x_val, data.y_val)},
        progress=progress,
    ).scores
    rows, heat = [], []
    for index, layer in enumerate(model.layers[:-1], start=1):
        kernel = keras.ops.convert_to_numpy(layer.kernel)  # (inputs, units): one column per unit
        rows.append(
            {
                "layer": index,
                "name": layer.name,
                "units": kernel.shape[1],
                "distinct_units": _distinct_units(kernel),
                "max_unit_difference": float(np.max(np.abs(kernel - kernel[:, :1]))),
                "relative_unit_difference": _relative_unit_difference(kernel),
                "weight_norm": float(np.linalg.norm(kernel)),
            }
        )
        if index == 1:
            for unit in range(min(12, kernel.shape[1])):
                for source in range(kernel.shape[0]):
                    heat.append(
                        {"input": source, "unit": unit, "weight": float(kernel[source, unit])}
                    )
    findings = {
        "zero_init.distinct_units": float(max(r["distinct_units"] for r in rows)),
        "zero_init.max_unit_difference": float(max(r["max_unit_difference"] for r in rows)),
        "zero_init.relative_unit_difference": float(
            max(r["relative_unit_difference"] for r in rows)
        ),
        "zero_init.first_layer_weight_norm": rows[0]["weight_norm"],
        "zero_init.final_accuracy": final(scores.records, "validation", "accuracy"),
    }
    return rows, heat, findings


# Units that started equal get equal gradients, but a multi-threaded matmul may add the same
# numbers in a different order per column: differences of ~1e-8 of the weights' size are
# rounding, not broken symmetry (a random start differs by ~1, not 1e-8).
UNIT_TOLERANCE = 1e-6


def _relative_unit_difference(kernel: np.ndarray) -> float:
    """Largest difference from the first unit, relative to the layer's largest weight."""
    scale = float(np.max(np.abs(kernel)))
    return float(np.max(np.abs(kernel - kernel[:, :1]))) / scale if scale > 0 else 0.0


def _distinct_units(kernel: np.ndarray) -> int:
    """Units (columns) that differ by more than UNIT_TOLERANCE of the layer's largest weight."""
    tolerance = UNIT_TOLERANCE * max(float(np.max(np.abs(kernel))), np.finfo(np.float32).tiny)
    representatives: list[np.ndarray] = []
    for column in kernel.T:
        if not any(np.max(np.abs(column - r)) <= tolerance for r in representatives):
            representatives.append(column)
    return len(representatives)


def _summary(p: WeightInitParams, findings: dict[str, float]) -> str:
    clauses = []
    saturated = [
        f"{ACTIVATION_NAMES[act]} {findings[f'saturated_fraction.normal_1.{act}']:.0%}"
        for act in ("sigmoid", "tanh")
        if f"saturated_fraction.normal_1.{act}" in findings
    ]
    if saturated:
        clauses.append(
            "N(0, 1) 가중치에서는 1층 출력 중 포화(saturation)된 비율(0.05 미만 또는 0.95 초과, "
            f"tanh는 ±0.95 밖)이 {', '.join(saturated)}에 달했고"
        )
    if "std_first.normal_0.01.sigmoid" in findings:
        clauses.append(
            "표준편차 0.01에서는 시그모이드 출력이 0.5 근처에 몰려 표준편차가 1층 "
            f"{findings['std_first.normal_0.01.sigmoid']:.3f}, {p.layers}층 "
            f"{findings['std_last.normal_0.01.sigmoid']:.3f}에 그쳤으며(표현력 붕괴)"
        )
    relu = [
        f"{INIT_NAMES[init]} {findings[f'std_first.{init}.relu']:.2f} → "
        f"{findings[f'std_last.{init}.relu']:.2f}"
        for init in p.initializers
        if init in ("glorot_normal", "lecun_normal", "he_normal")
        and f"std_first.{init}.relu" in findings
    ]
    if relu:
        clauses.append(
            f"ReLU의 출력 표준편차(1층 → {p.layers}층)는 " + josa(", ".join(relu), "이었고", "였고")
        )
    trained = ", ".join(
        f"{INIT_NAMES[init]} {findings[f'final_loss.{init}']:.3f}" for init in p.train_initializers
    )
    clauses.append(
        f"digits로 {p.epochs} 에폭 학습한 뒤의 손실(loss)은 " + josa(trained, "이었으며", "였으며")
    )
    distinct = findings["zero_init.distinct_units"]
    clauses.append(
        f"모든 가중치를 0으로 두면 {p.symmetry_epochs} 에폭 학습한 뒤에도 은닉층마다 서로 다른 "
        f"유닛이 {distinct:.0f}종류뿐이어서 대칭성(symmetry)이 깨지지 않았습니다."
    )
    return ", ".join(clauses)


def run(p: WeightInitParams, progress: Progress) -> Result:
    from studykit import datasets

    rng = np.random.default_rng(p.seed)
    x = rng.normal(size=(p.samples, p.units)).astype("float32")
    stats, histograms, findings = [], [], {}
    combos = [(init, act) for init in p.initializers for act in p.activations]
    for index, (initializer, activation) in enumerate(combos):
        records, bins = _forward_stats(p, initializer, activation, x)
        labels = {"initializer": initializer, "activation": activation}
        stats += [{**labels, **r} for r in records]
        histograms += [{**labels, **r} for r in bins]
        key = f"{initializer}.{activation}"
        findings[f"std_first.{key}"] = float(records[0]["std"])
        findings[f"std_last.{key}"] = float(records[-1]["std"])
        if activation in ("sigmoid", "tanh"):
            findings[f"saturated_fraction.{key}"] = float(records[0]["saturated_fraction"])
        progress(0.15 * (index + 1) / len(combos), f"활성화 분포 {index + 1}/{len(combos)}")

    data = datasets.digits(seed=p.seed)
    history, trained, warnings = _train_curves(p, data, progress.slice(0.15, 0.85))
    findings.update(trained)
    symmetry, heat, zero = _symmetry(p, data, progress.slice(0.85, 1.0, "0 초기화"))
    findings.update(zero)

    activation_frame = frame(
        stats,
        [
            "initializer",
            "activation",
            "epoch",
            "layer",
            "name",
            "mean",
            "std",
            "saturated_fraction",
        ],
    ).drop(columns=["epoch", "name"])
    return Result(
        frames={
            "activations": activation_frame,
            "histograms": frame(
                histograms,
                ["initializer", "activation", "epoch", "layer", "bin_start", "bin_end", "count"],
            ).drop(columns=["epoch"]),
            "history": frame(history, ["initializer", *EVALUATION_COLUMNS]),
            "symmetry": frame(
                symmetry,
                [
                    "layer",
                    "name",
                    "units",
                    "distinct_units",
                    "max_unit_difference",
                    "relative_unit_difference",
                    "weight_norm",
                ],
            ),
            "zero_init_weights": frame(heat, ["input", "unit", "weight"]),
        },
        findings=findings,
        summary=_summary(p, findings),
        warnings=warnings,
    )


def charts(result: Result) -> list:
    import altair as alt

    params = result.params
    hist = result.frames["histograms"].assign(
        init=lambda d: d["initializer"].map(INIT_NAMES),
        layer_name=lambda d: d["layer"].map(lambda n: f"{n}층"),
    )
    init_order = [INIT_NAMES[i] for i in params["initializers"]]
    out = []
    for activation in params["activations"]:
        rows = []
        for initializer in params["initializers"]:
            data = hist[(hist["activation"] == activation) & (hist["initializer"] == initializer)]
            # One row per initializer with the x axis shared across its layers, so a
            # distribution that shrinks or grows with depth is visible at a glance.
            rows.append(
                alt.Chart(data)
                .mark_bar()
                .encode(
                    x=alt.X("bin_start:Q", title="활성화 값 (activation)", bin="binned"),
                    x2="bin_end:Q",
                    y=alt.Y("count:Q", title="개수"),
                    color=alt.value(_COLORS[params["initializers"].index(initializer) % 10]),
                    tooltip=["init", "layer_name", "bin_start", "bin_end", "count"],
                )
                .properties(width=110, height=70)
                .facet(column=alt.Column("layer_name:N", title=None, sort=None))
                .resolve_scale(y="independent")
                .properties(title=INIT_NAMES[initializer])
            )
        out.append(
            alt.vconcat(*rows).properties(
                title=f"{ACTIVATION_NAMES[activation]}: 층별 활성화 값 분포 (히스토그램)"
            )
        )
    stats = result.frames["activations"].assign(
        init=lambda d: d["initializer"].map(INIT_NAMES),
        act=lambda d: d["activation"].map(ACTIVATION_NAMES),
        std_plot=lambda d: d["std"].clip(lower=1e-6),
    )
    out.append(
        alt.Chart(stats)
        .mark_line(point=True)
        .encode(
            x=alt.X("layer:O", title="층 번호"),
            y=alt.Y(
                "std_plot:Q", title="출력 표준편차 (std, 로그 눈금)", scale=alt.Scale(type="log")
            ),
            color=alt.Color("init:N", title="초기화", sort=init_order),
            tooltip=["init", "act", "layer", alt.Tooltip("std:Q", format=".3g")],
        )
        .properties(width=200, height=200)
        .facet(
            column=alt.Column(
                "act:N", title=None, sort=[ACTIVATION_NAMES[a] for a in params["activations"]]
            )
        )
        .properties(title="층을 지날수록 출력 표준편차가 어떻게 변하는가")
    )
    history = result.frames["history"]
    history = history[
        ((history["split"] == "train") & (history["metric"] == "loss"))
        | ((history["split"] == "validation") & (history["metric"] == "accuracy"))
    ].assign(
        init=lambda d: d["initializer"].map(INIT_NAMES),
        metric=lambda d: d["metric"].map(
            {"loss": "학습 손실 (train loss)", "accuracy": "검증 정확도 (validation accuracy)"}
        ),
    )
    out.append(
        alt.Chart(history)
        .mark_line(point=True)
        .encode(
            x=alt.X("epoch:Q", title="에폭 (epoch)"),
            y=alt.Y("value:Q", title=None),
            color=alt.Color("init:N", title="초기화"),
            tooltip=["init", "metric", "epoch", alt.Tooltip("value:Q", format=".3f")],
        )
        .properties(width=280, height=200)
        .facet(column=alt.Column("metric:N", title=None))
        .resolve_scale(y="independent")
        .properties(title="digits 학습 곡선 (ReLU MLP, SGD)")
    )
    out.append(
        alt.Chart(result.frames["zero_init_weights"])
        .mark_rect()
        .encode(
            x=alt.X("unit:O", title="1층 은닉 유닛 (unit)"),
            y=alt.Y("input:O", title="입력 픽셀 (input)", axis=alt.Axis(labels=False, ticks=False)),
            color=alt.Color(
                "weight:Q", title="가중치", scale=alt.Scale(scheme="redblue", domainMid=0)
            ),
            tooltip=["unit", "input", alt.Tooltip("weight:Q", format=".4f")],
        )
        .properties(
            width=240, height=240, title="0으로 초기화한 뒤 학습한 1층 가중치: 모든 열(유닛)이 같다"
        )
    )
    return out


EXPERIMENT = Experiment(
    name="weight_init",
    title="가중치 초기화 (weight initialization): 활성화 분포와 학습",
    caption=(
        "히스토그램에서 N(0, 1) + 시그모이드는 값이 0과 1 양끝에 몰리고(포화), 표준편차 0.01은 "
        "0.5 한 곳에 몰리며(표현력 붕괴), Xavier는 층을 지나도 고르게 퍼져 있는지 보세요. "
        "표준편차 그래프에서 ReLU + Xavier는 층마다 줄어들고 ReLU + He는 유지되는지 확인하고, "
        "학습 곡선에서 어느 초기화가 손실을 가장 빨리 줄이는지, 마지막 그림에서 0으로 초기화한 "
        "신경망의 유닛들이 학습 후에도 모두 같은지 보세요. 여기서 Xavier는 Glorot 정규 "
        "√(2/(n_in+n_out))이며, 100 → 100 층에서는 책의 √(1/n)과 같습니다."
    ),
    params=WeightInitParams,
    presets={
        "default": {},
        "tiny": {
            "initializers": ["normal_1", "he_normal"],
            "activations": ["sigmoid", "relu"],
            "layers": 2,
            "units": 20,
            "samples": 200,
            "bins": 10,
            "train_initializers": ["he_normal"],
            "train_depth": 1,
            "epochs": 2,
            "symmetry_epochs": 1,
        },
        "book_xavier": {
            "initializers": ["normal_1", "normal_0.01", "lecun_normal", "he_normal"],
            "train_initializers": ["normal_0.01", "lecun_normal", "he_normal"],
        },
        "all_initializers": {"initializers": [i for i in INITIALIZERS]},
    },
    runner=run,
    charts=charts,
    findings={
        "std_first": ("첫 층 활성값의 표준편차", ""),
        "std_last": ("마지막 층 활성값의 표준편차", ""),
        "saturated_fraction": ("포화된 활성값 비율 (첫 층)", "%"),
        "zero_init.final_accuracy": ("0 초기화: 최종 검증 정확도", "%"),
        "zero_init.first_layer_weight_norm": ("0 초기화: 첫 층 가중치 노름", ""),
        "zero_init.max_unit_difference": ("0 초기화: 유닛 사이 가중치 차이 (최대)", ""),
        "zero_init.distinct_units": ("0 초기화: 학습 후 서로 다른 유닛 수 (층마다 최대)", "count"),
        "zero_init.relative_unit_difference": (
            "0 초기화: 유닛 사이 가중치 차이 (가장 큰 가중치 대비)",
            "",
        ),
    },
    series={**INIT_NAMES, **ACTIVATION_NAMES},
    curves=Curves(series="initializer", names=INIT_NAMES, series_title="초기화", shared=False),
)
