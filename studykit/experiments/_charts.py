"""Chart shapes several experiments share (Altair, Korean labels), built from tidy frames.

``learning_curves``: loss and accuracy per epoch from a long frame (epoch, split, metric,
value + a series column): colour = series, train solid with circles, validation dashed with
triangles, so the two can be told apart in the lines *and* in the legend. ``ab_curves``:
the same for two runs overlaid, colour = setting (A/B), one chart per metric that fits a
half-width column. The panel draws ``learning_curves`` while a run trains (from the curve
points ``Progress.curve`` receives) and when it is done (from the Result's frame).

Altair is imported inside the functions (the registry must stay light).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from studykit.experiments._labels import (
    EPOCH,
    METRIC_NAMES,
    SETTING_NAMES,
    SPLIT_NAMES,
    series_name,
)

CURVE_COLUMNS = ("series", "epoch", "split", "metric", "value")
_SPLIT_ORDER = list(SPLIT_NAMES.values())


def curve_frame(
    history: pd.DataFrame,
    series: str | None,
    names: Mapping[str, str] | None = None,
    metrics: Sequence[str] = ("loss", "accuracy"),
) -> pd.DataFrame:
    """``history`` reduced to CURVE_COLUMNS with Korean series, split and metric names."""
    frame = history[history["metric"].isin(metrics)]
    if series is None:
        labels = pd.Series([""] * len(frame), index=frame.index)
    else:
        labels = frame[series].map(lambda v: series_name(_key(v), names))
    return pd.DataFrame(
        {
            "series": labels,
            "epoch": frame["epoch"].astype(float),
            "split": frame["split"].map(lambda s: SPLIT_NAMES.get(s, s)),
            "metric": frame["metric"].map(lambda m: METRIC_NAMES.get(m, m)),
            "value": frame["value"].astype(float),
        }
    )


def _key(value) -> str:
    return f"{value:g}" if isinstance(value, float) else str(value)


def _encodings(alt, frame: pd.DataFrame, colour: str, colour_title: str):
    splits = [s for s in _SPLIT_ORDER if s in set(frame["split"])] or None
    return {
        "x": alt.X("epoch:Q", title=EPOCH, axis=alt.Axis(tickMinStep=1, format="d")),
        "color": alt.Color(
            f"{colour}:N", title=colour_title, legend=alt.Legend(orient="bottom", columns=3)
        ),
        "strokeDash": alt.StrokeDash(
            "split:N",
            title="데이터",
            sort=splits,
            # one entry a row: beside the colour legend it still fits a phone-wide panel
            legend=alt.Legend(orient="bottom", symbolType="stroke", columns=1),
        ),
        "shape": alt.Shape("split:N", title="데이터", sort=splits),
    }


def learning_curves(
    history: pd.DataFrame,
    series: str | None,
    names: Mapping[str, str] | None = None,
    *,
    series_title: str = "모델",
    title: str = "학습 곡선 (추론 모드로 측정한 손실과 정확도)",
    metrics: Sequence[str] = ("loss", "accuracy"),
    width: int = 260,
):
    """One panel per metric (loss, accuracy), two panels per row; ``series`` names the
    column that tells the models apart (None: one model); ``width`` of each panel."""
    import altair as alt

    frame = curve_frame(history, series, names, metrics)
    encodings = _encodings(alt, frame, "series", series_title)
    tooltip = [
        alt.Tooltip("series:N", title=series_title),
        alt.Tooltip("split:N", title="데이터"),
        alt.Tooltip("epoch:Q", title=EPOCH),
        alt.Tooltip("value:Q", title="값", format=".4g"),
    ]
    order = [METRIC_NAMES.get(m, m) for m in metrics]
    return (
        alt.Chart(frame)
        .mark_line(point=alt.OverlayMarkDef(size=30, filled=True))
        .encode(y=alt.Y("value:Q", title=None, scale=alt.Scale(zero=False)), tooltip=tooltip)
        .encode(**encodings)
        .properties(width=width, height=200)
        .facet(facet=alt.Facet("metric:N", title=None, sort=order), columns=2)
        .resolve_scale(y="independent")
        .properties(title=title)
    )


def ab_curves(
    a: pd.DataFrame,
    b: pd.DataFrame,
    series: str | None,
    names: Mapping[str, str] | None = None,
    *,
    metrics: Sequence[str] = ("loss", "accuracy"),
) -> list:
    """One chart per metric with both runs: colour = setting (A/B), dash and shape = split,
    one line per model of each setting; each chart fills the width of its column."""
    import altair as alt

    both = pd.concat(
        [
            curve_frame(a, series, names, metrics).assign(setting=SETTING_NAMES["A"]),
            curve_frame(b, series, names, metrics).assign(setting=SETTING_NAMES["B"]),
        ],
        ignore_index=True,
    )
    charts = []
    for metric in metrics:
        name = METRIC_NAMES.get(metric, metric)
        frame = both[both["metric"] == name]
        if frame.empty:
            continue
        charts.append(
            alt.Chart(frame, title=f"A/B 비교: {name}")
            .mark_line(point=alt.OverlayMarkDef(size=30, filled=True))
            .encode(
                y=alt.Y("value:Q", title=name, scale=alt.Scale(zero=False)),
                detail="series:N",
                tooltip=[
                    alt.Tooltip("setting:N", title="설정"),
                    alt.Tooltip("series:N", title="모델"),
                    alt.Tooltip("split:N", title="데이터"),
                    alt.Tooltip("epoch:Q", title=EPOCH),
                    alt.Tooltip("value:Q", title="값", format=".4g"),
                ],
                **_encodings(alt, frame, "setting", "설정"),
            )
            .properties(width="container", height=240)
        )
    return charts


# Altair refuses to embed more than 5,000 rows per data set (``MaxRowsError`` in
# ``chart.to_dict()``, ``save`` and notebooks; Streamlit lifts the limit), so a chart over
# many steps or grid points draws every k-th of them.
MAX_CHART_ROWS = 5000


def thin(
    frame: pd.DataFrame, column: str, limit: int = MAX_CHART_ROWS, *, by: str | None = None
) -> pd.DataFrame:
    """``frame`` with only every k-th value of ``column`` (a step or a grid coordinate; the
    first and the last value always kept), k as small as keeps it within ``limit`` rows.

    Without ``by`` every series shares the values of ``column`` (each line keeps every k-th
    of them); with ``by`` each group (series) keeps every k-th of its own points and its last
    one, so a series with fewer, sparser points (a large batch: one update per epoch) keeps
    the same share of them. The frame comes back unchanged when it is small enough.
    """
    if len(frame) <= limit:
        return frame
    if by is None:
        values = np.sort(frame[column].unique())
        position = pd.Series(np.searchsorted(values, frame[column]), index=frame.index)
        last = pd.Series(len(values) - 1, index=frame.index)
    else:
        ordered = frame.sort_values([by, column], kind="stable")
        position = ordered.groupby(by).cumcount().reindex(frame.index)
        last = frame.groupby(by)[column].transform("size") - 1
    k = max(2, -(-len(frame) // limit))
    while True:
        keep = (position % k == 0) | (position == last)
        if keep.sum() <= limit or k >= len(frame):
            return frame[keep]
        k += 1
