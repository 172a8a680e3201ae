"""The store under pressure: concurrent writers, a killed writer, an old schema."""

import sqlite3
import subprocess
import sys
import textwrap
import threading
from datetime import datetime, timedelta, timezone

from studykit.quiz.store import MIGRATIONS, SCHEMA_VERSION, Store

T0 = datetime(2026, 3, 1, tzinfo=timezone.utc)


def test_eight_threads_times_200_reviews_keep_all_1600_rows(tmp_path):
    path = tmp_path / "p.sqlite3"
    Store(path)
    errors = []

    def writer(thread: int) -> None:
        store = Store(path)
        try:
            for i in range(200):
                # a few shared cards, so the threads also race on the same rows
                store.record_review(
                    f"q-{i % 5}", 1 + (i + thread) % 4, when=T0 + timedelta(seconds=i)
                )
        except Exception as error:  # collected and asserted below
            errors.append(error)

    threads = [threading.Thread(target=writer, args=(t,)) for t in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    store = Store(path)
    assert len(store.reviews()) == 1600
    assert sorted(store.cards()) == [f"q-{i}" for i in range(5)]


WRITER = textwrap.dedent(
    """
    import sys
    from datetime import datetime, timezone
    from studykit.quiz.store import Store
    store = Store(sys.argv[1])
    for i in range(100000):
        store.record_review(f"q-{i}", 3, when=datetime(2026, 3, 1, tzinfo=timezone.utc))
        print(i + 1, flush=True)  # printed only after the commit returned
    """
)


def test_a_killed_writer_loses_no_committed_review(tmp_path):
    path = tmp_path / "p.sqlite3"
    process = subprocess.Popen(
        [sys.executable, "-c", WRITER, str(path)], stdout=subprocess.PIPE, text=True
    )
    committed = 0
    for line in process.stdout:
        committed = int(line)
        if committed >= 150:
            break
    process.kill()
    process.wait()
    rows = Store(path).reviews()
    assert len(rows) >= committed >= 150
    assert [r["question_id"] for r in rows] == [f"q-{i}" for i in range(len(rows))]


def test_migration_from_schema_1_keeps_rows(tmp_path):
    path = tmp_path / "old.sqlite3"
    with sqlite3.connect(path) as connection:
        connection.executescript(MIGRATIONS[0])
        connection.execute("CREATE TABLE schema_version (version INTEGER NOT NULL)")
        connection.execute("INSERT INTO schema_version VALUES (1)")
        connection.execute(
            "INSERT INTO reviews (question_id, rating, reviewed_at, answer, due_after) "
            "VALUES ('old-q', 2, '2025-01-01T00:00:00+00:00', '예전 답', "
            "'2025-01-02T00:00:00+00:00')"
        )
    store = Store(path)
    assert store.schema_version() == SCHEMA_VERSION == 4
    (row,) = store.reviews()
    assert (row["question_id"], row["rating"], row["answer"]) == ("old-q", 2, "예전 답")
    assert row["topic"] == "" and row["score"] is None  # new columns get their defaults
    store.record_review("new-q", 3, topic="loss", score=0.5, when=T0)
    assert [r["question_id"] for r in store.reviews()] == ["old-q", "new-q"]


def test_a_newer_schema_is_refused_with_advice(tmp_path):
    path = tmp_path / "future.sqlite3"
    Store(path)
    with sqlite3.connect(path) as connection:
        connection.execute("UPDATE schema_version SET version = 99")
    try:
        Store(path)
    except RuntimeError as error:
        assert "newer than this studykit" in str(error) and "STUDYKIT_DB" in str(error)
    else:
        raise AssertionError("a newer schema must be refused")


def test_interview_sessions_are_saved(tmp_path):
    store = Store(tmp_path / "p.sqlite3")
    session = store.save_interview(
        "loss-mse", {"main": "답", "follow_up_1": "꼬리 답"}, T0, T0 + timedelta(minutes=3), 300
    )
    (saved,) = store.interviews()
    assert saved["id"] == session and saved["answers"]["follow_up_1"] == "꼬리 답"
