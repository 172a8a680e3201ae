"""Adaptive learning rates: the effective per-parameter step size of AdaGrad, RMSProp and Adam.

Claim: fed the same stream of noisy gradients (a large one, |g| ≈ 1, and a small one,
|g| ≈ 0.01), SGD's step is proportional to the gradient, so the small-gradient parameter
barely moves, while the adaptive methods divide by a running size of the gradient and move
both parameters by about the learning rate. AdaGrad divides by the square root of the *sum*
of all squared gradients, so its step keeps shrinking (≈ lr/√t); RMSProp uses an exponential
*average* instead, so its step settles at ≈ lr and stays there. RMSProp starts with a too
large step (its average starts at 0: the first step is lr/√(1 − ρ) ≈ 3.2·lr); Adam corrects
that bias: with bias correction its first step is ≈ lr, while the uncorrected variant
(computed here in numpy, same β₁, β₂, ε) steps (1 − β₁)/√(1 − β₂) ≈ 3.2 times further at
step 1, and even more a few steps later.

The gradient stream does not depend on the parameters (a noisy linear loss L_t(θ) = g_t·θ), so
every optimizer sees exactly the same gradients and only its rule differs. SGD, AdaGrad,
RMSProp and Adam are studykit.optimizers driven with ``apply_gradients``, each on a
keras.Variable of shape (2,), side by side in one traced loop
(``studykit._gradients.optimizer_paths``). AdaGrad's accumulator starts at 0 as in the book
and the paper (Keras' default initial_accumulator_value is 0.1, which would dominate the small
parameter's sum).
"""

from __future__ import annotations

import math
from typing import Literal

import numpy as np
from pydantic import Field

from studykit.experiments._charts import thin
from studykit.experiments._fit import frame
from studykit.experiments.base import Experiment, Params, Progress, Result

OPTIMIZERS = ("sgd", "adagrad", "rmsprop", "adam")
NAMES = {
    "sgd": "SGD",
    "adagrad": "AdaGrad",
    "rmsprop": "RMSProp",
    "adam": "Adam",
    "adam_uncorrected": "Adam (편향 보정 없음)",
}
PARAMETERS = ("large", "small")
PARAMETER_NAMES = {"large": "큰 기울기 파라미터 (|g| ≈ 1)", "small": "작은 기울기 파라미터"}
WINDOW = 10  # steps averaged at the start and at the end
EPSILON = 1e-7

OptimizerName = Literal[OPTIMIZERS]  # type: ignore[valid-type]


class AdaptiveLrParams(Params):
    optimizers: tuple[OptimizerName, ...] = Field(
        OPTIMIZERS, min_length=1, max_length=4, title="옵티마이저 (optimizer)"
    )
    steps: int = Field(100, ge=2 * WINDOW, le=2000, title="갱신 횟수 (steps)")
    learning_rate: float = Field(0.01, ge=1e-5, le=1.0, title="학습률 (learning rate, 모두 같음)")
    small_gradient: float = Field(
        0.01, ge=1e-4, le=1.0, title="작은 파라미터의 기울기 크기 (큰 쪽은 1)"
    )
    noise: float = Field(0.3, ge=0.0, le=1.0, title="기울기 잡음 (상대 표준편차)")
    rho: float = Field(0.9, ge=0.0, le=0.999, title="RMSProp 감쇠율 ρ (Keras 기본 0.9)")
    beta_1: float = Field(0.9, ge=0.0, le=0.999, title="Adam β₁")
    beta_2: float = Field(0.999, ge=0.0, le=0.9999, title="Adam β₂")
    seed: int = Field(0, ge=0, le=2**31 - 1, title="시드 (seed)")


def _gradients(p: AdaptiveLrParams) -> np.ndarray:
    """(steps, 2) noisy gradients: column 0 around 1, column 1 around ``small_gradient``."""
    rng = np.random.default_rng(p.seed)
    scales = np.array([1.0, p.small_gradient])
    noise = 1.0 + p.noise * rng.standard_normal((p.steps, 2))
    return (scales * noise).astype("float32").astype(np.float64)


def _optimizer(name: str, p: AdaptiveLrParams):
    from studykit import optimizers

    if name == "sgd":
        return optimizers.SGD(learning_rate=p.learning_rate)
    if name == "adagrad":
        return optimizers.AdaGrad(
            learning_rate=p.learning_rate, initial_accumulator_value=0.0, epsilon=EPSILON
        )
    if name == "rmsprop":
        return optimizers.RMSProp(learning_rate=p.learning_rate, rho=p.rho, epsilon=EPSILON)
    return optimizers.Adam(
        learning_rate=p.learning_rate, beta_1=p.beta_1, beta_2=p.beta_2, epsilon=EPSILON
    )


def _adam_numpy(p: AdaptiveLrParams, gradients: np.ndarray, corrected: bool) -> np.ndarray:
    """Adam's position after each step, in numpy (paper form when ``corrected``)."""
    theta, m, v = np.zeros(2), np.zeros(2), np.zeros(2)
    positions = [theta.copy()]
    for t, g in enumerate(gradients, start=1):
        m = p.beta_1 * m + (1 - p.beta_1) * g
        v = p.beta_2 * v + (1 - p.beta_2) * g * g
        if corrected:
            m_hat, v_hat = m / (1 - p.beta_1**t), v / (1 - p.beta_2**t)
        else:
            m_hat, v_hat = m, v
        theta = theta - p.learning_rate * m_hat / (np.sqrt(v_hat) + EPSILON)
        positions.append(theta.copy())
    return np.array(positions)


def run(p: AdaptiveLrParams, progress: Progress) -> Result:
    from keras import ops

    from studykit._gradients import optimizer_paths

    gradients = _gradients(p)

    def gradient(step, _position):  # the same stream wherever the parameters are
        return ops.take(gradients, step, axis=0)

    optimizers = [_optimizer(n, p) for n in p.optimizers]
    traced = optimizer_paths(optimizers, np.zeros(2), p.steps, gradient)
    paths = dict(zip(p.optimizers, traced, strict=True))
    progress(0.95, f"옵티마이저 {len(optimizers)}개: {p.steps}번씩 갱신")
    paths["adam_uncorrected"] = _adam_numpy(p, gradients, corrected=False)
    reference = _adam_numpy(p, gradients, corrected=True)

    rows = []
    sizes: dict[str, np.ndarray] = {}
    for n, path in paths.items():
        step_sizes = np.abs(np.diff(path, axis=0))  # (steps, 2)
        sizes[n] = step_sizes
        for step in range(p.steps):
            for index, parameter in enumerate(PARAMETERS):
                g = gradients[step, index]
                rows.append(
                    {
                        "optimizer": n,
                        "parameter": parameter,
                        "step": step + 1,
                        "gradient": float(g),
                        "step_size": float(step_sizes[step, index]),
                        "effective_lr": float(step_sizes[step, index] / abs(g))
                        if g != 0
                        else math.nan,
                    }
                )

    findings: dict[str, float] = {}
    for n, step_sizes in sizes.items():
        first = step_sizes[:WINDOW].mean(axis=0)
        last = step_sizes[-WINDOW:].mean(axis=0)
        findings[f"step_ratio_last_to_first.{n}"] = float(last[0] / first[0])
        findings[f"step_ratio_last_to_first.small.{n}"] = float(last[1] / first[1])
        middle_start = (len(step_sizes) - WINDOW) // 2
        middle = step_sizes[middle_start : middle_start + WINDOW].mean(axis=0)
        findings[f"step_ratio_last_to_middle.{n}"] = float(last[0] / middle[0])
        findings[f"first_step_over_lr.{n}"] = float(step_sizes[0, 0] / p.learning_rate)
        findings[f"last_step_over_lr.{n}"] = float(last[0] / p.learning_rate)
        findings[f"small_to_large_step.{n}"] = float(
            step_sizes[:, 1].mean() / step_sizes[:, 0].mean()
        )
    if "adam" in p.optimizers:
        corrected = sizes["adam"][:, 0]
        uncorrected = sizes["adam_uncorrected"][:, 0]
        ratio = uncorrected / corrected
        findings["adam_bias_correction_factor_step1"] = float(ratio[0])
        findings["adam_uncorrected_peak_factor"] = float(ratio.max())
        findings["adam_uncorrected_peak_step"] = float(np.argmax(ratio) + 1)
        findings["adam_theory_factor_step1"] = (1 - p.beta_1) / math.sqrt(1 - p.beta_2)
        findings["adam_matches_numpy"] = float(
            np.max(np.abs(paths["adam"] - reference)) < 1e-3 * max(1.0, p.steps * p.learning_rate)
        )
    return Result(
        frames={
            "steps": frame(
                rows,
                ["optimizer", "parameter", "step", "gradient", "step_size", "effective_lr"],
            ),
            "gradients": frame(
                [
                    {"step": s + 1, "parameter": parameter, "gradient": float(gradients[s, i])}
                    for s in range(p.steps)
                    for i, parameter in enumerate(PARAMETERS)
                ],
                ["step", "parameter", "gradient"],
            ),
        },
        findings=findings,
        summary=_summary(p, findings),
    )


def _summary(p: AdaptiveLrParams, findings: dict[str, float]) -> str:
    parts = []
    ratios = ", ".join(
        f"{NAMES[n]} {findings[f'step_ratio_last_to_first.{n}']:.2f}배" for n in p.optimizers
    )
    parts.append(
        f"같은 잡음 섞인 기울기로 {p.steps}번 갱신했을 때 마지막 {WINDOW}스텝의 평균 보폭을 처음 "
        f"{WINDOW}스텝과 비교하면 {ratios}였고"
    )
    if "adagrad" in p.optimizers and "rmsprop" in p.optimizers:
        parts.append(
            f"(중간 {WINDOW}스텝과 비교하면 AdaGrad "
            f"{findings['step_ratio_last_to_middle.adagrad']:.2f}배, RMSProp "
            f"{findings['step_ratio_last_to_middle.rmsprop']:.2f}배)"
        )
    if "sgd" in p.optimizers:
        parts.append(
            f", 작은 기울기 파라미터의 보폭은 큰 쪽의 SGD에서 "
            f"{findings['small_to_large_step.sgd']:.3f}배"
            + (
                f", Adam에서 {findings['small_to_large_step.adam']:.2f}배"
                if "adam" in p.optimizers
                else ""
            )
            + "였으며"
        )
    if "adam" in p.optimizers:
        parts.append(
            f", 첫 스텝에서 편향 보정(bias correction)을 뺀 Adam은 보정한 Adam보다 "
            f"{findings['adam_bias_correction_factor_step1']:.2f}배(이론값 (1 − β₁)/√(1 − β₂) = "
            f"{findings['adam_theory_factor_step1']:.2f}) 멀리, "
            f"{findings['adam_uncorrected_peak_step']:.0f}번째 스텝에서는 "
            f"{findings['adam_uncorrected_peak_factor']:.1f}배까지 멀리 움직였습니다"
        )
    else:
        parts.append(" 학습을 마쳤습니다")
    return "".join(parts) + "."


def charts(result: Result) -> list:
    import altair as alt

    steps = result.frames["steps"].assign(
        name=lambda d: d["optimizer"].map(NAMES),
        parameter_name=lambda d: d["parameter"].map(PARAMETER_NAMES),
    )
    steps = steps[steps["step_size"] > 0]
    order = list(NAMES.values())
    sizes = (
        alt.Chart(thin(steps, "step"))
        .mark_line()
        .encode(
            x=alt.X("step:Q", title="갱신 횟수 t"),
            y=alt.Y("step_size:Q", title="실제 보폭 |Δθ| (로그 눈금)", scale=alt.Scale(type="log")),
            color=alt.Color("name:N", title="옵티마이저", sort=order),
            strokeDash=alt.StrokeDash("name:N", sort=order, legend=None),
            tooltip=["name", "parameter_name", "step", alt.Tooltip("step_size:Q", format=".3e")],
        )
        .properties(width=300, height=240)
        .facet(column=alt.Column("parameter_name:N", title=None))
        .properties(title="파라미터별 실제 보폭 (학습률이 모두 같을 때)")
    )
    early = steps[
        (steps["parameter"] == "large") & steps["optimizer"].isin(["adam", "adam_uncorrected"])
    ]
    early = early[early["step"] <= 40]
    bias = (
        alt.Chart(early, title="Adam 편향 보정 (bias correction)의 효과: 처음 40스텝")
        .mark_line(point=True)
        .encode(
            x=alt.X("step:Q", title="갱신 횟수 t"),
            y=alt.Y("step_size:Q", title="보폭 |Δθ|"),
            color=alt.Color("name:N", title="Adam"),
            tooltip=["name", "step", alt.Tooltip("step_size:Q", format=".4f")],
        )
    )
    effective = steps[steps["parameter"] == "large"]
    effective_chart = (
        alt.Chart(
            thin(effective, "step"), title="실질 학습률 |Δθ| / |g| (큰 기울기 파라미터, 로그 눈금)"
        )
        .mark_line()
        .encode(
            x=alt.X("step:Q", title="갱신 횟수 t"),
            y=alt.Y("effective_lr:Q", title="실질 학습률", scale=alt.Scale(type="log")),
            color=alt.Color("name:N", title="옵티마이저", sort=order),
            tooltip=["name", "step", alt.Tooltip("effective_lr:Q", format=".3e")],
        )
    )
    return [sizes, alt.hconcat(effective_chart, bias)]


EXPERIMENT = Experiment(
    name="adaptive_lr",
    title="적응적 학습률 (adaptive learning rate): AdaGrad, RMSProp, Adam의 실제 보폭",
    caption=(
        "첫 그래프에서 SGD는 작은 기울기 파라미터를 거의 움직이지 못하지만 적응적 방법들은 두 "
        "파라미터를 비슷한 보폭으로 움직이는지, AdaGrad의 보폭은 계속 줄어드는데 RMSProp과 Adam은 "
        "일정하게 유지되는지 보세요. 오른쪽 그래프에서는 편향 보정이 없는 Adam이 처음 몇 스텝 "
        "동안 학습률보다 훨씬 크게 움직이는 것을 확인하세요."
    ),
    params=AdaptiveLrParams,
    presets={
        "default": {},
        "tiny": {"steps": 20},
        "long": {"steps": 1000},
        "no_noise": {"noise": 0.0},
    },
    runner=run,
    charts=charts,
    findings={
        "step_ratio_last_to_first.small": ("작은 기울기 파라미터: 마지막/첫 갱신 폭", "x"),
        "step_ratio_last_to_first": ("마지막/첫 갱신 폭 (큰 기울기 파라미터)", "x"),
        "step_ratio_last_to_middle": ("마지막/중간 갱신 폭", "x"),
        "first_step_over_lr": ("첫 갱신 폭 ÷ 학습률", "x"),
        "last_step_over_lr": ("마지막 갱신 폭 ÷ 학습률", "x"),
        "small_to_large_step": ("작은 기울기 / 큰 기울기 파라미터의 갱신 폭", "x"),
        "adam_bias_correction_factor_step1": ("Adam 첫 스텝: 보정 없는 갱신 ÷ 보정한 갱신", "x"),
        "adam_uncorrected_peak_factor": ("편향 보정이 없을 때 갱신 폭 배율의 최댓값", "x"),
        "adam_uncorrected_peak_step": ("그 최댓값이 나온 스텝", "steps"),
        "adam_theory_factor_step1": ("이론값 (1 − β₁)/√(1 − β₂)", "x"),
        "adam_matches_numpy": ("studykit Adam = NumPy 식", "flag"),
    },
    series={"adam_uncorrected": "Adam (편향 보정 없음)", "small": "작은 기울기"},
)
