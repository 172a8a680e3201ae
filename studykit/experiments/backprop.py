"""Backpropagation by hand: the chain rule, one local derivative at a time, vs autodiff.

A 2-layer network on one example: z₁ = x·W₁ + b₁, h = act(z₁), z₂ = h·W₂ + b₂, ŷ = σ(z₂) and a
loss L(ŷ, y) (MSE (ŷ − y)² or binary cross-entropy). Going backwards from ∂L/∂L = 1, every node
multiplies the gradient arriving from above (upstream) by its own local derivative and passes
the product (downstream) on: that is all backpropagation is. The gradients of all parameters
computed this way in numpy (float64) agree with Keras' automatic differentiation
(``studykit._gradients``, float32) to ~1e-7, i.e. to float32 rounding.

Claim: max |chain rule − autodiff| over all parameters < 1e-6. With sigmoid + BCE the output
delta ∂L/∂z₂ simplifies to ŷ − y; with sigmoid + MSE it is 2(ŷ − y)·ŷ(1 − ŷ).
"""

from __future__ import annotations

from typing import Annotated, Literal

import numpy as np
from pydantic import Field

from studykit.experiments._fit import frame
from studykit.experiments._labels import josa
from studykit.experiments._models import set_random_seed
from studykit.experiments.base import Experiment, Params, Progress, Result

InputValue = Annotated[float, Field(ge=-10.0, le=10.0)]

ACTIVATION_DERIVATIVES = {
    "sigmoid": "σ'(z₁) = h(1 − h)",
    "tanh": "tanh'(z₁) = 1 − h²",
    "relu": "ReLU'(z₁) = 1 (z₁ > 0), 0 (z₁ ≤ 0)",
}
LOSS_NAMES = {"mse": "평균제곱오차 (MSE)", "bce": "이진 교차 엔트로피 (BCE)"}


class BackpropParams(Params):
    inputs: tuple[InputValue, ...] = Field(
        (0.05, 0.10), min_length=1, max_length=4, title="입력값 x (쉼표로 구분, 1~4개)"
    )
    hidden_units: int = Field(2, ge=1, le=4, title="은닉층 뉴런 수 (hidden units)")
    target: float = Field(1.0, ge=0.0, le=1.0, title="정답 y (0~1)")
    activation: Literal["sigmoid", "relu", "tanh"] = Field(
        "sigmoid", title="은닉층 활성화 함수 (activation)"
    )
    loss: Literal["mse", "bce"] = Field("mse", title="손실 함수 (loss): mse 또는 bce")
    weight_scale: float = Field(1.0, ge=0.1, le=3.0, title="가중치 표준편차 (weight scale)")
    seed: int = Field(0, ge=0, le=2**31 - 1, title="가중치 시드 (weights seed)")


def _weights(p: BackpropParams) -> dict[str, np.ndarray]:
    """Seeded weights, rounded through float32 so numpy and Keras use the same numbers."""
    rng = np.random.default_rng(p.seed)
    n_in, n_hidden = len(p.inputs), p.hidden_units
    shapes = {"W1": (n_in, n_hidden), "b1": (n_hidden,), "W2": (n_hidden, 1), "b2": (1,)}
    return {
        name: (p.weight_scale * rng.normal(size=shape)).astype("float32").astype(np.float64)
        for name, shape in shapes.items()
    }


def _act(name: str, z: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(act(z), act'(z)) in float64; ReLU'(0) = 0 like Keras/TF."""
    if name == "sigmoid":
        h = 1.0 / (1.0 + np.exp(-z))
        return h, h * (1.0 - h)
    if name == "tanh":
        h = np.tanh(z)
        return h, 1.0 - h**2
    return np.maximum(z, 0.0), (z > 0).astype(float)


def chain_rule(p: BackpropParams, w: dict[str, np.ndarray]):
    """Forward rows, backward rows (one per local derivative) and the parameter gradients."""
    x = np.asarray(p.inputs, dtype="float32").astype(np.float64)
    y = float(np.float32(p.target))
    z1 = x @ w["W1"] + w["b1"]
    h, dh = _act(p.activation, z1)
    z2 = float(h @ w["W2"][:, 0] + w["b2"][0])
    y_hat = 1.0 / (1.0 + np.exp(-z2))
    if p.loss == "mse":
        loss = (y_hat - y) ** 2
        d_yhat, d_yhat_text = 2.0 * (y_hat - y), "∂L/∂ŷ = 2(ŷ − y)"
    else:
        loss = -(y * np.log(y_hat) + (1.0 - y) * np.log(1.0 - y_hat))
        d_yhat = -y / y_hat + (1.0 - y) / (1.0 - y_hat)
        d_yhat_text = "∂L/∂ŷ = −y/ŷ + (1 − y)/(1 − ŷ)"

    forward = [{"step": 1, "node": f"x[{i + 1}]", "value": float(v)} for i, v in enumerate(x)]
    forward += [{"step": 2, "node": f"z1[{j + 1}]", "value": float(v)} for j, v in enumerate(z1)]
    forward += [{"step": 3, "node": f"h[{j + 1}]", "value": float(v)} for j, v in enumerate(h)]
    forward += [
        {"step": 4, "node": "z2", "value": z2},
        {"step": 5, "node": "y_hat", "value": float(y_hat)},
        {"step": 6, "node": "L", "value": float(loss)},
    ]

    backward: list[dict] = []

    def add(node: str, expression: str, local: float, upstream: float) -> float:
        downstream = local * upstream
        backward.append(
            {
                "step": len(backward) + 1,
                "node": node,
                "expression": expression,
                "local": float(local),
                "upstream": float(upstream),
                "downstream": float(downstream),
            }
        )
        return downstream

    grads: dict[str, float] = {}
    g_yhat = add("y_hat", d_yhat_text, d_yhat, 1.0)
    g_z2 = add("z2", "∂ŷ/∂z₂ = ŷ(1 − ŷ)", y_hat * (1.0 - y_hat), g_yhat)
    for j in range(p.hidden_units):
        grads[f"W2[{j + 1}]"] = add(f"W2[{j + 1}]", f"∂z₂/∂W2[{j + 1}] = h[{j + 1}]", h[j], g_z2)
    grads["b2"] = add("b2", "∂z₂/∂b₂ = 1", 1.0, g_z2)
    for j in range(p.hidden_units):
        g_h = add(f"h[{j + 1}]", f"∂z₂/∂h[{j + 1}] = W2[{j + 1}]", w["W2"][j, 0], g_z2)
        expression = ACTIVATION_DERIVATIVES[p.activation].replace("z₁", f"z1[{j + 1}]")
        g_z1 = add(f"z1[{j + 1}]", expression.replace(" h", f" h[{j + 1}]"), dh[j], g_h)
        for i in range(len(x)):
            name = f"W1[{i + 1},{j + 1}]"
            grads[name] = add(name, f"∂z1[{j + 1}]/∂{name} = x[{i + 1}]", x[i], g_z1)
        grads[f"b1[{j + 1}]"] = add(f"b1[{j + 1}]", f"∂z1[{j + 1}]/∂b1[{j + 1}] = 1", 1.0, g_z1)
    return forward, backward, grads, {"loss": loss, "y_hat": y_hat, "delta": g_z2}


def autodiff(p: BackpropParams, w: dict[str, np.ndarray]) -> dict[str, float]:
    """The same gradients from Keras' automatic differentiation (float32, any backend)."""
    import keras
    from keras import ops

    from studykit import activations, losses
    from studykit._gradients import loss_and_gradients

    set_random_seed(p.seed)
    model = keras.Sequential(
        [
            keras.Input((len(p.inputs),)),
            keras.layers.Dense(p.hidden_units, activation=activations.get(p.activation)),
            keras.layers.Dense(1, activation=activations.sigmoid),
        ]
    )
    model.layers[0].set_weights([w["W1"], w["b1"]])
    model.layers[1].set_weights([w["W2"], w["b2"]])
    loss_fn = losses.MeanSquaredError() if p.loss == "mse" else losses.BinaryCrossEntropy()
    x = np.asarray([p.inputs], dtype="float32")
    y = np.asarray([[p.target]], dtype="float32")
    _, gradients = loss_and_gradients(model, x, y, loss_fn)
    g_w1, g_b1, g_w2, g_b2 = (ops.convert_to_numpy(g).astype(np.float64) for g in gradients)
    grads: dict[str, float] = {}
    for j in range(p.hidden_units):
        grads[f"W2[{j + 1}]"] = g_w2[j, 0]
    grads["b2"] = g_b2[0]
    for j in range(p.hidden_units):
        for i in range(len(p.inputs)):
            grads[f"W1[{i + 1},{j + 1}]"] = g_w1[i, j]
        grads[f"b1[{j + 1}]"] = g_b1[j]
    return {k: float(v) for k, v in grads.items()}


def _summary(p: BackpropParams, findings: dict[str, float], count: int) -> str:
    inputs = ", ".join(f"{v:g}" for v in p.inputs)
    delta = josa(f"{findings['output_delta']:.4f}", "이었으며", "였으며")
    return (
        f"입력 ({inputs})을 은닉 뉴런 {p.hidden_units}개({p.activation})와 시그모이드 출력, "
        f"{LOSS_NAMES[p.loss]} 손실로 순전파하면 ŷ = {findings['prediction']:.4f}, 손실 = "
        f"{findings['loss']:.4f}이고, 출력층의 델타 ∂L/∂z₂는 {delta}, "
        f"국소 미분(local derivative)을 연쇄 법칙(chain rule)으로 한 단계씩 곱해 구한 기울기 "
        f"{count}개는 자동 미분(autodiff) 결과와 최대 {findings['max_abs_diff']:.1e}만큼만 달라 "
        f"부동소수점 오차 안에서 일치했습니다."
    )


def run(p: BackpropParams, progress: Progress) -> Result:
    import keras

    weights = _weights(p)
    forward, backward, by_hand, values = chain_rule(p, weights)
    progress(0.4, "연쇄 법칙으로 역전파 완료")
    by_autodiff = autodiff(p, weights)
    progress(0.9, "자동 미분 완료")
    rows = [
        {
            "parameter": name,
            "chain_rule": by_hand[name],
            "autodiff": by_autodiff[name],
            "abs_diff": abs(by_hand[name] - by_autodiff[name]),
        }
        for name in by_hand
    ]
    gradients = frame(rows, ["parameter", "chain_rule", "autodiff", "abs_diff"])
    findings = {
        "max_abs_diff": float(gradients["abs_diff"].max()),
        "loss": float(values["loss"]),
        "prediction": float(values["y_hat"]),
        "residual": float(values["y_hat"] - np.float32(p.target)),
        "output_delta": float(values["delta"]),
        "grad_norm": float(np.linalg.norm(gradients["chain_rule"])),
    }
    warnings = []
    eps = keras.config.epsilon()
    if p.loss == "bce" and not eps < values["y_hat"] < 1 - eps:
        warnings.append(
            f"ŷ = {values['y_hat']:.3g}가 0이나 1에 너무 가까워 교차 엔트로피가 확률을 "
            f"[{eps:g}, 1 − {eps:g}]로 잘라(clip) 자동 미분의 기울기가 0이 됩니다. "
            "가중치 크기(weight scale)나 입력값을 줄여 보세요."
        )
    return Result(
        frames={
            "forward": frame(forward, ["step", "node", "value"]),
            "backward": frame(
                backward, ["step", "node", "expression", "local", "upstream", "downstream"]
            ),
            "gradients": gradients,
        },
        findings=findings,
        summary=_summary(p, findings, len(rows)),
        warnings=warnings,
    )


def charts(result: Result) -> list:
    import altair as alt

    backward = result.frames["backward"].assign(
        label=lambda d: d["step"].astype(str) + ". " + d["node"]
    )
    backward_chart = (
        alt.Chart(backward, title="역전파 한 단계씩: 하류 기울기 = 국소 미분 × 상류 기울기")
        .mark_bar()
        .encode(
            y=alt.Y("label:N", title="노드 (역전파 순서)", sort=None),
            x=alt.X("downstream:Q", title="하류 기울기 (downstream) ∂L/∂노드"),
            color=alt.condition(
                alt.datum.downstream >= 0, alt.value("#2166ac"), alt.value("#b2182b")
            ),
            tooltip=[
                alt.Tooltip("node:N", title="노드"),
                alt.Tooltip("expression:N", title="국소 미분 식"),
                alt.Tooltip("local:Q", title="국소 미분 (local)", format=".6f"),
                alt.Tooltip("upstream:Q", title="상류 기울기 (upstream)", format=".6f"),
                alt.Tooltip("downstream:Q", title="하류 기울기 (downstream)", format=".6f"),
            ],
        )
        .properties(width=360)
    )
    gradients = result.frames["gradients"].melt(
        id_vars=["parameter", "abs_diff"],
        value_vars=["chain_rule", "autodiff"],
        var_name="method",
        value_name="gradient",
    )
    gradients["method"] = gradients["method"].map(
        {"chain_rule": "연쇄 법칙 (numpy)", "autodiff": "자동 미분 (Keras)"}
    )
    compare = (
        alt.Chart(gradients, title="매개변수별 기울기: 연쇄 법칙 vs 자동 미분 (점이 겹치면 일치)")
        .mark_point(filled=False, size=120)
        .encode(
            y=alt.Y("parameter:N", title="매개변수", sort=None),
            x=alt.X("gradient:Q", title="∂L/∂매개변수"),
            shape=alt.Shape("method:N", title="계산 방법"),
            color=alt.Color("method:N", title="계산 방법"),
            tooltip=[
                "parameter",
                "method",
                alt.Tooltip("gradient:Q", format=".8f"),
                alt.Tooltip("abs_diff:Q", title="차이", format=".2e"),
            ],
        )
        .properties(width=360)
    )
    forward = result.frames["forward"]
    forward_chart = (
        alt.Chart(forward, title="순전파 값 (forward pass)")
        .mark_bar()
        .encode(
            y=alt.Y("node:N", title="노드 (계산 순서)", sort=None),
            x=alt.X("value:Q", title="값"),
            tooltip=["step", "node", alt.Tooltip("value:Q", format=".6f")],
        )
        .properties(width=360)
    )
    return [forward_chart, backward_chart, compare]


EXPERIMENT = Experiment(
    name="backprop",
    title="역전파 (backpropagation): 연쇄 법칙을 한 단계씩 vs 자동 미분",
    caption=(
        "역전파 표(그래프)를 위에서 아래로 읽으세요: 각 노드에서 하류 기울기는 위에서 내려온 "
        "상류 기울기에 그 노드의 국소 미분을 곱한 값이고, 그것이 다음 노드의 상류 기울기가 "
        "됩니다. 마지막 그래프에서 손으로 구한 기울기(numpy)와 Keras 자동 미분의 점이 "
        "매개변수마다 겹치는지(차이 약 1e-7 이하) 확인하세요. 손실을 bce로 바꾸면 z₂의 하류 "
        "기울기가 정확히 ŷ − y가 됩니다."
    ),
    params=BackpropParams,
    presets={
        "default": {},
        "tiny": {"inputs": [1.0], "hidden_units": 1},
        "bce": {"loss": "bce"},
        "relu": {"activation": "relu", "inputs": [1.0, -2.0, 0.5]},
        "wide": {"inputs": [0.5, -1.0, 2.0, 0.1], "hidden_units": 4, "activation": "tanh"},
    },
    runner=run,
    charts=charts,
    findings={
        "prediction": ("예측 ŷ", ""),
        "loss": ("손실", ""),
        "output_delta": ("출력층 델타 ∂L/∂z₂", ""),
        "max_abs_diff": ("손으로 푼 기울기와 자동 미분의 최대 차이", ""),
        "grad_norm": ("기울기 노름", ""),
        "residual": ("오차 ŷ − y", ""),
    },
)
