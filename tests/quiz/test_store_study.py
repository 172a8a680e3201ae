"""Schema 4: drafts, settings, card status, previous answers, new cards per day, coach sessions."""

import sqlite3
from datetime import datetime, timedelta, timezone

import pytest

from studykit.quiz.store import MAX_DRAFT_CHARS, MIGRATIONS, SCHEMA_VERSION, Store

T0 = datetime(2026, 1, 5, 9, 0, tzinfo=timezone.utc)


def test_migration_from_schema_3_keeps_reviews_and_adds_the_new_tables(tmp_path):
    path = tmp_path / "v3.sqlite3"
    with sqlite3.connect(path) as connection:
        for script in MIGRATIONS[:3]:
            connection.executescript(script)
        connection.execute("CREATE TABLE schema_version (version INTEGER NOT NULL)")
        connection.execute("INSERT INTO schema_version VALUES (3)")
        connection.execute(
            "INSERT INTO reviews (question_id, rating, reviewed_at, answer, due_after) "
            "VALUES ('old-q', 3, '2025-01-01T00:00:00+00:00', '예전 답', "
            "'2025-01-02T00:00:00+00:00')"
        )
    store = Store(path)
    assert store.schema_version() == SCHEMA_VERSION == 4
    assert [r["answer"] for r in store.reviews()] == ["예전 답"]
    store.save_draft("q", "초안")
    store.set_setting("new_per_day", "7")
    assert store.draft("q") == "초안" and store.setting("new_per_day") == "7"
    assert store.mock_interviews() == []


def test_a_draft_survives_reopening_and_a_rating_clears_it(tmp_path):
    path = tmp_path / "p.sqlite3"
    Store(path).save_draft("q-1", "쓰다 만 답변")
    Store(path).save_draft("q-2", "다른 카드")
    assert Store(path).draft("q-1") == "쓰다 만 답변"
    Store(path).save_draft("q-1", "고친 답변")
    assert Store(path).draft("q-1") == "고친 답변"
    Store(path).record_review("q-1", 3, answer="고친 답변", when=T0)
    assert Store(path).draft("q-1") == "" and Store(path).draft("q-2") == "다른 카드"
    Store(path).save_draft("q-2", "   ")  # emptied text area: the draft goes
    assert Store(path).draft("q-2") == ""


def test_an_oversized_draft_is_refused_and_the_old_one_kept(tmp_path):
    store = Store(tmp_path / "p.sqlite3")
    store.save_draft("q", "짧은 답")
    with pytest.raises(ValueError, match="at most"):
        store.save_draft("q", "가" * (MAX_DRAFT_CHARS + 1))
    assert store.draft("q") == "짧은 답"


def test_card_status_has_due_date_and_latest_rating(tmp_path):
    store = Store(tmp_path / "p.sqlite3")
    store.record_review("a", 1, when=T0)
    last = store.record_review("a", 4, when=T0 + timedelta(minutes=10))
    store.record_review("b", 2, when=T0)
    status = store.card_status()
    assert set(status) == {"a", "b"}
    assert status["a"].last_rating == 4 and status["a"].due == last.due
    assert status["b"].last_rating == 2


def test_previous_answer_skips_empty_answers_and_the_review_just_written(tmp_path):
    store = Store(tmp_path / "p.sqlite3")
    assert store.previous_answer("q") is None
    store.record_review("q", 2, answer="첫 답", when=T0)
    store.record_review("q", 3, answer="", when=T0 + timedelta(days=1))
    latest = store.record_review("q", 4, answer="셋째 답", when=T0 + timedelta(days=2))
    assert store.previous_answer("q")["answer"] == "셋째 답"
    before = store.previous_answer("q", before_review=latest.review_id)
    assert (before["answer"], before["rating"]) == ("첫 답", 2)
    assert before["reviewed_at"] == T0


def test_new_cards_since_counts_first_reviews_only(tmp_path):
    store = Store(tmp_path / "p.sqlite3")
    store.record_review("old", 3, when=T0 - timedelta(days=1))
    store.record_review("old", 3, when=T0 + timedelta(hours=1))  # a review, not a new card
    store.record_review("new-1", 1, when=T0 + timedelta(hours=2))
    store.record_review("new-1", 3, when=T0 + timedelta(hours=3))
    undone = store.record_review("new-2", 3, when=T0 + timedelta(hours=4))
    assert store.new_cards_since(T0) == 2
    assert store.undo_review(undone.review_id)
    assert store.new_cards_since(T0) == 1


def test_settings_round_trip(tmp_path):
    store = Store(tmp_path / "p.sqlite3")
    assert store.setting("new_per_day") is None
    store.set_setting("new_per_day", "5")
    store.set_setting("new_per_day", "8")
    assert Store(tmp_path / "p.sqlite3").setting("new_per_day") == "8"


def test_a_coach_session_is_saved_as_it_goes_and_listed_newest_first(tmp_path):
    store = Store(tmp_path / "p.sqlite3")
    settings = {"topics": ["loss"], "count": 2, "seconds": 60}
    first = store.save_mock_interview(settings, [{"question_id": "a"}], T0)
    same = store.save_mock_interview(
        settings,
        [{"question_id": "a"}, {"question_id": "b"}],
        T0,
        finished_at=T0 + timedelta(minutes=5),
        session_id=first,
    )
    second = store.save_mock_interview(settings, [], T0 + timedelta(hours=1))
    assert same == first and second != first
    newest, oldest = store.mock_interviews()
    assert newest["id"] == second and newest["finished_at"] is None
    assert [q["question_id"] for q in oldest["report"]] == ["a", "b"]
    assert oldest["finished_at"] == T0 + timedelta(minutes=5) and oldest["settings"] == settings


def test_csv_holds_every_review_even_multi_line_answers(tmp_path):
    import csv
    import io

    store = Store(tmp_path / "p.sqlite3")
    for i in range(30):
        store.record_review(
            f"q-{i % 7}", 1 + i % 4, answer=f"첫 줄 {i}\n둘째 줄", when=T0 + timedelta(minutes=i)
        )
    rows = list(csv.DictReader(io.StringIO(store.export_reviews_csv())))
    assert len(rows) == 30 == len(store.reviews())
    assert rows[29]["answer"] == "첫 줄 29\n둘째 줄" and rows[29]["rating"] == "2"


def test_a_coach_session_with_damaged_json_reads_as_empty(tmp_path):
    path = tmp_path / "p.sqlite3"
    store = Store(path)
    store.save_mock_interview({"count": 1}, [{"parts": []}], T0)
    with sqlite3.connect(path) as connection:
        connection.execute("UPDATE mock_interviews SET report = '{not json', settings = '[]'")
    (session,) = store.mock_interviews()
    assert session["report"] == [] and session["settings"] == {}


def test_undoing_a_rating_gives_its_answer_back_as_the_draft(tmp_path):
    store = Store(tmp_path / "p.sqlite3")
    rated = store.record_review("q", 3, answer="평가했던 답", when=T0)
    assert store.draft("q") == ""
    assert store.undo_review(rated.review_id)
    assert store.draft("q") == "평가했던 답"
    again = store.record_review("q", 2, answer="고친 답", when=T0)
    store.save_draft("q", "더 새로운 초안")
    assert store.undo_review(again.review_id)
    assert store.draft("q") == "더 새로운 초안"  # a newer draft is not overwritten
