"""Experiment charts that fit any screen, phones included.

Streamlit stretches a single (or layered) Altair chart to its container, but draws facet and
``hconcat`` charts at their fixed size (``width="content"``): two 260 px panels side by side
are some 620 px wide, wider than a phone (390 px). ``show_chart`` therefore draws

- a facet chart over a few columns (one row, or a wrapped facet of at most MAX_PANELS
  panels) as one chart per panel in ``st.columns``,
- an ``hconcat`` chart as one column per chart, a ``vconcat`` chart one chart under another,

each panel stretched to its column. Streamlit's columns sit side by side on a wide screen
and stack on a narrow one (≤ 640 px), so a phone gets every panel at full width. Anything
else (row facets, facets of many small panels such as image grids) is drawn as it is.
"""

from __future__ import annotations

from typing import Any

import pandas as pd
import streamlit as st

MAX_PANELS = 4  # more panels than this (small multiples) keep Vega-Lite's own grid
# A stretched chart gets Streamlit's autosize "fit" (width *and* height), which squeezes the
# plot of a panel with a legend under it to a flat line; fit-x stretches the width only and
# keeps the panel's own height (plus its axes and legends).
FIT_WIDTH = {"type": "fit-x", "contains": "padding"}


def _title_text(title: Any) -> str | None:
    if isinstance(title, str):
        return title
    text = getattr(title, "text", None)
    if isinstance(text, str):
        return text
    if isinstance(text, list | tuple):
        return " ".join(str(part) for part in text)
    return None


def _facet_field(chart) -> tuple[str, list | None] | None:
    """The field a one-row (or wrapped) facet splits on and its sort order, if it is one."""
    import altair as alt

    facet = chart.facet
    spec = facet.to_dict() if hasattr(facet, "to_dict") else None
    if not isinstance(spec, dict):
        return None
    if isinstance(facet, alt.FacetMapping):
        if set(spec) != {"column"}:
            return None  # rows (or rows and columns): drawn as they are
        spec = spec["column"]
    field = spec.get("field")
    if not isinstance(field, str) or "timeUnit" in spec or "bin" in spec:
        return None
    sort = spec.get("sort")
    return field, sort if isinstance(sort, list) else None


def _y_independent(chart) -> bool:
    resolve = chart.resolve.to_dict() if hasattr(chart.resolve, "to_dict") else {}
    return resolve.get("scale", {}).get("y") == "independent"


def _share_y(view, data: pd.DataFrame) -> None:
    """Fix the quantitative y scale of ``view`` (a Chart or each layer of a LayerChart) to
    the range over all panels, as the facet's shared y axis did (0 included unless the
    scale says zero=False); encodings it cannot read are left alone."""
    import altair as alt

    if isinstance(view, alt.LayerChart):
        for layer in view.layer:
            _share_y(layer, data)
        return
    y = getattr(getattr(view, "encoding", None), "y", None)
    if not isinstance(y, alt.Y):
        return
    try:
        spec = y.to_dict()
    except Exception:  # Altair raises SchemaValidationError for e.g. a datum rule
        return
    field, scale = spec.get("field"), spec.get("scale", {})
    if spec.get("type") != "quantitative" or field not in data.columns or "domain" in scale:
        return
    if "aggregate" in spec or "bin" in spec or scale.get("type") not in (None, "linear"):
        return
    values = pd.to_numeric(data[field], errors="coerce").dropna()
    if values.empty:
        return
    low, high = float(values.min()), float(values.max())
    if scale.get("zero", True):
        low, high = min(low, 0.0), max(high, 0.0)
    if low == high:
        return
    view.encoding.y = y.scale(**{**scale, "domain": [low, high]})  # (a new channel)


def facet_panels(chart) -> list | None:
    """A facet chart as one chart per facet value (titled with the value), in the facet's
    order, sharing the y range unless the facet resolved y independently; None when it is
    not a facet this module splits."""
    import altair as alt

    if not isinstance(chart, alt.FacetChart) or not isinstance(chart.data, pd.DataFrame):
        return None
    found = _facet_field(chart)
    if found is None or found[0] not in chart.data.columns:
        return None
    field, sort = found
    if not isinstance(chart.spec, alt.Chart | alt.LayerChart):
        return None
    present = list(pd.unique(chart.data[field].dropna()))
    if sort is not None:
        values = [v for v in sort if v in present] + [v for v in present if v not in sort]
    else:
        values = sorted(present, key=str)
    if not 1 <= len(values) <= MAX_PANELS:
        return None
    panels = []
    for value in values:
        panel = chart.spec.copy(deep=True)
        if not _y_independent(chart):
            _share_y(panel, chart.data)
        panel.data = chart.data[chart.data[field] == value]
        panels.append(panel.properties(title=str(value), autosize=FIT_WIDTH))
    return panels


def _with_data(part, parent):
    """``part`` of a concat chart with the data Altair moved up onto ``parent``."""
    import altair as alt

    if part.data is alt.Undefined and parent.data is not alt.Undefined:
        part = part.copy(deep=False)
        part.data = parent.data
    return part


def show_chart(chart, where: Any = None, *, split: bool = True) -> None:
    """Draw ``chart`` in ``where`` (default: the current container) so that it fits its
    width; ``split=False`` draws it as it is (inside a column already split once)."""
    import altair as alt

    where = st if where is None else where
    if not split:
        where.altair_chart(chart)
        return
    panels = facet_panels(chart)
    if panels is not None:
        title = _title_text(chart.title)
        if title:
            where.markdown(f"**{title}**")
        for column, panel in zip(where.columns(len(panels)), panels):
            column.altair_chart(panel, width="stretch")
        return
    if isinstance(chart, alt.HConcatChart):
        title = _title_text(chart.title)
        if title:
            where.markdown(f"**{title}**")
        for column, part in zip(where.columns(len(chart.hconcat)), chart.hconcat):
            part = _with_data(part, chart)
            if isinstance(part, alt.Chart | alt.LayerChart):
                part = part.properties(autosize=FIT_WIDTH)
            show_chart(part, column, split=False)
        return
    if isinstance(chart, alt.VConcatChart):
        title = _title_text(chart.title)
        if title:
            where.markdown(f"**{title}**")
        for part in chart.vconcat:
            show_chart(_with_data(part, chart), where)
        return
    where.altair_chart(chart)
