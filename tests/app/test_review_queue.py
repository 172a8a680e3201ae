"""The 복습 page as Anki: new cards per day, study ahead, the previous answer after reveal."""

from datetime import timedelta
from pathlib import Path

from streamlit.testing.v1 import AppTest

from studykit.quiz import queue
from studykit.quiz.bank import load_bank
from studykit.quiz.scheduling import now_utc
from studykit.quiz.store import Store
from studykit.ui.text import plain

APP = str(Path(__file__).parents[2] / "app.py")
QUESTION = "activation-relu-vs-sigmoid"


def review() -> AppTest:
    at = AppTest.from_file(APP, default_timeout=60)
    at.switch_page("app_pages/review.py")
    return at.run()


def _caption(at, text):
    return [c.value for c in at.caption if text in c.value]


def test_new_cards_appear_up_to_the_daily_limit_set_on_the_page(db_path):
    at = review()
    assert not at.exception
    assert _caption(at, "복습할 카드 0장 · 오늘의 새 문항 20장")
    first = load_bank().all_questions[0]
    assert any(plain(first.question) in s.value for s in at.subheader)
    assert _caption(at, "새 문항")
    at.number_input(key="new-per-day").set_value(2).run()
    assert not at.exception
    assert Store(db_path).setting("new_per_day") == "2"
    assert _caption(at, "오늘의 새 문항 2장 (오늘 시작 0 / 하루 2장)")
    again = AppTest.from_file(APP, default_timeout=60).switch_page("app_pages/review.py").run()
    assert _caption(again, "하루 2장")


def test_the_day_limit_counts_cards_started_today(db_path):
    store = Store(db_path)
    queue.set_new_per_day(store, 1)
    store.record_review(load_bank().questions[5].id, 3)  # today's one new card
    at = review()
    assert _caption(at, "오늘의 새 문항 0장 (오늘 시작 1 / 하루 1장)")
    assert any("오늘의 새 문항 1장을 모두 시작했습니다" in i.value for i in at.info)


def test_study_ahead_by_topic_when_nothing_is_due(db_path):
    store = Store(db_path)
    queue.set_new_per_day(store, 0)
    store.record_review(QUESTION, 4, topic="activation")  # due in days
    at = review()
    assert any("복습할 카드가 없습니다" in s.value for s in at.success)
    at.selectbox(key="ahead-topic").set_value("activation").run()
    at.selectbox(key="ahead-level").set_value(None).run()
    topic = load_bank().topic("activation")
    count = len(topic.questions) + len(topic.follow_up_questions)
    assert _caption(at, f"조건에 맞는 카드 {count}장")
    [b for b in at.button if b.label == "미리 학습 시작"][0].click().run()
    assert not at.exception
    assert _caption(at, f"미리 학습 중: {topic.title} · 남은 카드 {count}장")
    key = f"review-{QUESTION}"  # the studied card comes first: it is the soonest due
    at.text_area(key=f"{key}-answer").input("미리 보는 답").run()
    at.button(key=f"{key}-reveal").click().run()
    at.button(key=f"{key}-rate-3").click().run()
    assert [r["rating"] for r in Store(db_path).reviews()] == [4, 3]
    [b for b in at.button if b.label == "다음 카드"][0].click().run()
    assert _caption(at, f"남은 카드 {count - 1}장")  # the rated card is not shown again
    [b for b in at.button if b.label == "미리 학습 끝내기"][0].click().run()
    assert any("복습할 카드가 없습니다" in s.value for s in at.success)


def test_the_previous_answer_is_shown_after_reveal(db_path):
    store = Store(db_path)
    queue.set_new_per_day(store, 0)
    store.record_review(
        QUESTION,
        1,
        topic="activation",
        answer="지난주에 쓴 답변",
        when=now_utc() - timedelta(days=2),
    )
    at = review()
    key = f"review-{QUESTION}"
    assert not any("지난주에 쓴 답변" in m.value for m in at.markdown)  # not before the reveal
    at.text_area(key=f"{key}-answer").input("오늘 쓴 답변").run()
    at.button(key=f"{key}-reveal").click().run()
    assert any("지난주에 쓴 답변" in m.value for m in at.markdown)
    assert _caption(at, "지난번 내 답변") and _caption(at, "평가 다시")
    at.button(key=f"{key}-rate-3").click().run()  # still the earlier answer, not today's
    assert any("지난주에 쓴 답변" in m.value for m in at.markdown)
    assert not any(m.value == "오늘 쓴 답변" for m in at.markdown)
