"""Activation functions and their derivatives, plus softmax of a score vector.

Claim: the derivative of the sigmoid is at most 0.25 (at x = 0) and that of tanh at most 1,
so both shrink the gradient away from 0 (saturation); ReLU, Leaky ReLU and ELU pass a slope of
1 for x > 0. ReLU is not differentiable at 0 and the framework uses a subgradient there
(Keras on TensorFlow and JAX: 0). Softmax turns any scores into probabilities that sum to 1;
a temperature T divides the scores first (T > 1 flattens, T < 1 sharpens the distribution).
The derivatives are computed by automatic differentiation (``studykit._gradients``), not by
formulas, so they are what backpropagation really uses.
"""

from __future__ import annotations

from typing import Annotated, Literal

import numpy as np
from pydantic import Field, field_validator

from studykit.experiments._charts import thin
from studykit.experiments._fit import frame
from studykit.experiments._labels import ACTIVATION_NAMES, josa, ro
from studykit.experiments._models import ACTIVATIONS
from studykit.experiments.base import Experiment, Params, Progress, Result, distinct

ActivationName = Literal[ACTIVATIONS]  # type: ignore[valid-type]
Logit = Annotated[float, Field(ge=-50.0, le=50.0)]

KOREAN_NAMES = ACTIVATION_NAMES
KIND_NAMES = {"value": "함숫값 f(x)", "derivative": "도함수 f'(x) (자동 미분)"}


class ActivationFunctionsParams(Params):
    activations: tuple[ActivationName, ...] = Field(
        ACTIVATIONS, min_length=1, max_length=5, title="활성화 함수 (activation)"
    )
    x_range: float = Field(5.0, ge=0.5, le=20.0, title="입력 범위 (x는 -범위 ~ +범위)")
    points: int = Field(201, ge=11, le=2001, title="그래프 점의 수 (points)")
    leaky_alpha: float = Field(
        0.01, ge=0.0, le=0.5, title="Leaky ReLU 음수 구간 기울기 (alpha; 노트의 0.1도 가능)"
    )
    elu_alpha: float = Field(1.0, ge=0.1, le=3.0, title="ELU의 alpha (음수 쪽 포화값 -alpha)")
    logits: tuple[Logit, ...] = Field(
        (2.0, 1.0, 0.1), min_length=2, max_length=10, title="소프트맥스 입력 점수 (logits)"
    )
    temperature: float = Field(1.0, ge=0.05, le=20.0, title="소프트맥스 온도 (temperature)")

    @field_validator("activations")
    @classmethod
    def _distinct(cls, value):
        return distinct(value, "activations")


def _grid(x_range: float, points: int) -> np.ndarray:
    """Evenly spaced x in [-x_range, x_range] that always contains x = 0 exactly."""
    grid = np.linspace(-x_range, x_range, points)
    grid[np.abs(grid) < 1e-9] = 0.0
    return np.unique(np.append(grid, 0.0))


def _function(name: str, p: ActivationFunctionsParams):
    from studykit import activations

    if name == "leaky_relu":
        return lambda x: activations.leaky_relu(x, alpha=p.leaky_alpha)
    if name == "elu":
        return lambda x: activations.elu(x, alpha=p.elu_alpha)
    return activations.get(name)


def _summary(p: ActivationFunctionsParams, findings: dict[str, float], backend: str) -> str:
    maxima = ", ".join(
        f"{KOREAN_NAMES[a]} {findings[f'max_derivative.{a}']:.3g}" for a in p.activations
    )
    maxima = josa(maxima, "이었고", "였고")
    top = findings["softmax.max_probability"]
    relu = ""
    if "relu" in p.activations:
        at_zero = f"{findings['derivative_at_zero.relu']:g}"
        relu = (
            f" ReLU는 x = 0에서 미분할 수 없지만 {backend} 백엔드의 자동 미분은 그 점의 "
            f"서브그래디언트(subgradient)로 "
            f"{josa(at_zero, '을', '를')} 썼고,"
        )
    return (
        f"x ∈ [-{p.x_range:g}, {p.x_range:g}]에서 자동 미분(autodiff)으로 구한 도함수의 최댓값은 "
        f"{maxima},{relu} 점수 {len(p.logits)}개에 온도(temperature) {ro(f'{p.temperature:g}')} "
        f"소프트맥스(softmax)를 적용하면 확률의 합은 {findings['softmax.sum']:.6f}, "
        f"가장 큰 확률은 {josa(f'{top:.3f}', '이었습니다', '였습니다')}."
    )


def run(p: ActivationFunctionsParams, progress: Progress) -> Result:
    import keras
    from keras import ops

    from studykit import activations
    from studykit._gradients import elementwise_derivative

    grid = _grid(p.x_range, p.points)
    zero = int(np.flatnonzero(grid == 0.0)[0])
    rows: list[dict] = []
    findings: dict[str, float] = {}
    for index, name in enumerate(p.activations):
        values, derivatives = elementwise_derivative(_function(name, p), grid)
        for kind, ys in (("value", values), ("derivative", derivatives)):
            rows += [
                {"activation": name, "x": float(x), "kind": kind, "y": float(y)}
                for x, y in zip(grid, ys)
            ]
        findings[f"max_derivative.{name}"] = float(np.max(derivatives))
        findings[f"derivative_at_zero.{name}"] = float(derivatives[zero])
        progress((index + 1) / (len(p.activations) + 1), f"{KOREAN_NAMES[name]} 미분 완료")

    logits = np.asarray(p.logits, dtype=keras.config.floatx())
    scaled = ops.convert_to_tensor(logits / np.float32(p.temperature))
    probabilities = ops.convert_to_numpy(activations.softmax(scaled)).astype(float)
    shifted = ops.convert_to_numpy(activations.softmax(scaled + 100.0)).astype(float)
    findings["softmax.sum"] = float(np.sum(probabilities))
    findings["softmax.max_probability"] = float(np.max(probabilities))
    findings["softmax.entropy"] = float(-np.sum(probabilities * np.log(probabilities + 1e-30)))
    # Adding the same constant to every score changes nothing (what makes the max-shift safe).
    findings["softmax.shift_max_abs_diff"] = float(np.max(np.abs(shifted - probabilities)))
    softmax_rows = [
        {"index": i, "logit": float(z), "probability": float(q)}
        for i, (z, q) in enumerate(zip(p.logits, probabilities))
    ]
    return Result(
        frames={
            "curves": frame(rows, ["activation", "x", "kind", "y"]),
            "softmax": frame(softmax_rows, ["index", "logit", "probability"]),
        },
        findings=findings,
        summary=_summary(p, findings, keras.backend.backend()),
    )


def charts(result: Result) -> list:
    import altair as alt

    curves = result.frames["curves"].assign(
        activation=lambda d: d["activation"].map(KOREAN_NAMES),
        kind=lambda d: d["kind"].map(KIND_NAMES),
    )
    curve_chart = (
        alt.Chart(thin(curves, "x"))
        .mark_line()
        .encode(
            x=alt.X("x:Q", title="입력 x"),
            y=alt.Y("y:Q", title=None),
            color=alt.Color("activation:N", title="활성화 함수"),
            tooltip=[
                alt.Tooltip("activation:N", title="활성화 함수"),
                alt.Tooltip("x:Q", format=".2f"),
                alt.Tooltip("y:Q", format=".4f"),
            ],
        )
        .properties(width=300, height=240)
        .facet(column=alt.Column("kind:N", title=None, sort=list(KIND_NAMES.values())))
        .resolve_scale(y="independent")
        .properties(title="활성화 함수와 그 도함수")
    )
    softmax = result.frames["softmax"].assign(
        label=lambda d: [f"{i} (z = {z:g})" for i, z in zip(d["index"], d["logit"])]
    )
    base = alt.Chart(softmax, title="소프트맥스 (softmax) 출력 확률").encode(
        x=alt.X("label:N", title="클래스 번호 (점수 z)", sort=None, axis=alt.Axis(labelAngle=0)),
        y=alt.Y("probability:Q", title="확률 (probability)", scale=alt.Scale(domain=[0, 1])),
        tooltip=[
            alt.Tooltip("index:Q", title="번호"),
            alt.Tooltip("logit:Q", title="점수 (logit)", format=".3f"),
            alt.Tooltip("probability:Q", title="확률", format=".4f"),
        ],
    )
    bars = base.mark_bar() + base.mark_text(dy=-6).encode(
        text=alt.Text("probability:Q", format=".3f")
    )
    return [curve_chart, bars.properties(width=300, height=220)]


EXPERIMENT = Experiment(
    name="activation_functions",
    title="활성화 함수 (activation function)와 도함수, 소프트맥스 (softmax)",
    caption=(
        "오른쪽 도함수 그래프에서 시그모이드의 봉우리가 0.25, tanh가 1에서 멈추고 |x|가 커지면 "
        "둘 다 0으로 눌리는지(포화, saturation), ReLU 계열은 x > 0에서 기울기 1을 유지하는지 "
        "보세요. ReLU의 x = 0에서 꺾인 점은 미분이 안 되므로 프레임워크가 정한 값(0)이 쓰입니다. "
        "아래 막대는 소프트맥스 확률이며 합이 항상 1이고, 온도를 올리면 고르게, 내리면 "
        "가장 큰 점수 쪽으로 몰리는지 비교하세요."
    ),
    params=ActivationFunctionsParams,
    presets={
        "default": {},
        "tiny": {"points": 21, "activations": ["sigmoid", "relu"], "logits": [1.0, 0.0]},
        "notes_leaky": {"leaky_alpha": 0.1},
        "hot_softmax": {"temperature": 5.0},
        "cold_softmax": {"temperature": 0.2},
    },
    runner=run,
    charts=charts,
    findings={
        "max_derivative": ("도함수의 최댓값", ""),
        "derivative_at_zero": ("x = 0에서의 도함수", ""),
        "softmax.sum": ("소프트맥스 출력의 합", ""),
        "softmax.max_probability": ("소프트맥스 최대 확률", "%"),
        "softmax.entropy": ("소프트맥스 엔트로피 (entropy)", ""),
        "softmax.shift_max_abs_diff": ("입력에 상수를 더했을 때 출력 차이 (최대)", ""),
    },
)
