"""Today's queue: due cards, new cards per local day, study ahead; local day bounds."""

import os
import time
from datetime import datetime, timedelta, timezone

import pytest

from studykit.quiz import queue, scheduling
from studykit.quiz.bank import load_bank
from studykit.quiz.store import Store

T0 = datetime(2026, 1, 5, 9, 0, tzinfo=timezone.utc)  # 18:00 in Seoul


@pytest.fixture(scope="module")
def bank():
    return load_bank()


@pytest.fixture
def seoul():
    old = os.environ.get("TZ")
    os.environ["TZ"] = "Asia/Seoul"
    time.tzset()
    yield
    if old is None:
        del os.environ["TZ"]
    else:
        os.environ["TZ"] = old
    time.tzset()


def test_local_day_is_the_learners_calendar_day(seoul):
    start, end = scheduling.local_day(T0)
    assert start == datetime(2026, 1, 4, 15, 0, tzinfo=timezone.utc)  # 00:00 KST
    assert end - start == timedelta(days=1)
    late = datetime(2026, 1, 5, 16, 0, tzinfo=timezone.utc)  # 01:00 KST on the 6th
    assert scheduling.local_day(late)[0] == end


def test_new_cards_are_rationed_per_local_day(tmp_path, bank, seoul):
    store = Store(tmp_path / "p.sqlite3")
    queue.set_new_per_day(store, 3)
    first = queue.today(bank, store, T0)
    assert first.due == () and len(first.new) == 3 and first.new_today == 0
    assert list(first.new) == queue.new_questions(bank, set())[:3]
    for qid in first.new[:2]:
        store.record_review(qid, 3, when=T0)
    later = queue.today(bank, store, T0 + timedelta(minutes=1))
    assert later.new_today == 2 and len(later.new) == 1
    assert not set(later.new) & set(first.new[:2])
    # 5 hours later it is 23:00 in Seoul (same day); 7 hours later a new day has begun
    assert queue.today(bank, store, T0 + timedelta(hours=5)).new_today == 2
    assert len(queue.today(bank, store, T0 + timedelta(hours=7)).new) == 3


def test_due_cards_come_first_and_ignore_the_limit(tmp_path, bank):
    store = Store(tmp_path / "p.sqlite3")
    queue.set_new_per_day(store, 0)
    ids = [q.id for q in bank.questions[:2]]
    for qid in ids:
        store.record_review(qid, 1, when=T0 - timedelta(days=2))
    today = queue.today(bank, store, T0)
    assert sorted(today.due) == sorted(ids) and today.new == ()


def test_a_follow_up_is_new_only_after_its_parent(bank):
    parent = next(q for q in bank.questions if q.answered_follow_ups())
    child = parent.answered_follow_ups()[0].id
    assert child not in queue.new_questions(bank, set())
    assert child in queue.new_questions(bank, {parent.id})


@pytest.mark.parametrize("text", ["abc", "-1", "201", None])
def test_a_bad_stored_limit_reads_as_the_default(text):
    assert queue.parse_new_per_day(text) == queue.DEFAULT_NEW_PER_DAY


def test_a_limit_out_of_bounds_is_refused(tmp_path):
    store = Store(tmp_path / "p.sqlite3")
    with pytest.raises(ValueError, match="0..200"):
        queue.set_new_per_day(store, 500)
    assert queue.new_per_day(store) == queue.DEFAULT_NEW_PER_DAY


def test_due_by_end_of_day_includes_later_today_not_tomorrow(tmp_path, bank, seoul):
    store = Store(tmp_path / "p.sqlite3")
    a, b = (q.id for q in bank.questions[:2])
    store.record_review(a, 1, when=T0)  # due in minutes: today
    store.record_review(b, 4, when=T0)  # due in days
    assert queue.due_by_end_of_day(bank, store, T0) == [a]
    assert queue.today(bank, store, T0).due == ()  # not due *now*


def test_study_ahead_by_topic_and_difficulty(tmp_path, bank):
    store = Store(tmp_path / "p.sqlite3")
    topic = bank.topics[0]
    ids = [q.id for q in topic.questions]
    later = store.record_review(ids[0], 4, when=T0)
    sooner = store.record_review(ids[1], 3, when=T0)
    assert sooner.due < later.due
    ahead = queue.ahead(bank, store, topic=topic.id, now=T0)
    assert ahead[:2] == [ids[1], ids[0]]
    assert set(ahead[2:]) == {q.id for q in topic.questions[2:]} | {
        c.id for c in topic.follow_up_questions
    }
    hard = queue.ahead(bank, store, difficulty=3, now=T0)
    assert hard and all(bank.question(qid).difficulty == 3 for qid in hard)
