"""Optimizer paths on 2-D surfaces: SGD, Momentum, Nesterov, AdaGrad, RMSProp, Adam.

Claim (the setup of Deep Learning from Scratch, ch. 6, "밑바닥부터 시작하는 딥러닝" 6장): on the
elongated bowl f(x, y) = x²/20 + y² from (-7, 2) with 30 updates and learning rates SGD 0.95,
Momentum 0.1, AdaGrad 1.5, Adam 0.3, SGD zig-zags — y changes sign on every update, because
the bowl is 20 times steeper in y than in x — and ends near (-0.35, 0.09); AdaGrad ends near
(-0.12, 0.00) without oscillating. Momentum, Nesterov and the adaptive methods get within the
tolerance in fewer updates than SGD (Adam with lr 0.3 overshoots in x: its momentum carries it
past the minimum within 30 updates). Near a saddle point, where the gradient is tiny, SGD
escapes slowly while momentum and the adaptive methods (which divide by the gradient's size)
escape quickly. The Rosenbrock valley shows how hard a curved, narrow valley is for all.

Which form is followed (see docs/reference.md, "Where the textbook and Keras differ"):

- The optimizers are studykit.optimizers (Keras-compatible), driven directly with
  ``optimizer.apply_gradients`` on a keras.Variable of shape (2,); gradients are analytic.
  The six optimizers of a surface step side by side in one traced loop
  (``studykit._gradients.optimizer_paths``), each on its own variable.
- SGD, Momentum (v = μv − lr·g; x += v) and Adam (epsilon-hat form, ε = 1e-7) are the same
  rules in the book and in Keras, so those paths are the book's.
- AdaGrad: the book starts the accumulator at h₀ = 0; Keras' default is
  initial_accumulator_value = 0.1. This experiment follows the book (``adagrad_initial_
  accumulator = 0``) and reproduces (-0.12, 0.00); with Keras' 0.1 the first steps are
  smaller (step = lr·g/√(0.1 + g²) instead of lr·sign(g)) and AdaGrad ends near (-0.16, 0.00).
  ε is inside the square root (Keras) instead of outside (book); with these gradients the
  difference is far below the printed precision.
- Nesterov (Keras form x += μv − lr·g with the new v) and RMSProp (Keras' ρ = 0.9; the book
  uses 0.99) are not in the book's figure; their learning rates here are ours.
"""

from __future__ import annotations

import math
from typing import Literal

import numpy as np
from pydantic import Field

from studykit.experiments._charts import thin
from studykit.experiments._fit import frame
from studykit.experiments.base import Experiment, Params, Progress, Result

OPTIMIZERS = ("sgd", "momentum", "nesterov", "adagrad", "rmsprop", "adam")
SURFACES = ("bowl", "saddle", "rosenbrock")

OPTIMIZER_NAMES = {
    "sgd": "SGD",
    "momentum": "Momentum",
    "nesterov": "Nesterov",
    "adagrad": "AdaGrad",
    "rmsprop": "RMSProp",
    "adam": "Adam",
}
SURFACE_NAMES = {
    "bowl": "타원형 그릇 x²/20 + y²",
    "saddle": "안장점 x² + y⁴/4 − y²/2",
    "rosenbrock": "로젠브록 (1−x)² + 100(y−x²)²",
}

# Per surface: start, minimum value, tuned learning rates (bowl: the book's, where it has one),
# and the plotting window.
SETUPS = {
    "bowl": {
        "start": (-7.0, 2.0),
        "f_min": 0.0,
        "lr": {
            "sgd": 0.95,
            "momentum": 0.1,
            "nesterov": 0.1,
            "adagrad": 1.5,
            "rmsprop": 0.3,
            "adam": 0.3,
        },
        "window": ((-10.0, 10.0), (-5.0, 5.0)),
    },
    "saddle": {
        "start": (1.5, 0.01),
        "f_min": -0.25,
        "lr": {
            "sgd": 0.1,
            "momentum": 0.1,
            "nesterov": 0.1,
            "adagrad": 0.3,
            "rmsprop": 0.1,
            "adam": 0.1,
        },
        "window": ((-2.0, 2.0), (-1.6, 1.6)),
    },
    "rosenbrock": {
        "start": (-1.2, 1.0),
        "f_min": 0.0,
        "lr": {
            "sgd": 0.001,
            "momentum": 0.0005,
            "nesterov": 0.0005,
            "adagrad": 1.0,
            "rmsprop": 0.01,
            "adam": 0.2,
        },
        "window": ((-2.0, 2.0), (-1.0, 3.0)),
    },
}

OptimizerName = Literal[OPTIMIZERS]  # type: ignore[valid-type]
SurfaceName = Literal[SURFACES]  # type: ignore[valid-type]


class OptimizerPathsParams(Params):
    optimizers: tuple[OptimizerName, ...] = Field(
        OPTIMIZERS, min_length=1, max_length=6, title="옵티마이저 (optimizer)"
    )
    surfaces: tuple[SurfaceName, ...] = Field(
        ("bowl", "saddle"), min_length=1, max_length=3, title="곡면 (surface)"
    )
    bowl_steps: int = Field(30, ge=1, le=500, title="타원형 그릇: 갱신 횟수 (책: 30)")
    saddle_steps: int = Field(50, ge=1, le=500, title="안장점: 갱신 횟수")
    rosenbrock_steps: int = Field(300, ge=1, le=2000, title="로젠브록: 갱신 횟수")
    learning_rate_scale: float = Field(
        1.0, ge=0.05, le=3.0, title="학습률 배율 (곡면·옵티마이저별 기본 학습률에 곱함)"
    )
    adagrad_initial_accumulator: float = Field(
        0.0, ge=0.0, le=1.0, title="AdaGrad 누적값 초기값 h₀ (책: 0, Keras 기본: 0.1)"
    )
    tolerance: float = Field(
        0.03, ge=1e-6, le=1.0, title="도달 기준: f − f_min < 허용오차 (tolerance)"
    )


def surface_value(surface: str, x, y):
    if surface == "bowl":
        return x**2 / 20.0 + y**2
    if surface == "saddle":
        return x**2 + y**4 / 4.0 - y**2 / 2.0
    return (1.0 - x) ** 2 + 100.0 * (y - x**2) ** 2


def surface_gradient(surface: str, x, y) -> list:
    """The gradient's two components, in plain arithmetic (numpy values or tensors)."""
    if surface == "bowl":
        return [x / 10.0, 2.0 * y]
    if surface == "saddle":
        return [2.0 * x, y**3 - y]
    return [-2.0 * (1.0 - x) - 400.0 * x * (y - x**2), 200.0 * (y - x**2)]


def _optimizer(name: str, lr: float, h0: float):
    from studykit import optimizers

    if name == "sgd":
        return optimizers.SGD(learning_rate=lr)
    if name == "momentum":
        return optimizers.Momentum(learning_rate=lr, momentum=0.9)
    if name == "nesterov":
        return optimizers.Nesterov(learning_rate=lr, momentum=0.9)
    if name == "adagrad":
        return optimizers.AdaGrad(learning_rate=lr, initial_accumulator_value=h0)
    if name == "rmsprop":
        return optimizers.RMSProp(learning_rate=lr, rho=0.9)
    return optimizers.Adam(learning_rate=lr, beta_1=0.9, beta_2=0.999)


def _steps(p: OptimizerPathsParams, surface: str) -> int:
    return {"bowl": p.bowl_steps, "saddle": p.saddle_steps, "rosenbrock": p.rosenbrock_steps}[
        surface
    ]


def _paths(surface: str, optimizers: list, steps: int) -> list[tuple[np.ndarray, bool]]:
    """Per optimizer: (steps + 1, 2) positions, cut where they stop being finite or pass 1e6
    (diverged=True), all traced in one call (``studykit._gradients.optimizer_paths``)."""
    from studykit._gradients import optimizer_paths

    def gradient(_step, xy):
        return surface_gradient(surface, xy[0], xy[1])

    paths = []
    for path in optimizer_paths(optimizers, SETUPS[surface]["start"], steps, gradient):
        bad = np.nonzero(~np.all(np.isfinite(path), axis=1) | (np.max(np.abs(path), axis=1) > 1e6))
        paths.append((path[: bad[0][0]], True) if len(bad[0]) else (path, False))
    return paths


def _sign_changes(values: np.ndarray) -> int:
    signs = np.sign(values)
    return int(np.sum(signs[1:] * signs[:-1] < 0))


def run(p: OptimizerPathsParams, progress: Progress) -> Result:
    rows, summary_rows, warnings = [], [], []
    findings: dict[str, float] = {}
    total = sum(_steps(p, s) for s in p.surfaces)
    done = 0
    runs = []
    for surface in p.surfaces:
        rates = [SETUPS[surface]["lr"][name] * p.learning_rate_scale for name in p.optimizers]
        optimizers = [
            _optimizer(name, lr, p.adagrad_initial_accumulator)
            for name, lr in zip(p.optimizers, rates, strict=True)
        ]
        paths = _paths(surface, optimizers, _steps(p, surface))
        runs += zip([surface] * len(rates), p.optimizers, rates, paths, strict=True)
        done += _steps(p, surface)
        progress(0.95 * done / total, f"{SURFACE_NAMES[surface]}: 옵티마이저 {len(rates)}개")
    for surface, name, lr, (path, diverged) in runs:
        setup = SETUPS[surface]
        values = surface_value(surface, path[:, 0], path[:, 1])
        gaps = values - setup["f_min"]
        for step, ((x, y), value) in enumerate(zip(path, values)):
            rows.append(
                {
                    "optimizer": name,
                    "surface": surface,
                    "step": step,
                    "x": float(x),
                    "y": float(y),
                    "loss": float(value),
                    "gap": float(gaps[step]),
                }
            )
        diverged = diverged or bool(gaps[-1] > gaps[0])
        reached = np.nonzero(gaps < p.tolerance)[0]
        key = f"{surface}.{name}"
        findings[f"final_x.{key}"] = float(path[-1, 0])
        findings[f"final_y.{key}"] = float(path[-1, 1])
        findings[f"final_gap.{key}"] = float(gaps[-1])
        findings[f"steps_to_tol.{key}"] = float(reached[0]) if len(reached) else math.nan
        findings[f"y_sign_changes.{key}"] = float(_sign_changes(path[:, 1]))
        findings[f"diverged.{key}"] = float(diverged)
        summary_rows.append(
            {
                "optimizer": name,
                "surface": surface,
                "learning_rate": lr,
                "final_x": findings[f"final_x.{key}"],
                "final_y": findings[f"final_y.{key}"],
                "final_gap": findings[f"final_gap.{key}"],
                "steps_to_tol": findings[f"steps_to_tol.{key}"],
                "y_sign_changes": int(findings[f"y_sign_changes.{key}"]),
                "diverged": diverged,
            }
        )
        if diverged:
            warnings.append(
                f"{SURFACE_NAMES[surface]}, {OPTIMIZER_NAMES[name]} (학습률 {lr:g}): "
                f"{len(path) - 1}번 갱신 뒤 손실이 시작할 때보다 커졌습니다(발산). "
                "학습률 배율을 낮춰 보세요."
            )
    return Result(
        frames={
            "trajectories": frame(rows, ["optimizer", "surface", "step", "x", "y", "loss", "gap"]),
            "contours": _contours(p.surfaces),
            "summary": frame(
                summary_rows,
                [
                    "optimizer",
                    "surface",
                    "learning_rate",
                    "final_x",
                    "final_y",
                    "final_gap",
                    "steps_to_tol",
                    "y_sign_changes",
                    "diverged",
                ],
            ),
        },
        findings=findings,
        summary=_summary(p, findings),
        warnings=warnings,
    )


def _contours(surfaces):
    rows = []
    for surface in surfaces:
        (x0, x1), (y0, y1) = SETUPS[surface]["window"]
        xs, ys = np.linspace(x0, x1, 41), np.linspace(y0, y1, 33)
        dx, dy = (xs[1] - xs[0]) / 2, (ys[1] - ys[0]) / 2
        f_min = SETUPS[surface]["f_min"]
        for x in xs:
            for y in ys:
                value = float(surface_value(surface, x, y))
                rows.append(
                    {
                        "surface": surface,
                        "x": float(x),
                        "y": float(y),
                        "x_low": float(x - dx),
                        "x_high": float(x + dx),
                        "y_low": float(y - dy),
                        "y_high": float(y + dy),
                        "loss": value,
                        "log_gap": float(np.log10(value - f_min + 1e-3)),
                    }
                )
    return frame(
        rows, ["surface", "x", "y", "x_low", "x_high", "y_low", "y_high", "loss", "log_gap"]
    )


TOPIC = {
    "sgd": "는",
    "momentum": "은",
    "nesterov": "는",
    "adagrad": "는",
    "rmsprop": "은",
    "adam": "은",
}


def _reach_text(p: OptimizerPathsParams, surface: str, findings: dict[str, float]) -> str:
    steps = {o: findings[f"steps_to_tol.{surface}.{o}"] for o in p.optimizers}
    reached = [f"{OPTIMIZER_NAMES[o]} {s:.0f}번" for o, s in steps.items() if math.isfinite(s)]
    missed = [o for o, s in steps.items() if not math.isfinite(s)]
    if not reached:
        return "도달한 옵티마이저가 없었습니다"
    text = f"처음 도달하기까지 {', '.join(reached)}이 걸렸"
    if not missed:
        return text + "습니다"
    names = ", ".join(OPTIMIZER_NAMES[o] for o in missed)
    return f"{text}고 {names}{TOPIC[missed[-1]]} 도달하지 못했습니다"


def _summary(p: OptimizerPathsParams, findings: dict[str, float]) -> str:
    sentences = []
    for surface in p.surfaces:
        sentences.append(
            f"{SURFACE_NAMES[surface]}에서 {_steps(p, surface)}번 갱신하는 동안 "
            f"f − f_min < {p.tolerance:g}에 {_reach_text(p, surface, findings)}."
        )
        if surface == "bowl" and "sgd" in p.optimizers:
            text = (
                f"SGD는 y의 부호가 {findings['y_sign_changes.bowl.sgd']:.0f}번 바뀌는 지그재그를 "
                f"그리며 ({findings['final_x.bowl.sgd']:.3f}, {findings['final_y.bowl.sgd']:.3f})"
                "에서"
            )
            if "adagrad" in p.optimizers:
                text += (
                    f", AdaGrad는 y의 부호가 {findings['y_sign_changes.bowl.adagrad']:.0f}번 "
                    f"바뀌며 ({findings['final_x.bowl.adagrad']:.3f}, "
                    f"{findings['final_y.bowl.adagrad']:.3f})에서"
                )
            sentences.append(text + " 끝났습니다.")
    return " ".join(sentences)


def charts(result: Result) -> list:
    import altair as alt

    trajectories = result.frames["trajectories"].assign(
        name=lambda d: d["optimizer"].map(OPTIMIZER_NAMES)
    )
    contours = result.frames["contours"]
    order = [OPTIMIZER_NAMES[o] for o in OPTIMIZERS]
    panels = []
    for surface in result.params["surfaces"]:
        (x0, x1), (y0, y1) = SETUPS[surface]["window"]
        grid = contours.loc[
            contours.surface == surface, ["x_low", "x_high", "y_low", "y_high", "loss", "log_gap"]
        ].round(4)
        heat = (
            alt.Chart(grid)
            .mark_rect(opacity=0.8)
            .encode(
                x=alt.X("x_low:Q", title="x", scale=alt.Scale(domain=[x0, x1], nice=False)),
                x2="x_high:Q",
                y=alt.Y("y_low:Q", title="y", scale=alt.Scale(domain=[y0, y1], nice=False)),
                y2="y_high:Q",
                color=alt.Color(
                    "log_gap:Q",
                    title="log₁₀(f − f_min)",
                    scale=alt.Scale(scheme="greys", reverse=True),
                ),
                tooltip=[alt.Tooltip("loss:Q", title="f", format=".3g")],
            )
        )
        inside = trajectories.loc[
            (trajectories.surface == surface)
            & trajectories.x.between(x0, x1)
            & trajectories.y.between(y0, y1),
            ["name", "step", "x", "y", "loss"],
        ]
        paths = (
            alt.Chart(thin(inside, "step"))
            .mark_line(point=alt.OverlayMarkDef(size=14), strokeWidth=1.5)
            .encode(
                x="x:Q",
                y="y:Q",
                order="step:Q",
                color=alt.Color("name:N", title="옵티마이저", sort=order),
                tooltip=[
                    "name",
                    "step",
                    alt.Tooltip("x:Q", format=".3f"),
                    alt.Tooltip("y:Q", format=".3f"),
                    alt.Tooltip("loss:Q", format=".4f"),
                ],
            )
        )
        panels.append(
            (heat + paths).properties(width=360, height=260, title=SURFACE_NAMES[surface])
        )
    gaps = trajectories.loc[trajectories["gap"] > 0, ["name", "surface", "step", "gap"]].assign(
        surface_name=lambda d: d["surface"].map(SURFACE_NAMES)
    )
    curves = (
        alt.Chart(thin(gaps, "step"))
        .mark_line()
        .encode(
            x=alt.X("step:Q", title="갱신 횟수 (step)"),
            y=alt.Y("gap:Q", title="f − f_min (로그 눈금)", scale=alt.Scale(type="log")),
            color=alt.Color("name:N", title="옵티마이저", sort=order),
            tooltip=["name", "step", alt.Tooltip("gap:Q", format=".3g")],
        )
        .properties(width=300, height=220)
        .facet(column=alt.Column("surface_name:N", title=None))
        .resolve_scale(x="independent", y="independent")
        .properties(title="갱신마다의 손실 (최솟값과의 차이)")
    )
    return [alt.vconcat(*panels), curves]


EXPERIMENT = Experiment(
    name="optimizer_paths",
    title="옵티마이저의 이동 경로 (optimizer paths): SGD, 모멘텀, AdaGrad, RMSProp, Adam",
    caption=(
        "타원형 그릇(책의 설정)에서 SGD는 가파른 y 방향으로 튕기며 지그재그로 움직이고, "
        "모멘텀은 속도가 쌓여 x 방향으로 빠르게 가지만 지나쳤다 돌아오며, AdaGrad는 크게 움직인 "
        "y의 보폭을 줄여 진동 없이 최솟값으로 가는지 보세요. 안장점 곡면에서는 기울기가 거의 0인 "
        "출발점에서 누가 먼저 빠져나오는지, 아래 손실 그래프에서 누가 먼저 허용오차 아래로 "
        "내려가는지 비교하세요."
    ),
    params=OptimizerPathsParams,
    presets={
        "default": {},
        "tiny": {"surfaces": ["bowl"], "bowl_steps": 8, "optimizers": ["sgd", "adagrad", "adam"]},
        "book": {"surfaces": ["bowl"], "optimizers": ["sgd", "momentum", "adagrad", "adam"]},
        "keras_adagrad": {
            "surfaces": ["bowl"],
            "optimizers": ["sgd", "adagrad"],
            "adagrad_initial_accumulator": 0.1,
        },
        "rosenbrock": {"surfaces": ["rosenbrock"], "tolerance": 0.2},
        "too_large": {"surfaces": ["bowl"], "learning_rate_scale": 1.1},
    },
    runner=run,
    charts=charts,
    findings={
        "final_gap": ("마지막 위치와 최솟값의 차이", ""),
        "final_x": ("마지막 x", ""),
        "final_y": ("마지막 y", ""),
        "y_sign_changes": ("y의 부호가 바뀐 횟수 (지그재그)", "count"),
    },
    series={**SURFACE_NAMES, **OPTIMIZER_NAMES},
)
