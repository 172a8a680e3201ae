"""The app in Streamlit's AppTest: home, a topic page, answer → reveal → rate, an experiment."""

import json
import shutil
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from studykit import experiments
from studykit.cli import experiment_catalog
from studykit.quiz.bank import load_bank, load_bank_partial
from studykit.quiz.store import Store

APP = str(Path(__file__).parents[2] / "app.py")
QUESTION = "activation-relu-vs-sigmoid"
KEY = f"q-{QUESTION}"


def _app() -> AppTest:
    return AppTest.from_file(APP, default_timeout=120)


def test_every_topic_has_a_page_file():
    pages = Path(APP).parent / "app_pages"
    for topic in load_bank().topics:
        assert (pages / f"{topic.id}.py").exists(), topic.id


def test_home_lists_topics_without_exception(db_path):
    at = _app().run()
    assert not at.exception
    assert at.title[0].value.startswith("studykit")
    table = at.dataframe[0].value
    assert "활성화 함수" in set(table["주제"])
    valid, _ = load_bank_partial(experiments=experiment_catalog())
    assert table["문항 수"].sum() == len(valid.questions)


def test_answer_reveal_rate_writes_a_review(db_path):
    at = _app()
    at.switch_page("app_pages/activation.py").run()
    assert not at.exception
    assert any("ReLU를 많이 쓰는" in e.label for e in at.expander)
    at.text_area(key=f"{KEY}-answer").input(
        "ReLU는 양수 구간에서 미분값이 1이라 기울기 소실이 줄어듭니다. "
        "시그모이드 도함수는 최대 0.25예요."
    ).run()
    at.button(key=f"{KEY}-reveal").click().run()
    assert not at.exception
    hits = [m.value for m in at.markdown if m.value.startswith("- ✅")]
    assert any("기울기 소실" in h for h in hits) and any("미분값이 1" in h for h in hits)
    at.button(key=f"{KEY}-rate-3").click().run()
    assert not at.exception
    assert any("다음 복습" in s.value for s in at.success)
    reviews = Store(db_path).reviews()
    assert [(r["question_id"], r["rating"], r["topic"]) for r in reviews] == [
        (QUESTION, 3, "activation")
    ]
    assert Store(db_path).due_date(QUESTION) is not None


@pytest.mark.timeout(300)
def test_experiment_runs_with_a_tiny_preset_and_shows_chart_and_finding(db_path):
    at = _app()
    at.switch_page("app_pages/activation.py").run()
    at.toggle(key=f"{KEY}-show-exp").set_value(True).run()
    exp = f"{KEY}-exp"
    at.slider(key=f"{exp}-depth").set_value(3)
    at.slider(key=f"{exp}-epochs").set_value(1)
    at.number_input(key=f"{exp}-width").set_value(8)
    at.number_input(key=f"{exp}-samples").set_value(64)
    at.button[[b.label for b in at.button].index("실행")].click().run()
    assert not at.exception
    finding = [s.value for s in at.success if "은닉층 3개" in s.value]
    assert finding and "검증 정확도" in finding[0]
    charts = at.get("vega_lite_chart")
    assert len(charts) == 3  # the norms, then the learning curves: loss and accuracy panels
    spec = json.loads(charts[0].proto.spec)
    assert "기울기 노름" in json.dumps(spec, ensure_ascii=False)
    assert spec["encoding"]["y"]["scale"]["type"] == "log"


@pytest.mark.timeout(300)
def test_ab_comparison_runs_two_settings_with_the_same_seed(db_path):
    at = _app()
    at.switch_page("app_pages/activation.py").run()
    at.toggle(key=f"{KEY}-show-exp").set_value(True).run()
    exp = f"{KEY}-exp"
    at.toggle(key=f"{exp}-ab").set_value(True).run()
    for side, depth in (("A", 2), ("B", 4)):
        form = f"{exp}-{side}"
        at.slider(key=f"{form}-depth").set_value(depth)
        at.slider(key=f"{form}-epochs").set_value(1)
        at.number_input(key=f"{form}-width").set_value(8)
        at.number_input(key=f"{form}-samples").set_value(64)
    at.number_input(key=f"{exp}-B-seed").set_value(7)  # B follows A's seed anyway
    for button in [b for b in at.button if b.label == "실행"]:
        button.click()
    at.run()
    assert not at.exception
    findings = [s.value for s in at.success if "은닉층" in s.value]
    assert any("은닉층 2개" in f for f in findings) and any("은닉층 4개" in f for f in findings)
    assert len(at.get("vega_lite_chart")) == 4
    ran = [
        json.loads(params) for name, params in experiments._CACHE if name == "vanishing_gradient"
    ]
    b_runs = [p for p in ran if p["depth"] == 4 and p["width"] == 8 and p["samples"] == 64]
    assert b_runs and all(p["seed"] == 0 for p in b_runs)


MISCONCEPTION_TOPIC = """
topic: {id: activation, title: 활성화 함수, order: 1, summary: 요약}
questions:
  - id: activation-demo
    kind: free
    difficulty: 1
    question: ReLU를 쓰는 이유는?
    answer: 양수 구간의 미분값이 1이라 기울기 소실이 줄어듭니다.
    key_points:
      - point: 양수 구간의 미분값이 1
        synonyms: [미분값이 1]
      - point: 기울기 소실 완화
        synonyms: [기울기 소실이 줄다]
    misconceptions:
      - claim: 시그모이드의 미분값은 1이다
        correction: 시그모이드 도함수의 최댓값은 0.25입니다.
        detect: [시그모이드 + 미분값이 1]
    follow_ups:
      - question: 죽은 ReLU란?
        answer: 음수 입력만 받아 기울기가 0이 된 뉴런입니다.
        key_points:
          - point: 기울기가 0
    notes: [004_a0cbd5e94b658168]
"""


def test_page_shows_a_misconception_with_its_correction_and_the_evidence(
    db_path, tmp_path, monkeypatch
):
    questions = tmp_path / "questions"
    questions.mkdir()
    (questions / "activation.yaml").write_text(MISCONCEPTION_TOPIC, encoding="utf-8")
    shutil.copy(Path(APP).parent / "questions" / "_equivalents.yaml", questions)
    monkeypatch.setenv("STUDYKIT_QUESTIONS_DIR", str(questions))
    at = _app()
    at.switch_page("app_pages/activation.py").run()
    key = "q-activation-demo"
    at.text_area(key=f"{key}-answer").input(
        "시그모이드는 미분값이 1이라서 좋아요. 기울기 소실이 줄지는 않아요."
    ).run()
    at.button(key=f"{key}-reveal").click().run()
    assert not at.exception
    (error,) = at.error
    assert "시그모이드의 미분값은 1이다" in error.value
    assert "바로잡기: 시그모이드 도함수의 최댓값은 0.25입니다" in error.value.replace("\\", "")
    assert "시그모이드는 미분값이 1이라서 좋아요" in error.value.replace("\\", "")
    points = [m.value for m in at.markdown if m.value.startswith("- ")]
    assert any(p.startswith("- 🚫") and "부정함" in p for p in points)
    assert not any(p.startswith("- ✅") for p in points)
    assert any("오개념 1개" in w.value for w in at.warning)
    # the answered follow-up opens as its own card under the parent
    at.toggle(key=f"{key}-fu1").set_value(True).run()
    at.text_area(key=f"{key}-fu1-answer").input("기울기가 0이 돼서 안 변해요").run()
    at.button(key=f"{key}-fu1-reveal").click().run()
    assert not at.exception
    at.button(key=f"{key}-fu1-rate-3").click().run()
    assert [r["question_id"] for r in Store(db_path).reviews()] == ["activation-demo-f1"]


def test_one_rating_per_reveal_with_intervals_and_undo(db_path):
    at = _app()
    at.switch_page("app_pages/activation.py").run()
    at.text_area(key=f"{KEY}-answer").input("ReLU는 양수에서 미분값이 1입니다.").run()
    at.button(key=f"{KEY}-reveal").click().run()
    labels = [at.button(key=f"{KEY}-rate-{r}").label for r in (1, 2, 3, 4)]
    assert labels[0].startswith("🔴 다시 · ") and labels[2].startswith("🟡 알맞음 · ")
    at.button(key=f"{KEY}-rate-3").click().run()
    assert at.button(key=f"{KEY}-rate-1").disabled
    assert [r["rating"] for r in Store(db_path).reviews()] == [3]
    at.button(key=f"{KEY}-undo").click().run()
    assert not at.exception
    assert Store(db_path).reviews() == [] and Store(db_path).due_date(QUESTION) is None
    assert not at.button(key=f"{KEY}-rate-1").disabled
