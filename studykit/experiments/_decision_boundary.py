"""Decision boundaries of 2-D binary classifiers: a probability grid and its Altair chart."""

from __future__ import annotations

import numpy as np
import pandas as pd

GRID_COLUMNS = ["model", "x1", "x2", "probability"]
POINT_COLUMNS = ["split", "x1", "x2", "label"]


def grid_points(x: np.ndarray, steps: int = 41, margin: float = 0.3) -> np.ndarray:
    """A steps × steps grid (rows of (x1, x2)) covering the data plus ``margin``."""
    low = x.min(axis=0) - margin
    high = x.max(axis=0) + margin
    x1 = np.linspace(low[0], high[0], steps)
    x2 = np.linspace(low[1], high[1], steps)
    mesh = np.stack(np.meshgrid(x1, x2), axis=-1).reshape(-1, 2)
    return mesh.astype("float32")


def grid_rows(model: str, points: np.ndarray, probabilities: np.ndarray) -> list[dict]:
    """Long rows (model, x1, x2, probability) for the grid."""
    probabilities = np.asarray(probabilities, dtype=float).reshape(-1)
    return [
        {"model": model, "x1": float(a), "x2": float(b), "probability": float(q)}
        for (a, b), q in zip(points, probabilities)
    ]


def point_rows(split: str, x: np.ndarray, y: np.ndarray) -> list[dict]:
    """Long rows (split, x1, x2, label) of a data set."""
    return [
        {"split": split, "x1": float(a), "x2": float(b), "label": int(c)}
        for (a, b), c in zip(x, np.asarray(y).reshape(-1))
    ]


def probe_probabilities(model, points: np.ndarray) -> np.ndarray:
    """sigmoid(model(points)) for a model that outputs one logit per row."""
    from keras import ops

    logits = model(points, training=False)
    return ops.convert_to_numpy(ops.sigmoid(logits)).reshape(-1)


def boundary_charts(
    grid: pd.DataFrame, points: pd.DataFrame, titles: dict[str, str], width: int = 260
):
    """One heatmap per model (P(class 1), 0.5 = the boundary) with the data points on top."""
    import altair as alt

    steps = max(2, int(round(np.sqrt(len(grid) / max(1, grid["model"].nunique())))))
    charts = []
    for model, title in titles.items():
        cells = grid[grid["model"] == model]
        x_step = (cells["x1"].max() - cells["x1"].min()) / (steps - 1)
        y_step = (cells["x2"].max() - cells["x2"].min()) / (steps - 1)
        cells = cells.assign(
            x1_low=cells["x1"] - x_step / 2,
            x1_high=cells["x1"] + x_step / 2,
            x2_low=cells["x2"] - y_step / 2,
            x2_high=cells["x2"] + y_step / 2,
        )
        heat = (
            alt.Chart(cells)
            .mark_rect(opacity=0.75)
            .encode(
                x=alt.X("x1_low:Q", title="x₁", scale=alt.Scale(zero=False, nice=False)),
                x2="x1_high:Q",
                y=alt.Y("x2_low:Q", title="x₂", scale=alt.Scale(zero=False, nice=False)),
                y2="x2_high:Q",
                color=alt.Color(
                    "probability:Q",
                    title="클래스 1 확률",
                    scale=alt.Scale(scheme="redblue", domain=[0, 1], domainMid=0.5),
                ),
                tooltip=[
                    alt.Tooltip("x1:Q", format=".2f"),
                    alt.Tooltip("x2:Q", format=".2f"),
                    alt.Tooltip("probability:Q", title="클래스 1 확률", format=".3f"),
                ],
            )
        )
        dots = (
            alt.Chart(points.assign(label=points["label"].map(lambda v: f"클래스 {v}")))
            .mark_point(filled=True, size=30, stroke="black", strokeWidth=0.5)
            .encode(
                x="x1:Q",
                y="x2:Q",
                shape=alt.Shape(
                    "label:N",
                    title="정답",
                    scale=alt.Scale(domain=["클래스 0", "클래스 1"], range=["circle", "square"]),
                ),
                fill=alt.Fill(
                    "label:N",
                    title="정답",
                    scale=alt.Scale(domain=["클래스 0", "클래스 1"], range=["#b2182b", "#2166ac"]),
                ),
                tooltip=["split", "label", alt.Tooltip("x1:Q", format=".2f"), "x2"],
            )
        )
        charts.append((heat + dots).properties(title=title, width=width, height=width))
    return alt.hconcat(*charts)
