"""복습 and 진도 pages in AppTest, against a temporary database (모의 면접: test_coach.py)."""

from datetime import timedelta
from pathlib import Path

from streamlit.testing.v1 import AppTest

from studykit.quiz import queue
from studykit.quiz.scheduling import now_utc
from studykit.quiz.store import Store

APP = str(Path(__file__).parents[2] / "app.py")


def page(path: str) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=60)
    at.switch_page(path)
    return at.run()


def test_review_with_nothing_due(db_path):
    queue.set_new_per_day(Store(db_path), 0)
    at = page("app_pages/review.py")
    assert not at.exception
    assert any("복습할 카드가 없습니다" in s.value for s in at.success)


def test_review_shows_a_due_card_and_rating_it_writes_a_row(db_path):
    store = Store(db_path)
    queue.set_new_per_day(store, 0)
    store.record_review(
        "activation-relu-vs-sigmoid", 1, topic="activation", when=now_utc() - timedelta(days=1)
    )
    at = page("app_pages/review.py")
    assert not at.exception
    assert any("복습할 카드 1장" in c.value for c in at.caption)
    key = "review-activation-relu-vs-sigmoid"
    question_ids = {w.key for w in at.text_area}
    assert f"{key}-answer" in question_ids, question_ids
    at.text_area(key=f"{key}-answer").input("교차 엔트로피는 기울기가 크다").run()
    at.button(key=f"{key}-reveal").click().run()
    at.button(key=f"{key}-rate-4").click().run()
    assert not at.exception
    assert [r["rating"] for r in Store(db_path).reviews()] == [1, 4]
    next_card = [b for b in at.button if b.label == "다음 카드"]
    assert next_card
    next_card[0].click().run()
    assert any("복습할 카드가 없습니다" in s.value for s in at.success)


def test_progress_page_shows_statistics_charts_and_exports(db_path):
    store = Store(db_path)
    for rating in (1, 3, 4):
        store.record_review("activation-relu-vs-sigmoid", rating, topic="activation", score=0.5)
    at = page("app_pages/progress.py")
    assert not at.exception
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["총 복습 횟수"] == "3" and metrics["학습한 문항"].startswith("1 /")
    table = at.dataframe[0].value
    row = table[table["주제"] == "활성화 함수"].iloc[0]
    assert row["복습 횟수"] == 3 and abs(row["정답률 (알맞음·쉬움)"] - 2 / 3) < 1e-9
    assert row["학습 / 문항"].startswith("1 / ")
    assert len(at.get("vega_lite_chart")) == 2
    labels = [b.label for b in at.get("download_button")]
    assert any("CSV" in label for label in labels) and any("Anki" in label for label in labels)
