"""Learner progress in SQLite: cards with their FSRS state, the review log, interview sessions.

- The file lives in the user data directory unless ``STUDYKIT_DB`` (or ``path``) says otherwise.
- WAL journal, a busy timeout and ``BEGIN IMMEDIATE`` transactions: several app sessions and
  threads can write at once; every write is one transaction, so a killed process loses
  nothing that was committed.
- ``schema_version`` records the schema; ``MIGRATIONS`` upgrade old files in place, keeping
  their rows.
- A file that is not a readable SQLite database is moved aside (``*.corrupt-<time>``) and a
  fresh one is created; ``recovered_from`` tells the app what happened.
"""

from __future__ import annotations

import contextlib
import csv
import io
import json
import os
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from studykit.quiz import scheduling

DB_ENV = "STUDYKIT_DB"

MIGRATIONS: tuple[str, ...] = (
    # 1: cards and the review log
    """
    CREATE TABLE cards (
        question_id TEXT PRIMARY KEY,
        card TEXT NOT NULL,
        due TEXT NOT NULL,
        updated_at TEXT NOT NULL
    );
    CREATE INDEX cards_due ON cards(due);
    CREATE TABLE reviews (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        question_id TEXT NOT NULL,
        rating INTEGER NOT NULL CHECK (rating BETWEEN 1 AND 4),
        reviewed_at TEXT NOT NULL,
        answer TEXT NOT NULL DEFAULT '',
        due_after TEXT NOT NULL
    );
    CREATE INDEX reviews_question ON reviews(question_id);
    """,
    # 2: the topic and the automatic score of each review; mock-interview sessions
    """
    ALTER TABLE reviews ADD COLUMN topic TEXT NOT NULL DEFAULT '';
    ALTER TABLE reviews ADD COLUMN score REAL;
    CREATE TABLE interview_sessions (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        started_at TEXT NOT NULL,
        finished_at TEXT NOT NULL,
        question_id TEXT NOT NULL,
        time_limit_s INTEGER,
        answers TEXT NOT NULL
    );
    """,
)
SCHEMA_VERSION = len(MIGRATIONS)


class StoreError(RuntimeError):
    """The database cannot be used (for example the directory is not writable)."""


def default_path() -> Path:
    if os.environ.get(DB_ENV):
        return Path(os.environ[DB_ENV]).expanduser()
    from platformdirs import user_data_dir

    return Path(user_data_dir("studykit", appauthor=False)) / "studykit.sqlite3"


@dataclass(frozen=True)
class ReviewOutcome:
    question_id: str
    rating: int
    reviewed_at: datetime
    due: datetime


def _iso(moment: datetime) -> str:
    return scheduling.as_utc(moment).isoformat()


class Store:
    def __init__(self, path: Path | str | None = None):
        self.path = Path(path).expanduser() if path is not None else default_path()
        self.recovered_from: Path | None = None
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            raise StoreError(
                f"cannot create the database folder {self.path.parent}: {error}"
            ) from error
        try:
            self._migrate()
        except sqlite3.DatabaseError:
            self._move_aside()
            self._migrate()

    # -- connection and schema -------------------------------------------------------------

    @contextlib.contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        try:
            connection = sqlite3.connect(self.path, timeout=30.0, isolation_level=None)
        except sqlite3.OperationalError as error:
            raise StoreError(f"cannot open the database {self.path}: {error}") from error
        try:
            connection.execute("PRAGMA busy_timeout = 30000")
            connection.execute("PRAGMA journal_mode = WAL")
            connection.execute("PRAGMA synchronous = NORMAL")
            yield connection
        finally:
            connection.close()

    @contextlib.contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        with self._connect() as connection:
            connection.execute("BEGIN IMMEDIATE")
            try:
                yield connection
            except BaseException:
                connection.execute("ROLLBACK")
                raise
            connection.execute("COMMIT")

    def schema_version(self) -> int:
        with self._connect() as connection:
            return _version(connection)

    def _migrate(self) -> None:
        with self._transaction() as connection:
            connection.execute("PRAGMA quick_check").fetchall()
            connection.execute(
                "CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)"
            )
            current = _version(connection)
            if current > SCHEMA_VERSION:
                raise StoreError(
                    f"{self.path} has schema version {current}, newer than this studykit "
                    f"({SCHEMA_VERSION}); upgrade studykit or point {DB_ENV} at another file"
                )
            for version in range(current + 1, SCHEMA_VERSION + 1):
                for statement in _statements(MIGRATIONS[version - 1]):
                    connection.execute(statement)
            connection.execute("DELETE FROM schema_version")
            connection.execute("INSERT INTO schema_version VALUES (?)", (SCHEMA_VERSION,))

    def _move_aside(self) -> None:
        stamp = scheduling.now_utc().strftime("%Y%m%dT%H%M%S")
        target = self.path.with_name(f"{self.path.name}.corrupt-{stamp}")
        self.path.replace(target)
        for suffix in ("-wal", "-shm"):
            side = self.path.with_name(self.path.name + suffix)
            if side.exists():
                side.replace(target.with_name(target.name + suffix))
        self.recovered_from = target

    # -- reviews ---------------------------------------------------------------------------

    def record_review(
        self,
        question_id: str,
        rating: int,
        *,
        topic: str = "",
        answer: str = "",
        score: float | None = None,
        when: datetime | None = None,
    ) -> ReviewOutcome:
        """Schedule the card with FSRS and log the review, in one transaction."""
        when = scheduling.as_utc(when or scheduling.now_utc())
        with self._transaction() as connection:
            row = connection.execute(
                "SELECT card FROM cards WHERE question_id = ?", (question_id,)
            ).fetchone()
            card = scheduling.card_from_json(row[0]) if row else scheduling.new_card()
            card = scheduling.review(card, rating, when)
            connection.execute(
                "INSERT INTO cards (question_id, card, due, updated_at) VALUES (?, ?, ?, ?) "
                "ON CONFLICT(question_id) DO UPDATE SET card = excluded.card, "
                "due = excluded.due, updated_at = excluded.updated_at",
                (question_id, scheduling.card_to_json(card), _iso(card.due), _iso(when)),
            )
            connection.execute(
                "INSERT INTO reviews (question_id, topic, rating, reviewed_at, answer, score, "
                "due_after) VALUES (?, ?, ?, ?, ?, ?, ?)",
                (question_id, topic, rating, _iso(when), answer, score, _iso(card.due)),
            )
        return ReviewOutcome(question_id, rating, when, scheduling.as_utc(card.due))

    def due_date(self, question_id: str) -> datetime | None:
        with self._connect() as connection:
            row = connection.execute(
                "SELECT due FROM cards WHERE question_id = ?", (question_id,)
            ).fetchone()
        return datetime.fromisoformat(row[0]) if row else None

    def due_cards(self, when: datetime | None = None) -> list[tuple[str, datetime]]:
        """(question_id, due) of cards due at ``when`` (default now), most overdue first."""
        when = scheduling.as_utc(when or scheduling.now_utc())
        with self._connect() as connection:
            rows = connection.execute(
                "SELECT question_id, due FROM cards WHERE due <= ? ORDER BY due", (_iso(when),)
            ).fetchall()
        return [(qid, datetime.fromisoformat(due)) for qid, due in rows]

    def cards(self) -> dict[str, datetime]:
        """question_id -> next due date, for every card reviewed at least once."""
        with self._connect() as connection:
            rows = connection.execute("SELECT question_id, due FROM cards").fetchall()
        return {qid: datetime.fromisoformat(due) for qid, due in rows}

    def fsrs_cards(self) -> dict:
        """question_id -> fsrs.Card (stability, difficulty, due), for retention estimates."""
        with self._connect() as connection:
            rows = connection.execute("SELECT question_id, card FROM cards").fetchall()
        return {qid: scheduling.card_from_json(card) for qid, card in rows}

    def reviews(self) -> list[dict]:
        """The whole review log, oldest first."""
        with self._connect() as connection:
            connection.row_factory = sqlite3.Row
            rows = connection.execute(
                "SELECT id, question_id, topic, rating, score, reviewed_at, due_after, answer "
                "FROM reviews ORDER BY id"
            ).fetchall()
        return [dict(row) for row in rows]

    def export_reviews_csv(self) -> str:
        """The review log as CSV text (UTF-8, header row)."""
        buffer = io.StringIO()
        rows = self.reviews()
        columns = [
            "id",
            "question_id",
            "topic",
            "rating",
            "score",
            "reviewed_at",
            "due_after",
            "answer",
        ]
        writer = csv.DictWriter(buffer, fieldnames=columns)
        writer.writeheader()
        writer.writerows({k: _spreadsheet_safe(row[k]) for k in columns} for row in rows)
        return buffer.getvalue()

    # -- interview sessions ------------------------------------------------------------------

    def save_interview(
        self,
        question_id: str,
        answers: dict[str, str],
        started_at: datetime,
        finished_at: datetime,
        time_limit_s: int | None = None,
    ) -> int:
        with self._transaction() as connection:
            cursor = connection.execute(
                "INSERT INTO interview_sessions (started_at, finished_at, question_id, "
                "time_limit_s, answers) VALUES (?, ?, ?, ?, ?)",
                (
                    _iso(started_at),
                    _iso(finished_at),
                    question_id,
                    time_limit_s,
                    json.dumps(answers, ensure_ascii=False),
                ),
            )
            return int(cursor.lastrowid)

    def interviews(self) -> list[dict]:
        with self._connect() as connection:
            connection.row_factory = sqlite3.Row
            rows = connection.execute("SELECT * FROM interview_sessions ORDER BY id").fetchall()
        return [{**dict(row), "answers": json.loads(row["answers"])} for row in rows]


def _version(connection: sqlite3.Connection) -> int:
    exists = connection.execute(
        "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'schema_version'"
    ).fetchone()
    if not exists:
        return 0
    row = connection.execute("SELECT MAX(version) FROM schema_version").fetchone()
    return int(row[0] or 0)


def _statements(script: str) -> list[str]:
    return [part.strip() for part in script.split(";") if part.strip()]


def _spreadsheet_safe(value):
    """Text that a spreadsheet would run as a formula (=, +, -, @, tab, CR) gets a leading '."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value
