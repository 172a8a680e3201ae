"""Every topic page in AppTest: renders, answer → reveal → rate writes a row, and one of its
experiments runs with the experiment's `tiny` preset and shows its chart and finding."""

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from studykit import experiments
from studykit.quiz.bank import load_bank
from studykit.quiz.store import Store

APP = str(Path(__file__).parents[2] / "app.py")
TOPICS = load_bank().topics


def set_widget(at: AppTest, key: str, value) -> None:
    for kind in ("slider", "number_input", "selectbox", "multiselect", "checkbox", "text_input"):
        widgets = [w for w in getattr(at, kind) if w.key == key]
        if widgets:
            if kind == "multiselect":
                value = list(value)
            elif kind == "text_input" and isinstance(value, list | tuple):
                value = ", ".join(str(v) for v in value)
            widgets[0].set_value(value)
            return
    raise AssertionError(f"no widget with key {key}")


@pytest.mark.timeout(300)
@pytest.mark.parametrize("topic", TOPICS, ids=[t.id for t in TOPICS])
def test_topic_page_quiz_and_experiment(topic, db_path):
    at = AppTest.from_file(APP, default_timeout=120)
    at.switch_page(f"app_pages/{topic.id}.py").run()
    assert not at.exception
    assert at.title[0].value == topic.title
    assert len(at.expander) >= len(topic.questions)

    free = next(q for q in topic.questions if q.kind == "free")
    key = f"q-{free.id}"
    at.text_area(key=f"{key}-answer").input(free.key_points[0].point).run()
    at.button(key=f"{key}-reveal").click().run()
    at.button(key=f"{key}-rate-3").click().run()
    assert not at.exception
    assert [(r["question_id"], r["rating"]) for r in Store(db_path).reviews()] == [(free.id, 3)]

    linked = next(q for q in topic.questions if q.experiment and q.kind != "predict")
    exp_key = f"q-{linked.id}-exp"
    at.toggle(key=f"q-{linked.id}-show-exp").set_value(True).run()
    name = linked.experiment.name
    tiny = experiments.presets(name)["tiny"]
    for field, value in tiny.items():
        set_widget(at, f"{exp_key}-{field}", value)
    charts_before = len(at.get("vega_lite_chart"))
    submit = [b for b in at.button if b.label == "실행"]
    assert len(submit) == 1
    submit[0].click().run()
    assert not at.exception
    assert not at.error, [e.value for e in at.error]
    assert len(at.get("vega_lite_chart")) > charts_before
    expected = experiments.run_cached(name, preset=linked.experiment.preset, **tiny).summary
    assert any(s.value == expected for s in at.success)
