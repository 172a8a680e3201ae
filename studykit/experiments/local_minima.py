"""Local minima and saddle points: where gradient descent stops depends on where it starts.

Claim: on the non-convex f(w) = sin(3w) + 0.1·w², gradient descent from a grid of starting
points ends in several different minima, and only the starts inside the global minimum's basin
reach it; on the convex f(w) = (w − 0.5)² every start reaches the same global minimum. On the
saddle f(x, y) = x² − y² a start exactly on the x-axis converges to the saddle point (0, 0),
where the gradient is zero, and stays there; a perturbation of 1e-4 in y lets it escape, but
only after a long plateau where the gradient is tiny.

The notes say to worry about local minima; in high-dimensional networks the practical problem
is saddle points and plateaus instead (most critical points are saddles, and the local minima
that exist are usually almost as good as the global one).

All paths are driven by studykit.optimizers.SGD: the starting points of a function form one
keras.Variable of shape (starts,), whose loss is the sum of f over its entries, so each entry
follows its own 1-D gradient descent; gradients are computed analytically.
"""

from __future__ import annotations

import math

import numpy as np
from pydantic import Field

from studykit.experiments._charts import thin
from studykit.experiments._fit import frame
from studykit.experiments.base import Experiment, Params, Progress, Result

LOW, HIGH = -4.0, 4.0
CONVEX_MINIMUM = 0.5
SAME_POINT = 0.05  # end points closer than this are the same minimum
ESCAPED = -1.0  # the perturbed saddle run has escaped once f(x, y) < this
FROZEN = -4.0  # ... and stops moving (and being recorded) once f(x, y) < this

FUNCTIONS = {
    "nonconvex": "비볼록 sin(3w) + 0.1w²",
    "convex": "볼록 (w − 0.5)²",
}


class LocalMinimaParams(Params):
    starts: int = Field(21, ge=3, le=101, title="시작점 수 (-4 ~ 4 균등 간격)")
    learning_rate: float = Field(0.05, ge=1e-3, le=0.2, title="학습률 (learning rate)")
    steps: int = Field(150, ge=10, le=1000, title="갱신 횟수 (steps)")
    perturbation: float = Field(
        1e-4, ge=1e-8, le=0.5, title="안장점: x축에서 y 방향으로 흔드는 크기 (perturbation)"
    )


def f_nonconvex(w):
    return np.sin(3 * w) + 0.1 * w**2


def grad_nonconvex(w):
    return 3 * np.cos(3 * w) + 0.2 * w


def f_convex(w):
    return (w - CONVEX_MINIMUM) ** 2


def grad_convex(w):
    return 2 * (w - CONVEX_MINIMUM)


def f_saddle(xy):
    return xy[..., 0] ** 2 - xy[..., 1] ** 2


def grad_saddle(xy):
    return np.stack([2 * xy[..., 0], -2 * xy[..., 1]], axis=-1)


CURVES = {"nonconvex": (f_nonconvex, grad_nonconvex), "convex": (f_convex, grad_convex)}


def _global_minimum(f) -> float:
    grid = np.linspace(LOW, HIGH, 80001)
    return float(grid[np.argmin(f(grid))])


def _clusters(ends: np.ndarray) -> np.ndarray:
    """Index of the minimum each end point belongs to (sorted by position)."""
    order = np.argsort(ends)
    labels = np.empty(len(ends), dtype=int)
    current = 0
    for rank, index in enumerate(order):
        if rank and ends[index] - ends[order[rank - 1]] > SAME_POINT:
            current += 1
        labels[index] = current
    return labels


def run(p: LocalMinimaParams, progress: Progress) -> Result:
    import keras

    from studykit import optimizers

    starts = np.linspace(LOW, HIGH, p.starts)
    variables = {name: keras.Variable(starts.astype("float32"), name=name) for name in CURVES}
    saddle_start = np.array([[3.0, 0.0], [3.0, p.perturbation]], dtype="float32")
    saddle = keras.Variable(saddle_start, name="saddle")
    optimizer = optimizers.SGD(learning_rate=p.learning_rate)
    paths = {name: [starts.copy()] for name in CURVES}
    saddle_path = [saddle_start.astype(np.float64)]
    escaped_at = None  # once the perturbed run is far below the saddle it is frozen
    block = max(1, p.steps // 10)
    for step in range(1, p.steps + 1):
        pairs = []
        for name, (_, grad) in CURVES.items():
            w = keras.ops.convert_to_numpy(variables[name]).astype(np.float64)
            pairs.append((keras.ops.convert_to_tensor(grad(w).astype("float32")), variables[name]))
        xy = keras.ops.convert_to_numpy(saddle).astype(np.float64)
        gradient = grad_saddle(xy)
        if escaped_at is not None:
            gradient[1] = 0.0
        pairs.append((keras.ops.convert_to_tensor(gradient.astype("float32")), saddle))
        optimizer.apply_gradients(pairs)
        for name in CURVES:
            paths[name].append(keras.ops.convert_to_numpy(variables[name]).astype(np.float64))
        xy = keras.ops.convert_to_numpy(saddle).astype(np.float64)
        saddle_path.append(xy)
        if escaped_at is None and f_saddle(xy)[1] < FROZEN:
            escaped_at = step
        if step % block == 0 or step == p.steps:
            progress(0.95 * step / p.steps, f"경사 하강법 {step}/{p.steps}번 갱신")

    findings: dict[str, float] = {}
    trajectory_rows, end_rows, curve_rows = [], [], []
    minima_text = {}
    for name, (f, grad) in CURVES.items():
        path = np.array(paths[name])  # (steps + 1, starts)
        ends = path[-1]
        best = _global_minimum(f)
        labels = _clusters(ends)
        reached = np.abs(ends - best) < SAME_POINT
        findings[f"distinct_minima.{name}"] = float(labels.max() + 1)
        findings[f"global_share.{name}"] = float(reached.mean())
        findings[f"global_minimum.{name}"] = best
        findings[f"max_final_gradient.{name}"] = float(np.max(np.abs(grad(ends))))
        minima_text[name] = (int(labels.max() + 1), float(reached.mean()), best)
        for column, start in enumerate(starts):
            for step in range(path.shape[0]):
                w = float(path[step, column])
                trajectory_rows.append(
                    {
                        "function": name,
                        "start": float(start),
                        "step": step,
                        "w": w,
                        "loss": float(f(w)),
                    }
                )
            end_rows.append(
                {
                    "function": name,
                    "start": float(start),
                    "start_loss": float(f(start)),
                    "end": float(ends[column]),
                    "loss": float(f(ends[column])),
                    "minimum": int(labels[column]),
                    "reached_global": bool(reached[column]),
                }
            )
        grid = np.linspace(LOW, HIGH, 401)
        curve_rows += [{"function": name, "w": float(w), "loss": float(f(w))} for w in grid]

    saddle_array = np.array(saddle_path)  # (steps run + 1, 2 runs, 2)
    saddle_rows = []
    for run_index, run_name in enumerate(("on_axis", "perturbed")):
        last = saddle_array.shape[0] - 1
        if run_name == "perturbed" and escaped_at is not None:
            last = escaped_at
        for step in range(last + 1):
            xy = saddle_array[step, run_index]
            saddle_rows.append(
                {
                    "run": run_name,
                    "step": step,
                    "x": float(xy[0]),
                    "y": float(xy[1]),
                    "loss": float(f_saddle(xy)),
                    "grad_norm": float(np.linalg.norm(grad_saddle(xy))),
                }
            )
    saddle_frame = frame(saddle_rows, ["run", "step", "x", "y", "loss", "grad_norm"])
    on_axis = saddle_frame[saddle_frame.run == "on_axis"]
    perturbed = saddle_frame[saddle_frame.run == "perturbed"]
    escaped = np.nonzero(perturbed["loss"].to_numpy() < ESCAPED)[0]
    findings["saddle.on_axis_final_grad_norm"] = float(on_axis["grad_norm"].iloc[-1])
    findings["saddle.on_axis_final_distance"] = float(
        math.hypot(on_axis["x"].iloc[-1], on_axis["y"].iloc[-1])
    )
    findings["saddle.escape_step"] = float(escaped[0]) if len(escaped) else math.nan
    findings["saddle.perturbed_min_grad_norm"] = float(perturbed["grad_norm"].min())
    surface_grid = np.linspace(-3.5, 3.5, 36)
    surface = frame(
        [
            {"x": float(x), "y": float(y), "loss": float(x * x - y * y)}
            for x in surface_grid
            for y in surface_grid
        ],
        ["x", "y", "loss"],
    )
    return Result(
        frames={
            "curves": frame(curve_rows, ["function", "w", "loss"]),
            "trajectories": frame(trajectory_rows, ["function", "start", "step", "w", "loss"]),
            "endpoints": frame(
                end_rows,
                ["function", "start", "start_loss", "end", "loss", "minimum", "reached_global"],
            ),
            "saddle": saddle_frame,
            "saddle_surface": surface,
        },
        findings=findings,
        summary=_summary(p, findings),
    )


def _summary(p: LocalMinimaParams, findings: dict[str, float]) -> str:
    escape = findings["saddle.escape_step"]
    escape_text = (
        f"{escape:.0f}번째 갱신에서야 빠져나왔습니다"
        if math.isfinite(escape)
        else f"{p.steps}번 갱신 안에는 빠져나오지 못했습니다"
    )
    return (
        f"비볼록 함수 sin(3w) + 0.1w²에서는 {p.starts}개 시작점의 경사 하강법이 "
        f"{findings['distinct_minima.nonconvex']:.0f}개의 서로 다른 극소점(local minimum)에서 "
        f"멈췄고 전역 최솟값(global minimum, w ≈ {findings['global_minimum.nonconvex']:.2f})에 "
        f"도달한 비율은 {findings['global_share.nonconvex']:.0%}였지만, 볼록 함수 (w − 0.5)²에서는 "
        f"{findings['global_share.convex']:.0%}가 같은 최솟값에 도달했습니다. 안장점(saddle "
        f"point)이 있는 f = x² − y²에서는 x축 위에서 출발한 경로가 기울기 0인 (0, 0)에 멈췄고"
        f"(기울기 노름 {findings['saddle.on_axis_final_grad_norm']:.1e}), y를 "
        f"{p.perturbation:g}만큼 흔든 경로는 기울기가 거의 0인 정체 구간을 지나 {escape_text}."
    )


def charts(result: Result) -> list:
    import altair as alt

    curves = result.frames["curves"]
    ends = result.frames["endpoints"].assign(
        outcome=lambda d: d["reached_global"].map({True: "전역 최솟값", False: "다른 극소점"}),
    )
    panels = []
    for function, title in FUNCTIONS.items():
        line = (
            alt.Chart(curves[curves.function == function])
            .mark_line(color="gray")
            .encode(x=alt.X("w:Q", title="w"), y=alt.Y("loss:Q", title="f(w)"))
        )
        mine = ends[ends.function == function]
        paths = (
            alt.Chart(mine)
            .mark_rule(opacity=0.5)
            .encode(
                x="start:Q",
                y="start_loss:Q",
                x2="end:Q",
                y2="loss:Q",
                color=alt.Color("outcome:N", title="도착한 곳"),
            )
        )
        end_points = (
            alt.Chart(mine)
            .mark_point(size=80, filled=True)
            .encode(
                x="end:Q",
                y="loss:Q",
                color=alt.Color("outcome:N", title="도착한 곳"),
                tooltip=[
                    alt.Tooltip("start:Q", title="시작점", format=".2f"),
                    alt.Tooltip("end:Q", title="도착점", format=".3f"),
                    alt.Tooltip("loss:Q", title="f(도착점)", format=".3f"),
                ],
            )
        )
        panels.append((line + paths + end_points).properties(width=300, height=220, title=title))
    landscape = alt.hconcat(*panels).properties(
        title="각 시작점(선의 한쪽 끝)에서 경사 하강법이 도착한 곳(점)"
    )
    trajectories = result.frames["trajectories"]
    trajectories = trajectories[trajectories.function == "nonconvex"]
    paths_over_time = (
        alt.Chart(thin(trajectories, "step"), title="비볼록 함수: 시작점별 w의 변화")
        .mark_line(opacity=0.7)
        .encode(
            x=alt.X("step:Q", title="갱신 횟수 (step)"),
            y=alt.Y("w:Q", title="w"),
            color=alt.Color("start:Q", title="시작점", scale=alt.Scale(scheme="viridis")),
            detail="start:Q",
        )
    )
    surface = result.frames["saddle_surface"]
    heat = (
        alt.Chart(surface)
        .mark_rect()
        .encode(
            x=alt.X("x:O", title="x", axis=alt.Axis(format=".1f", labelOverlap=True)),
            y=alt.Y("y:O", title="y", sort="descending", axis=alt.Axis(format=".1f")),
            color=alt.Color("loss:Q", title="f = x² − y²", scale=alt.Scale(scheme="redblue")),
        )
        .properties(width=260, height=260, title="안장점 f = x² − y²")
    )
    saddle = result.frames["saddle"].assign(
        run=lambda d: d["run"].map(
            {"on_axis": "x축 위에서 출발", "perturbed": "y를 살짝 흔들고 출발"}
        )
    )
    saddle = saddle[np.isfinite(saddle["grad_norm"]) & (saddle["grad_norm"] > 0)]
    grad_chart = (
        alt.Chart(saddle, title="안장점 근처의 기울기 노름 (로그 눈금): 정체 구간(plateau)")
        .mark_line(point=alt.OverlayMarkDef(size=10))
        .encode(
            x=alt.X("step:Q", title="갱신 횟수 (step)"),
            y=alt.Y("grad_norm:Q", title="기울기 노름", scale=alt.Scale(type="log")),
            color=alt.Color("run:N", title="출발"),
            tooltip=[
                "run",
                "step",
                alt.Tooltip("x:Q", format=".2e"),
                alt.Tooltip("y:Q", format=".2e"),
            ],
        )
    )
    return [landscape, paths_over_time, alt.hconcat(heat, grad_chart)]


EXPERIMENT = Experiment(
    name="local_minima",
    title="지역 최솟값 (local minimum)과 안장점 (saddle point)",
    caption=(
        "첫 그래프에서 비볼록 함수는 시작점에 따라 서로 다른 극소점(점)에 도착하고, 볼록 함수는 "
        "모든 시작점이 같은 최솟값에 모이는지 보세요. 마지막 그래프에서 x축 위에서 출발한 경로는 "
        "기울기가 0으로 줄어 안장점에 멈추고, 살짝 흔든 경로는 기울기가 아주 작은 정체 구간을 "
        "한참 지난 뒤에야 빠져나옵니다. 노트와 달리 실제 고차원 신경망에서는 지역 최솟값보다 "
        "이런 안장점과 정체 구간(plateau)이 학습을 늦추는 주된 문제입니다."
    ),
    params=LocalMinimaParams,
    presets={
        "default": {},
        "tiny": {"starts": 5, "steps": 20},
        "dense_starts": {"starts": 101},
    },
    runner=run,
    charts=charts,
    findings={
        "distinct_minima": ("찾은 서로 다른 극소점 수", "count"),
        "global_share": ("전역 최솟값에 도착한 시작점 비율", "%"),
        "global_minimum": ("전역 최솟값", ""),
        "max_final_gradient": ("마지막 기울기 크기 (최대)", ""),
        "saddle.escape_step": ("안장점: 빠져나온 스텝", "steps"),
        "saddle.on_axis_final_distance": ("안장점: 축 위에서 출발했을 때 마지막 거리", ""),
        "saddle.on_axis_final_grad_norm": ("안장점: 축 위에서 출발했을 때 마지막 기울기", ""),
        "saddle.perturbed_min_grad_norm": ("안장점: 살짝 비켜 출발했을 때 최소 기울기", ""),
    },
    series={"convex": "볼록 함수", "nonconvex": "볼록하지 않은 함수"},
)
