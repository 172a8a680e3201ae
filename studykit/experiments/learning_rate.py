"""Learning rate: too small, good, too large — on a quadratic and on a small network.

Claim: on f(w) = L/2·w² gradient descent multiplies w by (1 − ηL) at every step, so a small
learning rate η converges slowly, η < 1/L converges without overshooting, 1/L < η < 2/L
overshoots (w changes sign every step) but still converges, and η > 2/L diverges. The
measured divergence threshold (bisection on the learning rate, each probe a gradient-descent
run) equals 2/L. A small regression network shows the same three regimes: slow, fast, and a
loss that blows up to inf/NaN (stopped by studykit.callbacks.DivergenceGuard and reported as a
warning, not a crash).

The quadratic is driven by studykit.optimizers.SGD on a keras.Variable (gradient L·w computed
analytically); the threshold scan uses the same rule in numpy on a fine grid of learning rates.
The network is trained once per learning rate from the same initial weights and the same batch
order (one compiled model; weights reset, learning rate reassigned).
"""

from __future__ import annotations

import math
from typing import Annotated

import numpy as np
from pydantic import Field, field_validator

from studykit.experiments._batch_losses import batch_loss_recorder
from studykit.experiments._fit import fit, frame
from studykit.experiments._models import build_mlp, reuse, set_random_seed
from studykit.experiments.base import Experiment, Params, Progress, Result, distinct

LearningRate = Annotated[float, Field(ge=1e-4, le=10.0)]

BEHAVIOURS = {
    "slow": "느리게 수렴",
    "converges": "수렴",
    "oscillates": "진동하며 수렴",
    "stuck": "같은 크기로 계속 진동",
    "diverges": "발산",
}
SLOW_TOLERANCE = 1e-3  # "converged" = loss fell below this share of the starting loss


class LearningRateParams(Params):
    curvature: float = Field(4.0, ge=0.1, le=100.0, title="곡률 L (f(w) = L/2·w²)")
    w0: float = Field(1.0, ge=0.1, le=100.0, title="시작점 w₀")
    learning_rates: tuple[LearningRate, ...] = Field(
        (0.02, 0.2, 0.4, 0.55),
        min_length=1,
        max_length=6,
        title="이차 함수에 쓸 학습률 (learning rate) 목록",
    )
    steps: int = Field(30, ge=5, le=200, title="갱신 횟수 (steps)")
    network_learning_rates: tuple[LearningRate, ...] = Field(
        (0.003, 0.03, 0.3, 1.0),
        min_length=1,
        max_length=6,
        title="신경망에 쓸 학습률 목록",
    )
    network_epochs: int = Field(4, ge=1, le=50, title="신경망 에폭 (epochs)")
    batch_size: int = Field(32, ge=4, le=256, title="신경망 배치 크기 (batch size)")
    samples: int = Field(256, ge=64, le=4096, title="신경망 데이터 수 (samples)")
    seed: int = Field(0, ge=0, le=2**31 - 1, title="시드 (seed)")

    @field_validator("learning_rates", "network_learning_rates")
    @classmethod
    def _distinct(cls, value):
        return tuple(sorted(distinct(value, "learning rates")))


def label(lr: float) -> str:
    return f"{lr:g}"


def _gd_growth(lrs: np.ndarray, curvature: float, steps: int) -> np.ndarray:
    """|w_T / w_0| after ``steps`` gradient-descent updates on L/2·w², for each lr (numpy)."""
    w = np.ones_like(lrs, dtype=np.float64)
    with np.errstate(over="ignore", invalid="ignore"):
        for _ in range(steps):
            w = w - lrs * curvature * w
    return np.abs(w)


def _threshold(curvature: float, steps: int) -> float:
    """Smallest learning rate whose gradient-descent run ends farther away than it started."""
    low, high = 0.0, 1.0 / curvature
    while _gd_growth(np.array([high]), curvature, steps)[0] <= 1.0:
        high *= 2.0
    for _ in range(60):
        middle = (low + high) / 2
        if _gd_growth(np.array([middle]), curvature, steps)[0] > 1.0:
            high = middle
        else:
            low = middle
    return high


def _behaviour(ws: np.ndarray, losses: np.ndarray, steps: int) -> str:
    w0, w_end = abs(ws[0]), abs(ws[-1])
    if not np.isfinite(w_end) or w_end > w0 * (1 + 1e-6):
        return "diverges"
    if w_end >= w0 * (1 - 1e-6):
        return "stuck"
    signs = np.sign(ws)
    if np.sum(signs[1:] * signs[:-1] < 0) >= steps // 2:
        return "oscillates"
    if losses[-1] > SLOW_TOLERANCE * losses[0]:
        return "slow"
    return "converges"


def _quadratic(p: LearningRateParams, progress: Progress, share: float):
    import keras

    from studykit import optimizers

    rows, summary_rows, warnings = [], [], []
    findings: dict[str, float] = {}
    for index, lr in enumerate(p.learning_rates):
        w = keras.Variable(np.array([p.w0], dtype="float32"), name="w")
        optimizer = optimizers.SGD(learning_rate=lr)
        values = [p.w0]
        for _ in range(p.steps):
            current = float(keras.ops.convert_to_numpy(w)[0])
            if not math.isfinite(current) or abs(current) > 1e15:
                break
            gradient = np.array([p.curvature * current], dtype="float32")
            optimizer.apply_gradients([(keras.ops.convert_to_tensor(gradient), w)])
            values.append(float(keras.ops.convert_to_numpy(w)[0]))
        ws = np.array(values, dtype=np.float64)
        losses = 0.5 * p.curvature * ws**2
        for step, (value, loss) in enumerate(zip(ws, losses)):
            rows.append({"lr": lr, "step": step, "w": float(value), "loss": float(loss)})
        behaviour = _behaviour(ws, losses, p.steps)
        sign_changes = int(np.sum(np.sign(ws[1:]) * np.sign(ws[:-1]) < 0))
        below = np.nonzero(losses <= SLOW_TOLERANCE * losses[0])[0]
        key = f"lr_{label(lr)}"
        findings[f"final_loss.{key}"] = float(losses[-1])
        findings[f"sign_changes.{key}"] = float(sign_changes)
        findings[f"diverged.{key}"] = float(behaviour == "diverges")
        findings[f"steps_to_tol.{key}"] = float(below[0]) if len(below) else math.nan
        summary_rows.append(
            {
                "lr": lr,
                "lr_times_L": lr * p.curvature,
                "factor": 1 - lr * p.curvature,
                "final_w": float(ws[-1]),
                "final_loss": float(losses[-1]),
                "sign_changes": sign_changes,
                "behaviour": behaviour,
            }
        )
        if behaviour == "diverges":
            warnings.append(
                f"이차 함수, 학습률 {label(lr)}: |1 − ηL| = {abs(1 - lr * p.curvature):.2f} > 1"
                f"이라 w가 매 스텝 커져 발산했습니다 ({len(ws) - 1}번 갱신 후 |w| = "
                f"{abs(ws[-1]):.3g}). 학습률을 2/L = {2 / p.curvature:.3g}보다 작게 하세요."
            )
        progress(share * (index + 1) / len(p.learning_rates), f"이차 함수, 학습률 {label(lr)}")
    return rows, summary_rows, findings, warnings


def _regression_data(p: LearningRateParams):
    rng = np.random.default_rng(p.seed)
    x = rng.normal(size=(p.samples, 8))
    w_true = rng.normal(size=(8, 1))
    y = 2.0 * np.tanh(x @ w_true / np.sqrt(8)) + 0.1 * rng.normal(size=(p.samples, 1))
    return x.astype("float32"), y.astype("float32")


def _network(p: LearningRateParams, progress: Progress, start: float):

    from studykit import losses, optimizers

    x, y = _regression_data(p)
    set_random_seed(p.seed)
    model = build_mlp(8, 1, [16], "tanh", "glorot_uniform", p.seed, output_activation=None)
    optimizer = optimizers.SGD(learning_rate=p.network_learning_rates[0])
    model.compile(optimizer=optimizer, loss=losses.MeanSquaredError(), jit_compile=False)
    model = reuse(model)
    optimizer = model.optimizer
    initial = model.get_weights()
    rows, warnings = [], []
    findings: dict[str, float] = {}
    share = (1.0 - start) / len(p.network_learning_rates)
    for index, lr in enumerate(p.network_learning_rates):
        model.set_weights(initial)
        optimizer.learning_rate = lr
        set_random_seed(p.seed)  # the same batch order for every learning rate
        recorder = batch_loss_recorder(len(x), p.batch_size, labels={"lr": lr})
        guard = fit(
            model,
            x,
            y,
            epochs=p.network_epochs,
            batch_size=p.batch_size,
            seed=p.seed,
            shuffle="keras",  # from Keras' global seed, set above
            max_loss=1e6,
            per_batch=True,  # the recorder reads every batch's loss
            progress=progress.slice(
                start + index * share, start + (index + 1) * share, f"신경망, 학습률 {label(lr)}"
            ),
            callbacks=[recorder],
        ).guard
        rows += recorder.records
        batch_losses = [r["loss"] for r in recorder.records]
        key = f"lr_{label(lr)}"
        findings[f"network_diverged.{key}"] = float(guard.diverged)
        findings[f"network_final_loss.{key}"] = (
            float(batch_losses[-1]) if batch_losses else math.nan
        )
        if guard.diverged:
            update = len(batch_losses)
            reason = "10⁶을 넘어" if "exceeded" in guard.reason else "NaN/inf가 되어"
            warnings.append(
                f"신경망, 학습률 {label(lr)}: {update}번째 갱신에서 손실이 {reason} 발산으로 보고 "
                "학습을 멈췄습니다. 학습률을 낮춰 보세요."
            )
    return rows, findings, warnings


def _summary(p: LearningRateParams, table, findings: dict[str, float]) -> str:
    parts = ", ".join(
        f"{label(row.lr)}에서는 {BEHAVIOURS[row.behaviour]}" for row in table.itertuples()
    )
    diverged = [
        label(lr)
        for lr in p.network_learning_rates
        if findings[f"network_diverged.lr_{label(lr)}"] == 1.0
    ]
    network = (
        f"작은 신경망에서는 학습률 {', '.join(diverged)}에서 손실이 발산했습니다."
        if diverged
        else "작은 신경망에서는 고른 학습률 중 발산한 것이 없었습니다."
    )
    return (
        f"f(w) = {p.curvature:g}/2·w² (L = {p.curvature:g})에서 {p.steps}번 갱신하면 학습률 "
        f"{parts}했고, 측정한 발산 경계(η = {findings['divergence_threshold']:.4g})는 "
        f"이론값(2/L = {findings['two_over_L']:.4g})과 일치했으며, {network}"
    )


def run(p: LearningRateParams, progress: Progress) -> Result:
    rows, summary_rows, findings, warnings = _quadratic(p, progress, share=0.2)
    threshold = _threshold(p.curvature, p.steps)
    findings["divergence_threshold"] = threshold
    findings["two_over_L"] = 2.0 / p.curvature
    findings["threshold_ratio"] = threshold / (2.0 / p.curvature)
    grid = np.linspace(0.0, max(4.0 / p.curvature, 1.2 * max(p.learning_rates)), 201)[1:]
    growth = _gd_growth(grid, p.curvature, p.steps)
    scan = frame(
        [
            {"lr": float(lr), "growth": float(g), "diverged": bool(g > 1.0)}
            for lr, g in zip(grid, growth)
        ],
        ["lr", "growth", "diverged"],
    )
    network_rows, network_findings, network_warnings = _network(p, progress, start=0.2)
    findings.update(network_findings)
    warnings += network_warnings
    table = frame(
        summary_rows,
        ["lr", "lr_times_L", "factor", "final_w", "final_loss", "sign_changes", "behaviour"],
    )
    return Result(
        frames={
            "trajectories": frame(rows, ["lr", "step", "w", "loss"]),
            "quadratic_summary": table,
            "threshold_scan": scan,
            "network": frame(network_rows, ["lr", "epoch", "update", "step", "loss"]),
        },
        findings=findings,
        summary=_summary(p, table, findings),
        warnings=warnings,
    )


def charts(result: Result) -> list:
    import altair as alt

    two_over_l = result.findings["two_over_L"]
    names = result.frames["quadratic_summary"].set_index("lr")["behaviour"].map(BEHAVIOURS)
    trajectories = result.frames["trajectories"].assign(
        series=lambda d: d["lr"].map(lambda lr: f"η = {label(lr)} ({names[lr]})")
    )
    path = (
        alt.Chart(trajectories, title="이차 함수에서 w의 변화 (대칭 로그 눈금)")
        .mark_line(point=True)
        .encode(
            x=alt.X("step:Q", title="갱신 횟수 (step)"),
            y=alt.Y("w:Q", title="w", scale=alt.Scale(type="symlog")),
            color=alt.Color("series:N", title="학습률 (learning rate)"),
            tooltip=["series", "step", alt.Tooltip("w:Q", format=".4g")],
        )
    )
    scan = result.frames["threshold_scan"]
    scan = scan[scan["growth"] > 0].assign(
        regime=lambda d: d["diverged"].map({True: "발산", False: "수렴"}),
        growth=lambda d: d["growth"].clip(lower=1e-12, upper=1e12),  # keep the axis readable
    )
    growth = (
        alt.Chart(scan)
        .mark_line(point=alt.OverlayMarkDef(size=12))
        .encode(
            x=alt.X("lr:Q", title="학습률 η"),
            y=alt.Y("growth:Q", title="|w_끝 / w_0| (로그 눈금)", scale=alt.Scale(type="log")),
            color=alt.Color("regime:N", title="결과"),
            tooltip=[alt.Tooltip("lr:Q", format=".4f"), alt.Tooltip("growth:Q", format=".3g")],
        )
    )
    rule = (
        alt.Chart({"values": [{"x": two_over_l}]})
        .mark_rule(strokeDash=[4, 4], color="black")
        .encode(x="x:Q")
    )
    steps = int(result.params["steps"])
    threshold_chart = (growth + rule).properties(
        title=f"학습률별 {steps}번 갱신 후 |w| 배율 (점선: 2/L = {two_over_l:.3g})"
    )
    network = result.frames["network"]
    network = network[np.isfinite(network["loss"]) & (network["loss"] > 0)].assign(
        series=lambda d: d["lr"].map(lambda lr: f"η = {label(lr)}")
    )
    curves = (
        alt.Chart(network, title="작은 신경망의 배치별 손실 (로그 눈금)")
        .mark_line()
        .encode(
            x=alt.X("step:Q", title="갱신 횟수 (update)"),
            y=alt.Y("loss:Q", title="배치 손실 (MSE)", scale=alt.Scale(type="log")),
            color=alt.Color("series:N", title="학습률 (learning rate)"),
            tooltip=["series", "epoch", "step", alt.Tooltip("loss:Q", format=".4g")],
        )
    )
    return [path, threshold_chart, curves]


EXPERIMENT = Experiment(
    name="learning_rate",
    title="학습률 (learning rate): 너무 작을 때, 적당할 때, 너무 클 때",
    caption=(
        "첫 그래프에서 학습률별로 w가 0으로 천천히 가는지, 한 번에 가는지, 부호를 바꾸며 "
        "진동하는지, 점점 커지는지 보세요. 두 번째 그래프의 점선(2/L)을 넘는 순간 |w| 배율이 "
        "1을 넘어 발산합니다. 마지막 그래프에서는 같은 초기 가중치로 시작한 작은 신경망도 "
        "학습률이 너무 작으면 느리고, 너무 크면 손실이 폭발하는지 비교하세요."
    ),
    params=LearningRateParams,
    presets={
        "default": {},
        "tiny": {
            "steps": 10,
            "network_epochs": 1,
            "samples": 64,
            "network_learning_rates": [0.03, 1.0],
        },
        "one_step": {"learning_rates": [0.1, 0.25, 0.45, 0.5, 0.51]},
    },
    runner=run,
    charts=charts,
    findings={
        "diverged": ("이차 함수: 발산 여부", "flag"),
        "final_loss": ("이차 함수: 마지막 손실", ""),
        "sign_changes": ("이차 함수: w의 부호가 바뀐 횟수", "count"),
        "steps_to_tol": ("이차 함수: 수렴까지 갱신 횟수", "steps"),
        "divergence_threshold": ("측정한 발산 경계 학습률", ""),
        "two_over_L": ("이론값 2/L", ""),
        "threshold_ratio": ("측정한 경계 ÷ 2/L", "x"),
        "network_diverged": ("신경망: 발산 여부", "flag"),
        "network_final_loss": ("신경망: 마지막 배치 손실", ""),
    },
)
