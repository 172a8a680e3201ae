"""XOR: a single perceptron cannot solve it, one hidden layer can.

Claim: the four XOR corners (0 at (-1,-1) and (1,1), 1 at (-1,1) and (1,-1)) are not linearly
separable, so any single line classifies at most 3 of the 4 correctly (75 %): a trained linear
model (one neuron, sigmoid output: a perceptron with a smooth activation) does no better, and
neither does the best of many random lines. An MLP with one hidden layer builds two lines in
its hidden units and combines them, classifying all 4 corners (100 %). Training uses
studykit.datasets.xor (noisy points around the corners); the 4 exact corners are the test.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
from pydantic import Field

from studykit.experiments._decision_boundary import (
    GRID_COLUMNS,
    POINT_COLUMNS,
    boundary_charts,
    grid_points,
    grid_rows,
    point_rows,
    probe_probabilities,
)
from studykit.experiments._fit import divergence_warning, fit, frame
from studykit.experiments._measure import EVALUATION_COLUMNS, final
from studykit.experiments._models import ACTIVATIONS, default_initializer, reuse, set_random_seed
from studykit.experiments.base import Curves, Experiment, Params, Progress, Result

ActivationName = Literal[ACTIVATIONS]  # type: ignore[valid-type]

CORNERS = np.array([[-1, -1], [-1, 1], [1, -1], [1, 1]], dtype="float32")
CORNER_LABELS = np.array([0, 1, 1, 0])
RANDOM_LINES = 20_000
MODEL_NAMES = {"linear": "단층 퍼셉트론 (선형 모델)", "mlp": "다층 퍼셉트론 (MLP, 은닉층 1개)"}


class XorParams(Params):
    hidden_units: int = Field(8, ge=2, le=32, title="은닉층 뉴런 수 (hidden units)")
    activation: ActivationName = Field("tanh", title="은닉층 활성화 함수 (activation)")
    epochs: int = Field(10, ge=1, le=200, title="에폭 (epochs)")
    learning_rate: float = Field(0.05, ge=1e-4, le=1.0, title="학습률 (learning rate, Adam)")
    batch_size: int = Field(16, ge=4, le=256, title="배치 크기 (batch size)")
    samples: int = Field(200, ge=40, le=2000, title="잡음 섞인 학습 점의 수 (samples)")
    noise: float = Field(0.2, ge=0.0, le=0.5, title="잡음 (noise)")
    seed: int = Field(0, ge=0, le=2**31 - 1, title="시드 (seed)")


def _build(p: XorParams, kind: str):
    import keras

    from studykit import activations, initializers

    layers = [keras.Input((2,))]
    if kind == "mlp":
        layers.append(
            keras.layers.Dense(
                p.hidden_units,
                activation=activations.get(p.activation),
                kernel_initializer=initializers.get(default_initializer(p.activation), seed=p.seed),
                name="hidden",
            )
        )
    layers.append(
        keras.layers.Dense(
            1,
            kernel_initializer=initializers.get("glorot_uniform", seed=p.seed + 1),
            name="output_logit",
        )
    )
    return keras.Sequential(layers)


def best_random_line(seed: int, lines: int = RANDOM_LINES) -> float:
    """The best corner accuracy over ``lines`` random lines w·x + b = 0 (numpy only)."""
    rng = np.random.default_rng(seed)
    weights = rng.normal(size=(lines, 2))
    biases = rng.normal(scale=1.5, size=lines)
    predictions = (CORNERS @ weights.T + biases) > 0  # (4, lines)
    accuracy = (predictions == CORNER_LABELS[:, None].astype(bool)).mean(axis=0)
    return float(accuracy.max())


def _summary(p: XorParams, findings: dict[str, float]) -> str:
    return (
        f"XOR의 네 꼭짓점에서 단층 퍼셉트론(선형 모델)은 "
        f"{findings['corner_accuracy.linear']:.0%}만 맞혔고"
        f"(무작위 직선 {RANDOM_LINES:,}개 중 최고도 "
        f"{findings['best_random_line_corner_accuracy']:.0%}), 은닉층 하나(뉴런 "
        f"{p.hidden_units}개, {p.activation})를 둔 다층 퍼셉트론(MLP)은 "
        f"{findings['corner_accuracy.mlp']:.0%}를 맞혔습니다."
    )


def run(p: XorParams, progress: Progress) -> Result:

    from studykit import datasets, losses, optimizers

    data = datasets.xor(p.samples, noise=p.noise, seed=p.seed)
    y_train = data.y_train.astype("float32").reshape(-1, 1)
    sets = data.sets()
    probe = grid_points(np.concatenate([data.x_train, data.x_val, CORNERS]))
    history, grid, corner_rows, warnings = [], [], [], []
    findings: dict[str, float] = {}
    for kind, part in progress.parts(("linear", "mlp"), MODEL_NAMES.get):
        set_random_seed(p.seed)
        model = _build(p, kind)
        model.compile(
            optimizer=optimizers.Adam(p.learning_rate),
            loss=losses.BinaryCrossEntropy(from_logits=True),
            jit_compile=False,
        )
        model = reuse(model)
        fitted = fit(
            model,
            data.x_train,
            y_train,
            epochs=p.epochs,
            batch_size=p.batch_size,
            seed=p.seed,
            shuffle="keras",  # from Keras' global seed, set above
            measure=sets,
            from_logits=True,
            progress=part,
        )
        scores, guard = fitted.scores, fitted.guard
        warnings += divergence_warning(MODEL_NAMES[kind], guard)
        history += scores.rows(model=kind)
        corner_p = probe_probabilities(model, CORNERS)
        correct = (corner_p > 0.5) == CORNER_LABELS.astype(bool)
        corner_rows += [
            {
                "model": kind,
                "x1": float(x[0]),
                "x2": float(x[1]),
                "label": int(label),
                "probability": float(q),
                "correct": bool(ok),
            }
            for x, label, q, ok in zip(CORNERS, CORNER_LABELS, corner_p, correct)
        ]
        findings[f"corner_accuracy.{kind}"] = float(correct.mean())
        findings[f"accuracy.{kind}"] = final(scores.records, "validation", "accuracy")
        grid += grid_rows(kind, probe, probe_probabilities(model, probe))
    findings["best_random_line_corner_accuracy"] = best_random_line(p.seed)
    points = (
        point_rows("train", data.x_train, data.y_train)
        + point_rows("validation", data.x_val, data.y_val)
        + point_rows("corner", CORNERS, CORNER_LABELS)
    )
    return Result(
        frames={
            "history": frame(history, ["model", *EVALUATION_COLUMNS]),
            "grid": frame(grid, GRID_COLUMNS),
            "points": frame(points, POINT_COLUMNS),
            "corners": frame(corner_rows, ["model", "x1", "x2", "label", "probability", "correct"]),
        },
        findings=findings,
        summary=_summary(p, findings),
        warnings=warnings,
    )


def charts(result: Result) -> list:
    import altair as alt

    findings = result.findings
    titles = {
        kind: f"{name}: 꼭짓점 정확도 {findings[f'corner_accuracy.{kind}']:.0%}"
        for kind, name in MODEL_NAMES.items()
    }
    points = result.frames["points"]
    boundaries = boundary_charts(result.frames["grid"], points, titles).properties(
        title="결정 경계 (decision boundary): 색 = 클래스 1 (XOR = 1) 확률"
    )
    corners = result.frames["corners"].assign(
        model=lambda d: d["model"].map(MODEL_NAMES),
        corner=lambda d: d.apply(lambda r: f"({r.x1:+.0f}, {r.x2:+.0f}) → {r.label}", axis=1),
        verdict=lambda d: d["correct"].map({True: "맞힘", False: "틀림"}),
    )
    corner_chart = (
        alt.Chart(corners, title="네 꼭짓점에서 클래스 1 확률 (0.5가 경계)")
        .mark_bar()
        .encode(
            x=alt.X("corner:N", title="꼭짓점 (x₁, x₂) → 정답", sort=None),
            xOffset=alt.XOffset("model:N"),
            y=alt.Y("probability:Q", title="클래스 1 확률", scale=alt.Scale(domain=[0, 1])),
            color=alt.Color("model:N", title="모델"),
            opacity=alt.Opacity(
                "verdict:N", title="결과", scale=alt.Scale(domain=["맞힘", "틀림"], range=[1, 0.35])
            ),
            tooltip=["model", "corner", "verdict", alt.Tooltip("probability:Q", format=".3f")],
        )
        .properties(width=360, height=220)
    )
    return [boundaries, corner_chart]


EXPERIMENT = Experiment(
    name="xor",
    title="XOR 문제 (XOR problem): 단층 퍼셉트론 vs 다층 퍼셉트론 (MLP)",
    caption=(
        "왼쪽 결정 경계에서 단층 퍼셉트론은 직선 하나로 평면을 나누므로 대각선에 놓인 같은 "
        "클래스의 두 꼭짓점을 한쪽에 모을 수 없고(최대 75 %), 오른쪽 MLP는 은닉층이 만든 두 "
        "직선을 조합해 띠 모양의 경계로 네 꼭짓점을 모두 맞히는지 보세요. 아래 막대에서 "
        "꼭짓점마다 확률이 0.5의 어느 쪽에 있는지 확인하세요."
    ),
    params=XorParams,
    presets={
        "default": {},
        "tiny": {"hidden_units": 4, "epochs": 2, "samples": 40},
        "relu": {"activation": "relu"},
        "two_hidden_units": {"hidden_units": 2, "epochs": 40},
    },
    runner=run,
    charts=charts,
    findings={
        "corner_accuracy": ("네 꼭짓점 (XOR 진리표) 정확도", "%"),
        "best_random_line_corner_accuracy": ("무작위 직선 중 최고 꼭짓점 정확도", "%"),
    },
    series=MODEL_NAMES,
    curves=Curves(series="model", names=MODEL_NAMES),
)
