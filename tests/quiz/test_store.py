"""The SQLite store: reviews persist, FSRS due dates move, schema versions, recovery."""

import sqlite3
from datetime import datetime, timedelta, timezone

import pytest

from studykit.quiz import scheduling
from studykit.quiz.store import SCHEMA_VERSION, Store

T0 = datetime(2026, 1, 5, 9, 0, tzinfo=timezone.utc)


def test_rating_is_read_back_after_reopening(tmp_path):
    path = tmp_path / "p.sqlite3"
    outcome = Store(path).record_review("q-1", 3, topic="activation", answer="답", when=T0)
    reopened = Store(path)
    (row,) = reopened.reviews()
    assert (row["question_id"], row["rating"], row["topic"], row["answer"]) == (
        "q-1",
        3,
        "activation",
        "답",
    )
    assert reopened.due_date("q-1") == outcome.due > T0


def test_due_date_moves_with_ratings(tmp_path):
    store = Store(tmp_path / "p.sqlite3")
    first = store.record_review("q", 3, when=T0)  # new card, Good: short learning step
    assert timedelta(0) < first.due - T0 <= timedelta(hours=1)
    second = store.record_review("q", 3, when=first.due)  # graduates to days
    assert second.due - first.due >= timedelta(days=1)
    third = store.record_review("q", 4, when=second.due)  # Easy: a longer interval
    assert third.due - second.due > second.due - first.due
    lapse = store.record_review("q", 1, when=third.due)  # Again: back within minutes
    assert lapse.due - third.due < timedelta(hours=1)
    assert [r["rating"] for r in store.reviews()] == [3, 3, 4, 1]


def test_due_cards_lists_only_due_ones_most_overdue_first(tmp_path):
    store = Store(tmp_path / "p.sqlite3")
    a = store.record_review("a", 1, when=T0)
    b = store.record_review("b", 1, when=T0 + timedelta(minutes=1))
    store.record_review("c", 4, when=T0)
    due = store.due_cards(when=T0 + timedelta(hours=1))
    assert [qid for qid, _ in due] == ["a", "b"]
    assert due[0][1] == a.due and due[1][1] == b.due


def test_naive_datetimes_and_bad_ratings_are_rejected(tmp_path):
    store = Store(tmp_path / "p.sqlite3")
    with pytest.raises(ValueError, match="timezone-aware"):
        store.record_review("q", 3, when=datetime(2026, 1, 1))
    with pytest.raises(ValueError, match="rating must be 1, 2, 3 or 4"):
        store.record_review("q", 7, when=T0)
    assert store.reviews() == []  # nothing half-written


def test_schema_version_table_and_wal(tmp_path):
    path = tmp_path / "p.sqlite3"
    store = Store(path)
    assert store.schema_version() == SCHEMA_VERSION
    with sqlite3.connect(path) as connection:
        assert connection.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert connection.execute("SELECT version FROM schema_version").fetchall() == [
            (SCHEMA_VERSION,)
        ]


def test_corrupt_file_is_moved_aside_and_a_fresh_one_created(tmp_path):
    path = tmp_path / "p.sqlite3"
    path.write_bytes(b"this is not a database" * 100)
    store = Store(path)
    assert store.recovered_from is not None and store.recovered_from.exists()
    assert store.recovered_from.read_bytes().startswith(b"this is not a database")
    store.record_review("q", 3, when=T0)
    assert len(store.reviews()) == 1


def test_csv_export_has_every_review(tmp_path):
    store = Store(tmp_path / "p.sqlite3")
    store.record_review("q1", 3, answer='쉼표, 그리고 "따옴표"', when=T0)
    store.record_review("q2", 2, when=T0)
    lines = store.export_reviews_csv().strip().splitlines()
    assert lines[0].startswith("id,question_id,topic,rating")
    assert len(lines) == 3 and '"쉼표, 그리고 ""따옴표"""' in lines[1]


@pytest.mark.parametrize("answer", ['=HYPERLINK("x")', "+1+1", "-2+3", "@SUM(A1)", "\tcmd"])
def test_csv_export_neutralises_formula_prefixes(tmp_path, answer):
    store = Store(tmp_path / "p.sqlite3")
    store.record_review("q1", 3, answer=answer, when=T0)
    import csv
    import io

    (row,) = csv.DictReader(io.StringIO(store.export_reviews_csv()))
    assert row["answer"] == "'" + answer


def test_env_var_chooses_the_file(tmp_path, monkeypatch):
    monkeypatch.setenv("STUDYKIT_DB", str(tmp_path / "chosen.sqlite3"))
    assert Store().path == tmp_path / "chosen.sqlite3"


def test_scheduler_is_fsrs_and_deterministic():
    card = scheduling.review(scheduling.new_card(), 3, T0)
    again = scheduling.review(scheduling.new_card(), 3, T0)
    assert card.due == again.due
    assert type(card).__module__.startswith("fsrs")


def test_one_review_per_reveal_whatever_is_clicked_next(tmp_path):
    store = Store(tmp_path / "p.sqlite3")
    first = store.record_review("q1", 1, when=T0, reveal_id="reveal-1")
    again = store.record_review("q1", 4, when=T0 + timedelta(seconds=5), reveal_id="reveal-1")
    assert not first.repeated and again.repeated
    assert (again.rating, again.due) == (1, first.due)
    assert [r["rating"] for r in store.reviews()] == [1]
    store.record_review("q1", 3, when=T0 + timedelta(minutes=10), reveal_id="reveal-2")
    assert len(store.reviews()) == 2


def test_two_sessions_racing_on_one_reveal_write_once(tmp_path):
    import threading

    path = tmp_path / "p.sqlite3"
    Store(path)
    barrier = threading.Barrier(8)

    def rate(rating):
        barrier.wait()
        Store(path).record_review("q1", rating, when=T0, reveal_id="same")

    threads = [threading.Thread(target=rate, args=(1 + i % 4,)) for i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(Store(path).reviews()) == 1


def test_undo_restores_the_card_and_only_the_latest_review_can_be_undone(tmp_path):
    store = Store(tmp_path / "p.sqlite3")
    first = store.record_review("q1", 3, when=T0)
    due_after_first = store.due_date("q1")
    second = store.record_review("q1", 4, when=T0 + timedelta(days=1))
    assert not store.undo_review(first.review_id)  # not the latest any more
    assert store.undo_review(second.review_id)
    assert store.due_date("q1") == due_after_first and len(store.reviews()) == 1
    assert store.undo_review(first.review_id)
    assert store.due_date("q1") is None and store.reviews() == []


def test_preview_gives_the_interval_of_each_rating(tmp_path):
    store = Store(tmp_path / "p.sqlite3")
    due = store.preview("q1", T0)
    assert due[1] < due[2] < due[3] < due[4]
    assert scheduling.interval_text(T0, due[1]) == "1분"
    assert scheduling.interval_text(T0, T0 + timedelta(days=4)) == "4일"
    assert store.reviews() == []  # a preview writes nothing
