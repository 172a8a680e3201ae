"""Errors a learner can cause show a Korean message and the rest of the app keeps working."""

import shutil
from pathlib import Path

from streamlit.testing.v1 import AppTest

ROOT = Path(__file__).parents[2]
APP = str(ROOT / "app.py")


def run(path: str) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=60)
    at.switch_page(path)
    return at.run()


def test_a_corrupt_database_is_moved_aside_with_a_korean_notice(db_path):
    db_path.write_bytes(b"garbage, not sqlite" * 50)
    at = run("app_pages/home.py")
    assert not at.exception
    assert any("손상되어 새 파일을 만들었습니다" in w.value for w in at.warning)
    assert list(db_path.parent.glob("progress.sqlite3.corrupt-*"))


def test_a_broken_question_file_hides_only_its_questions(db_path, tmp_path, monkeypatch):
    questions = tmp_path / "questions"
    shutil.copytree(ROOT / "questions", questions)
    loss = questions / "loss.yaml"
    loss.write_text(
        loss.read_text(encoding="utf-8").replace("kind: free", "kind: essay", 1), encoding="utf-8"
    )
    monkeypatch.setenv("STUDYKIT_QUESTIONS_DIR", str(questions))
    at = run("app_pages/home.py")
    assert not at.exception
    assert any("오류 1건" in e.label for e in at.expander)
    assert any("loss.yaml" in t.value and "kind" in t.value for t in at.text)
    table = at.dataframe[0].value
    assert "활성화 함수" in set(table["주제"])  # the other topics are still there


def test_out_of_range_experiment_values_are_refused_in_korean(db_path):

    at = AppTest.from_string(
        "from studykit.ui.experiment import _run\n_run('vanishing_gradient', {'depth': 99})\n",
        default_timeout=60,
    ).run()
    assert not at.exception
    (error,) = at.error
    assert (
        "범위 안으로" in error.value
        and "`depth`" in error.value
        and "1 이상 20 이하" in error.value
    )


def test_a_failing_experiment_shows_a_korean_message_not_a_traceback(db_path, monkeypatch):
    from studykit import experiments

    def boom(*args, **params):
        raise RuntimeError("simulated failure")

    monkeypatch.setattr(experiments, "run_cached", boom)  # AppTest runs in this process
    at = AppTest.from_string(
        "from studykit.ui.experiment import _run\n_run('vanishing_gradient', {})\n",
        default_timeout=60,
    ).run()
    assert not at.exception
    (error,) = at.error
    assert (
        "실험을 실행하는 중 문제가 생겼습니다" in error.value and "simulated failure" in error.value
    )


def test_a_failed_rating_keeps_the_answer_with_a_korean_retry_message(db_path, monkeypatch):
    from studykit.quiz.store import Store, StoreError

    def disk_full(self, *args, **kwargs):
        raise StoreError("database or disk is full", "disk_full")

    at = run("app_pages/activation.py")
    key = "q-activation-relu-vs-sigmoid"
    answer = "ReLU는 양수 구간에서 미분값이 1이라 기울기 소실이 덜합니다."
    at.text_area(key=f"{key}-answer").input(answer).run()
    at.button(key=f"{key}-reveal").click().run()
    monkeypatch.setattr(Store, "record_review", disk_full)
    at.button(key=f"{key}-rate-3").click().run()
    assert not at.exception
    assert any("디스크 공간" in e.value for e in at.error)
    assert any("답변은 그대로 있으니" in w.value for w in at.warning)
    assert at.text_area(key=f"{key}-answer").value == answer


def test_a_foreign_database_is_refused_with_advice_and_left_untouched(db_path):
    import sqlite3

    with sqlite3.connect(db_path) as connection:
        connection.execute("CREATE TABLE notes (body TEXT)")
    before = db_path.read_bytes()
    at = run("app_pages/progress.py")
    assert not at.exception
    assert any("다른 프로그램의 SQLite 파일" in e.value for e in at.error)
    assert db_path.read_bytes() == before


def test_learner_text_in_a_numeric_error_is_not_markdown(db_path):
    at = run("app_pages/activation.py")
    key = "q-activation-sigmoid-derivative-max"
    numeric = [t for t in at.text_input if t.key and t.key.endswith("-answer")]
    if not any(t.key == f"{key}-answer" for t in numeric):
        key = numeric[0].key.removesuffix("-answer")
    at.text_input(key=f"{key}-answer").input("![x](http://example.com/a.png) **굵게**").run()
    at.button(key=f"{key}-check").click().run()
    assert not at.exception
    (error,) = at.error
    assert "\\!\\[x\\]\\(http\\:" in error.value and "\\*\\*굵게\\*\\*" in error.value
