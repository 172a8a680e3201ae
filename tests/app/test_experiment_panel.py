"""The experiment panel in AppTest: preset chooser, Korean checks under the fields before
anything runs, full-width list input, live curves every epoch, 실행 취소, the cached-run
note, and the A/B comparison (overlaid curves, findings side by side with the difference).
"""

import json

import pytest
from streamlit.testing.v1 import AppTest

from studykit import experiments
from studykit.experiments import Cancelled

PANEL = """
import streamlit as st
from studykit.ui.experiment import experiment_panel
experiment_panel({name!r}, {preset!r}, "p")
"""


def _panel(name: str = "vanishing_gradient", preset: str = "tiny") -> AppTest:
    return AppTest.from_string(PANEL.format(name=name, preset=preset), default_timeout=120)


def _run_button(at: AppTest):
    (button,) = [b for b in at.button if b.label == "실행"]
    return button


def _charts(at: AppTest) -> list[dict]:
    return [json.loads(c.proto.spec) for c in at.get("vega_lite_chart")]


def test_bounds_are_shown_and_a_bad_value_is_explained_under_its_field_before_running(
    monkeypatch,
):
    ran = []
    monkeypatch.setattr(experiments, "run_cached", lambda *a, **k: ran.append(k))
    at = _panel().run()
    width = at.number_input(key="p-width")
    assert "4~256" in width.label
    width.set_value(0)
    at.number_input(key="p-seed").set_value(-5)
    _run_button(at).click().run()
    assert not at.exception and not ran  # nothing ran
    errors = [e.value for e in at.error]
    assert any(e.startswith("층당 뉴런 수: 4 이상 256 이하") and "입력값: 0" in e for e in errors)
    assert any(e.startswith("시드: ") for e in errors)  # each message names its field
    assert any("0 이상 2,147,483,647 이하" in e for e in errors)
    assert any("고쳐야 할 값이 2개" in e for e in errors)
    assert not any("Input should" in e or "greater" in e for e in errors)  # no pydantic English


def test_an_empty_choice_is_explained_in_korean():
    at = _panel().run()
    at.multiselect(key="p-activations").set_value([])
    _run_button(at).click().run()
    assert any("하나 이상 고르거나 입력하세요" in e.value for e in at.error)


def test_choosing_a_preset_fills_the_form_with_its_values():
    at = _panel(preset="default").run()
    assert at.slider(key="p-depth").value == 10
    chooser = at.selectbox(key="p-preset")
    assert "아주 작게" in chooser.format_func("tiny") and "은닉층 수 4" in chooser.format_func(
        "tiny"
    )
    chooser.set_value("tiny").run()
    assert at.slider(key="p-depth").value == 4 and at.number_input(key="p-width").value == 8


def test_full_width_digits_and_commas_are_read_as_numbers(monkeypatch):
    seen = []

    def fake(name, progress=None, **params):
        seen.append(params)
        raise Cancelled  # stop here: only the parsed values matter

    monkeypatch.setattr(experiments, "run_cached", fake)
    at = _panel("learning_rate").run()
    at.text_input(key="p-learning_rates").set_value("０．０２，０．２、 0.4")
    _run_button(at).click().run()
    assert not at.exception
    assert seen and seen[0]["learning_rates"] == (0.02, 0.2, 0.4)
    at.text_input(key="p-learning_rates").set_value("빠르게, 0.1")
    _run_button(at).click().run()
    assert any("1번째 값" in e.value and "숫자여야" in e.value for e in at.error)


@pytest.mark.timeout(300)
def test_curves_are_drawn_every_epoch_and_a_rerun_says_the_result_is_stored(monkeypatch):
    from studykit.ui import experiment as panel

    drawn = []
    real = panel._live_chart

    def spy(rows):
        drawn.append(list(rows))
        return real(rows)

    monkeypatch.setattr(panel, "LIVE_EVERY", 0.0)
    monkeypatch.setattr(panel, "_live_chart", spy)
    experiments._CACHE.clear()
    at = _panel().run()
    at.slider(key="p-epochs").set_value(3)
    _run_button(at).click().run()
    assert not at.exception and not at.error
    # Drawn before training (epoch 0, measured) and after every epoch of each model
    # (sigmoid, then ReLU) while it trains.
    assert len(drawn) == 2 * (1 + 3)
    assert [max(r["epoch"] for r in rows) for rows in drawn[:4]] == [0, 1, 2, 3]
    assert [len(rows) for rows in drawn] == sorted(len(rows) for rows in drawn)
    assert {r["series"] for r in drawn[-1]} == {"시그모이드(sigmoid)", "ReLU"}
    assert {r["split"] for r in drawn[-1]} == {"train", "validation"}
    assert not [c for c in _charts(at) if "학습 중" in json.dumps(c, ensure_ascii=False)]
    assert any("실행 시간" in c.value for c in at.caption)
    findings = at.expander[0]
    table = findings.dataframe[0].value
    assert "학습 전 첫 층 / 마지막 층 기울기 노름 · 시그모이드(sigmoid)" in set(table["항목"])
    at.run()  # the same settings again: the stored run
    assert any("저장된 결과입니다" in c.value for c in at.caption)


def test_cancel_stops_the_run_and_keeps_the_curves_so_far(monkeypatch):
    from studykit.ui import experiment as panel

    calls = []

    def fake(name, progress=None, **params):
        calls.append(params)
        for epoch in range(3):
            progress.curve(
                [
                    {
                        "epoch": epoch,
                        "split": "train",
                        "metric": "loss",
                        "value": 1.0 / (1 + epoch),
                    },
                    {"epoch": epoch, "split": "validation", "metric": "loss", "value": 1.2},
                ]
            )
            progress((epoch + 1) / 10, f"에폭 {epoch + 1}/10")
            if epoch == 1:
                panel._cancel("p")  # what the 실행 취소 button's callback does
        raise AssertionError("the run should have been cancelled")

    monkeypatch.setattr(panel, "LIVE_EVERY", 0.0)
    monkeypatch.setattr(experiments, "run_cached", fake)
    at = _panel().run()
    _run_button(at).click().run()
    assert not at.exception and not at.error
    assert any("실행을 취소했습니다" in i.value for i in at.info)
    at.run()  # the page again: still cancelled, nothing runs again, the curves so far stay
    assert len(calls) == 1
    assert any("실행을 취소했습니다" in i.value for i in at.info)
    assert any("취소하기 전까지의 학습 곡선" in m.value for m in at.markdown)  # (panels' title)
    specs = [json.dumps(c, ensure_ascii=False) for c in _charts(at)]
    assert any("손실" in s for s in specs)  # the loss panel of the curves so far


@pytest.mark.timeout(300)
def test_ab_overlays_both_runs_and_tabulates_the_findings_with_their_difference():
    at = _panel().run()
    at.toggle(key="p-ab").set_value(True).run()
    at.slider(key="p-B-depth").set_value(3)
    for button in [b for b in at.button if b.label == "실행"]:
        button.click()
    at.run()
    assert not at.exception and not at.error
    specs = [json.dumps(c, ensure_ascii=False) for c in _charts(at)]
    overlays = [s for s in specs if "A/B 비교" in s]
    assert len(overlays) == 2  # loss and accuracy, colour = setting
    assert all(json.loads(s)["encoding"]["color"]["field"] == "setting" for s in overlays)
    table = next(d.value for d in at.dataframe if "차이 (B − A)" in d.value.columns)
    assert {"항목", "A", "B"} <= set(table.columns) and len(table) > 3
    assert any("시드는 A와 같은 0" in m.value for m in at.markdown)
