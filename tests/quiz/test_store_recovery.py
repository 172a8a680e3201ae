"""The store never mistakes a live database for a corrupt one and never loses data.

Each case reproduces a failure of the reliability probe (shared/reviews/reliability_probe.md):
a held write lock, several processes recovering one corrupt file, a read-only file, another
program's SQLite file, a file deleted or overwritten under a running app, a full disk, a
missing column.
"""

import hashlib
import multiprocessing
import sqlite3
import subprocess
import sys
import textwrap
from datetime import datetime, timezone

import pytest

from studykit.quiz import store as store_module
from studykit.quiz.store import Store, StoreError

T0 = datetime(2026, 3, 1, tzinfo=timezone.utc)


def _filled(path, reviews=30) -> Store:
    store = Store(path)
    for i in range(reviews):
        store.record_review(f"q{i % 3}", 3, answer=f"a{i}", when=T0)
    return store


def _sha(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _corrupt(path) -> None:
    data = bytearray(path.read_bytes())
    for page in range(1, len(data) // 4096):  # keep the header, scramble every other page
        data[page * 4096 : page * 4096 + 4096] = bytes(range(256)) * 16
    path.write_bytes(bytes(data))


def test_a_lock_held_past_the_timeout_is_an_error_not_corruption(tmp_path):
    path = tmp_path / "p.sqlite3"
    _filled(path)
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            textwrap.dedent(
                f"""
                import sqlite3, sys, time
                c = sqlite3.connect({str(path)!r}, isolation_level=None)
                c.execute("BEGIN IMMEDIATE")
                c.execute("INSERT INTO reviews (question_id, rating, reviewed_at, due_after)"
                          " VALUES ('held', 3, 'x', 'y')")
                print("locked", flush=True)
                time.sleep(3)
                c.execute("COMMIT")
                """
            ),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert holder.stdout.readline().strip() == "locked"
    with pytest.raises(StoreError) as raised:
        Store(path, busy_timeout=0.3)
    assert raised.value.kind == "locked" and "잠" in raised.value.korean
    holder.wait(timeout=30)
    assert list(tmp_path.glob("*.corrupt-*")) == []
    assert len(Store(path).reviews()) == 31  # the holder's commit landed in the live file


def _open_and_write(path: str, worker: int, barrier) -> int:
    barrier.wait()
    store = Store(path)
    for i in range(5):
        store.record_review(f"w{worker}", 3, answer=f"{worker}-{i}", when=T0)
    return worker


def test_eight_processes_recover_one_corrupt_file_exactly_once(tmp_path):
    path = tmp_path / "p.sqlite3"
    _filled(path, reviews=300)
    _corrupt(path)
    original = _sha(path)
    context = multiprocessing.get_context("spawn")
    with context.Manager() as manager:
        barrier = manager.Barrier(8)
        with context.Pool(8) as pool:
            done = pool.starmap(_open_and_write, [(str(path), w, barrier) for w in range(8)])
    assert sorted(done) == list(range(8))
    moved = [
        p for p in tmp_path.glob("p.sqlite3.corrupt-*") if not p.name.endswith(("-wal", "-shm"))
    ]
    assert len(moved) == 1 and _sha(moved[0]) == original
    assert len(Store(path).reviews()) == 40


def test_a_read_only_file_is_reported_not_replaced(tmp_path, monkeypatch):
    path = tmp_path / "p.sqlite3"
    _filled(path)
    before = _sha(path)

    def read_only(self):
        raise sqlite3.OperationalError("attempt to write a readonly database")

    monkeypatch.setattr(Store, "_migrate", read_only)
    with pytest.raises(StoreError) as raised:
        Store(path)
    assert raised.value.kind == "read_only"
    assert _sha(path) == before and list(tmp_path.glob("*.corrupt-*")) == []


def test_a_read_only_folder_is_reported_not_a_traceback(tmp_path, monkeypatch):
    path = tmp_path / "p.sqlite3"
    _filled(path)
    _corrupt(path)

    def refuse(self, target):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(type(path), "replace", refuse)
    with pytest.raises(StoreError) as raised:
        Store(path)
    assert raised.value.kind == "read_only"


def test_another_programs_sqlite_file_is_refused_untouched(tmp_path):
    path = tmp_path / "other.sqlite3"
    with sqlite3.connect(path) as connection:
        connection.execute("CREATE TABLE cards (front TEXT, back TEXT)")
        connection.execute("INSERT INTO cards VALUES ('a', 'b')")
    before = _sha(path)
    with pytest.raises(StoreError) as raised:
        Store(path)
    assert raised.value.kind == "foreign" and "cards" in str(raised.value)
    assert _sha(path) == before and list(tmp_path.iterdir()) == [path]


def test_a_file_deleted_under_a_running_store_is_recreated(tmp_path):
    path = tmp_path / "p.sqlite3"
    store = _filled(path)
    for side in tmp_path.iterdir():
        side.unlink()
    assert store.reviews() == []
    store.record_review("q", 3, when=T0)
    assert [r["question_id"] for r in Store(path).reviews()] == ["q"]


def test_a_file_overwritten_under_a_running_store_is_moved_aside(tmp_path):
    path = tmp_path / "p.sqlite3"
    store = _filled(path)
    for side in tmp_path.glob("p.sqlite3-*"):
        side.unlink()
    path.write_bytes(b"this is not a database" * 500)
    garbage = _sha(path)
    store.record_review("q", 3, when=T0)
    assert store.recovered_from is not None and _sha(store.recovered_from) == garbage
    assert len(store.reviews()) == 1


def test_a_full_disk_is_a_store_error(tmp_path, monkeypatch):
    store = _filled(tmp_path / "p.sqlite3")

    @store_module.contextlib.contextmanager
    def full(self):
        raise sqlite3.OperationalError("database or disk is full")
        yield

    monkeypatch.setattr(Store, "_transaction", full)
    with pytest.raises(StoreError) as raised:
        store.record_review("q", 3, when=T0)
    assert raised.value.kind == "disk_full"


def test_a_missing_column_is_a_schema_error(tmp_path):
    path = tmp_path / "p.sqlite3"
    _filled(path)
    with sqlite3.connect(path) as connection:
        connection.execute("ALTER TABLE reviews DROP COLUMN score")
    store = Store(path)
    with pytest.raises(StoreError) as raised:
        store.reviews()
    assert raised.value.kind == "schema"
    assert list(tmp_path.glob("*.corrupt-*")) == []
