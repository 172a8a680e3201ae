"""studykit.ui.charts: facet and concat charts become panels that can stack on a phone."""

import altair as alt
import pandas as pd
from streamlit.testing.v1 import AppTest

from studykit.experiments._charts import learning_curves
from studykit.ui.charts import MAX_PANELS, facet_panels

FRAME = pd.DataFrame(
    {
        "kind": ["함수"] * 3 + ["도함수"] * 3,
        "x": [0.0, 1.0, 2.0] * 2,
        "y": [1.0, 4.0, 9.0, -2.0, 0.5, 3.0],
    }
)


def test_a_column_facet_becomes_one_panel_per_value_in_its_sort_order_with_a_shared_y():
    base = alt.Chart(FRAME).mark_line().encode(x="x:Q", y=alt.Y("y:Q", title=None))
    chart = base.properties(width=300).facet(column=alt.Column("kind:N", sort=["함수", "도함수"]))
    panels = facet_panels(chart)
    assert [p.title for p in panels] == ["함수", "도함수"]
    assert [list(p.data["y"]) for p in panels] == [[1.0, 4.0, 9.0], [-2.0, 0.5, 3.0]]
    # the facet's shared y axis (0 included, as Vega-Lite's default zero=True) is kept
    assert [p.encoding.y.to_dict()["scale"] for p in panels] == [{"domain": [-2.0, 9.0]}] * 2
    assert "scale" not in chart.spec.encoding.y.to_dict()  # the original chart is unchanged


def test_a_layer_with_a_datum_rule_splits_and_serialises():
    line = alt.Chart().mark_line().encode(x="x:Q", y="y:Q")
    rule = alt.Chart().mark_rule().encode(y=alt.datum(0.5))  # a reference line (preprocessing)
    chart = alt.layer(line, rule, data=FRAME).facet(column="kind:N")
    panels = facet_panels(chart)
    assert len(panels) == 2
    for panel in panels:
        panel.to_dict()  # no SchemaValidationError from reading the datum channel


def test_an_independent_y_facet_keeps_each_panel_its_own_range():
    chart = (
        alt.Chart(FRAME)
        .mark_line()
        .encode(x="x:Q", y="y:Q")
        .facet(facet=alt.Facet("kind:N"), columns=2)
        .resolve_scale(y="independent")
    )
    panels = facet_panels(chart)
    assert [p.title for p in panels] == ["도함수", "함수"]  # no sort: ascending, as Vega-Lite
    assert all("scale" not in p.encoding.y.to_dict() for p in panels)


def test_learning_curves_split_into_loss_and_accuracy_panels():
    history = pd.DataFrame(
        [
            {"epoch": e, "split": s, "metric": m, "value": v, "model": "relu"}
            for e in (1, 2)
            for s in ("train", "val")
            for m, v in (("loss", 1.0 / e), ("accuracy", 0.5 + e / 10))
        ]
    )
    panels = facet_panels(learning_curves(history, "model"))
    assert len(panels) == 2
    assert all(len(p.data) == 4 for p in panels)


def test_row_facets_and_many_small_panels_are_left_as_they_are():
    rows = alt.Chart(FRAME).mark_line().encode(x="x:Q", y="y:Q").facet(row="kind:N")
    assert facet_panels(rows) is None
    many = pd.DataFrame({"view": list(range(MAX_PANELS + 1)), "x": 0.0, "y": 1.0})
    grid = alt.Chart(many).mark_point().encode(x="x:Q", y="y:Q")
    assert facet_panels(grid.facet(facet="view:N", columns=5)) is None


def _app():
    import altair as alt
    import pandas as pd

    from studykit.ui.charts import show_chart

    frame = pd.DataFrame({"k": ["a", "a", "b", "b"], "x": [0, 1, 0, 1], "y": [1, 2, 3, 4]})
    line = alt.Chart(frame).mark_line().encode(x="x:Q", y="y:Q")
    show_chart(line.properties(width=260).facet(column="k:N").properties(title="패싯"))
    show_chart(alt.hconcat(line.properties(width=260), line.mark_point().properties(width=260)))
    show_chart(alt.vconcat(line, line.mark_point()))
    show_chart(line)


def test_show_chart_draws_panels_in_columns_and_concat_parts_with_their_data():
    app = AppTest.from_function(_app).run(timeout=60)
    assert not app.exception
    assert [m.value for m in app.markdown] == ["**패싯**"]
    assert len(app.columns) == 4  # two for the facet's panels, two for the hconcat's parts
    charts = app.get("vega_lite_chart")
    assert len(charts) == 7  # 2 panels + 2 hconcat parts + 2 vconcat parts + the plain chart
