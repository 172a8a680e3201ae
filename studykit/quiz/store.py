"""Learner progress in SQLite: cards with their FSRS state, the review log, answer drafts,
settings and mock-interview sessions.

- The file lives in the user data directory unless ``STUDYKIT_DB`` (or ``path``) says otherwise.
- WAL journal, a busy timeout and ``BEGIN IMMEDIATE`` transactions: several app sessions and
  threads can write at once; every write is one transaction, so a killed process loses
  nothing that was committed.
- ``schema_version`` records the schema; ``MIGRATIONS`` upgrade old files in place, keeping
  their rows.
- A corrupt file is moved aside under a unique name (``*.corrupt-<time>-<pid>-<random>``),
  exactly once even when several processes open it together (a lock file serialises the
  recovery), and a fresh one is created; ``recovered_from`` tells the app what happened. A
  file deleted or replaced while the app runs is recovered on the next operation.
- Everything else that goes wrong is a ``StoreError`` with a ``kind``: a write lock held too
  long, a read-only file or folder, a full disk, another program's SQLite file, a schema
  this version does not know. None of these moves or changes the file.
"""

from __future__ import annotations

import contextlib
import csv
import fcntl
import functools
import io
import json
import os
import secrets
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
    # 3: one review per reveal (a repeated or stale click writes nothing), and undo
    """
    ALTER TABLE reviews ADD COLUMN reveal_id TEXT;
    ALTER TABLE reviews ADD COLUMN card_before TEXT;
    CREATE UNIQUE INDEX reviews_reveal ON reviews(reveal_id) WHERE reveal_id IS NOT NULL;
    """,
    # 4: answer drafts kept across reloads, learner settings, mock-interview coach sessions
    """
    CREATE TABLE drafts (
        question_id TEXT PRIMARY KEY,
        text TEXT NOT NULL,
        updated_at TEXT NOT NULL
    );
    CREATE TABLE settings (
        name TEXT PRIMARY KEY,
        value TEXT NOT NULL
    );
    CREATE TABLE mock_interviews (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        started_at TEXT NOT NULL,
        finished_at TEXT,
        settings TEXT NOT NULL,
        report TEXT NOT NULL
    );
    """,
)
SCHEMA_VERSION = len(MIGRATIONS)


class StoreError(RuntimeError):
    """The database cannot be used; ``kind`` says why and ``korean`` what the learner can do."""

    KOREAN = {
        "locked": "다른 프로그램이 학습 기록 파일을 오래 잠그고 있습니다. 잠시 후 다시 시도하세요.",
        "read_only": "학습 기록 파일이나 폴더에 쓸 권한이 없습니다. 권한을 고치거나 "
        "STUDYKIT_DB로 쓸 수 있는 경로를 지정하세요.",
        "disk_full": "디스크 공간이 부족하거나 쓰기에 실패했습니다. "
        "공간을 확보한 뒤 다시 시도하세요.",
        "foreign": "STUDYKIT_DB가 studykit의 파일이 아닌 다른 프로그램의 SQLite 파일을 가리킵니다. "
        "파일은 건드리지 않았습니다. 다른 경로를 지정하세요.",
        "newer_schema": "더 새로운 버전의 studykit이 만든 학습 기록 파일입니다. studykit을 "
        "업데이트하거나 STUDYKIT_DB로 다른 파일을 지정하세요.",
        "schema": "학습 기록 파일의 구조가 예상과 다릅니다(열이나 표가 없음). 파일을 백업한 뒤 "
        "STUDYKIT_DB로 새 경로를 지정하세요.",
        "folder": "학습 기록 폴더를 만들 수 없습니다. STUDYKIT_DB로 쓸 수 있는 경로를 지정하세요.",
        "open": "학습 기록 파일을 열 수 없습니다. STUDYKIT_DB로 쓸 수 있는 경로를 지정하세요.",
    }

    def __init__(self, message: str, kind: str = "open"):
        super().__init__(message)
        self.kind = kind

    @property
    def korean(self) -> str:
        return self.KOREAN.get(self.kind, self.KOREAN["open"])


_CORRUPT = ("file is not a database", "malformed", "not a database", "file is encrypted")
_KINDS = (
    ("database is locked", "locked"),
    ("database table is locked", "locked"),
    ("readonly database", "read_only"),
    ("read-only", "read_only"),
    ("permission denied", "read_only"),
    ("unable to open database file", "read_only"),
    ("disk is full", "disk_full"),
    ("disk i/o error", "disk_full"),
    ("no such column", "schema"),
    ("no such table", "schema"),
)


def _is_corrupt(error: BaseException) -> bool:
    return isinstance(error, sqlite3.DatabaseError) and any(
        mark in str(error).lower() for mark in _CORRUPT
    )


def _as_store_error(error: BaseException, path: Path) -> StoreError:
    text = str(error).lower()
    kind = next((k for mark, k in _KINDS if mark in text), "open")
    if isinstance(error, PermissionError):
        kind = "read_only"
    return StoreError(f"{path}: {error}", kind)


def _recovering(method):
    """Run a Store method; recover a file corrupted or deleted meanwhile, then retry once."""

    @functools.wraps(method)
    def wrapper(self, *args, **kwargs):
        try:
            return method(self, *args, **kwargs)
        except StoreError:
            raise
        except (sqlite3.DatabaseError, OSError) as error:
            if not _is_corrupt(error) and not _schema_missing(error, self.path):
                raise _as_store_error(error, self.path) from error
        self._open()
        try:
            return method(self, *args, **kwargs)
        except (sqlite3.DatabaseError, OSError) as error:
            raise _as_store_error(error, self.path) from error

    return wrapper


def _schema_missing(error: BaseException, path: Path) -> bool:
    """The file was deleted under us: sqlite recreated it empty, without our tables."""
    if "no such table" not in str(error).lower():
        return False
    try:
        with contextlib.closing(sqlite3.connect(path)) as connection:
            return _version(connection) == 0
    except sqlite3.DatabaseError:
        return False


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
    review_id: int | None = None
    repeated: bool = False  # the reveal had already been rated: nothing was written


@dataclass(frozen=True)
class CardStatus:
    due: datetime
    last_rating: int | None


MAX_DRAFT_CHARS = 20_000


def _iso(moment: datetime) -> str:
    return scheduling.as_utc(moment).isoformat()


class Store:
    def __init__(self, path: Path | str | None = None, *, busy_timeout: float = 30.0):
        self.path = Path(path).expanduser() if path is not None else default_path()
        self.busy_timeout = busy_timeout
        self.recovered_from: Path | None = None
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            raise StoreError(
                f"cannot create the database folder {self.path.parent}: {error}", "folder"
            ) from error
        self._open()

    def _open(self) -> None:
        """Migrate the file; if it is corrupt, move it aside once and start a fresh one.

        Opening holds a shared lock on a lock file beside the database and recovery an
        exclusive one, so no process opens the file while another moves it aside.
        """
        try:  # before the lock file exists: another program's folder stays untouched
            self._refuse_foreign()
        except sqlite3.DatabaseError:
            pass  # unreadable: handled as corruption below
        with self._recovery_lock(fcntl.LOCK_SH):
            try:
                self._migrate()
                return
            except StoreError:
                raise
            except (sqlite3.DatabaseError, OSError) as error:
                if not _is_corrupt(error):
                    raise _as_store_error(error, self.path) from error
        with self._recovery_lock(fcntl.LOCK_EX):
            try:  # another process may have recovered it while we waited for the lock
                self._migrate()
                return
            except (sqlite3.DatabaseError, OSError) as error:
                if not _is_corrupt(error):
                    raise _as_store_error(error, self.path) from error
            self._move_aside()
            try:
                self._migrate()
            except (sqlite3.DatabaseError, OSError) as error:
                raise _as_store_error(error, self.path) from error

    @contextlib.contextmanager
    def _recovery_lock(self, mode: int) -> Iterator[None]:
        lock_path = self.path.with_name(self.path.name + ".lock")
        try:
            handle = open(lock_path, "a")  # noqa: SIM115 - held for the with block
        except OSError as error:
            raise _as_store_error(error, self.path) from error
        with handle:
            fcntl.flock(handle, mode)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

    def _refuse_foreign(self) -> None:
        """Another program's SQLite file (tables, but no schema_version) is left untouched."""
        if not self.path.is_file() or self.path.stat().st_size == 0:
            return
        uri = f"file:{self.path}?mode=ro"
        with contextlib.closing(sqlite3.connect(uri, uri=True, timeout=self.busy_timeout)) as c:
            tables = {row[0] for row in c.execute("SELECT name FROM sqlite_master")}
        if tables and "schema_version" not in tables:
            raise StoreError(
                f"{self.path} is another program's SQLite database (tables: "
                f"{', '.join(sorted(tables)[:5])}); point {DB_ENV} at a studykit file",
                "foreign",
            )

    # -- connection and schema -------------------------------------------------------------

    @contextlib.contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        try:
            connection = sqlite3.connect(self.path, timeout=self.busy_timeout, isolation_level=None)
        except sqlite3.OperationalError as error:
            raise _as_store_error(error, self.path) from error
        try:
            connection.execute(f"PRAGMA busy_timeout = {int(self.busy_timeout * 1000)}")
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
            problems = connection.execute("PRAGMA quick_check").fetchall()
            if problems != [("ok",)]:
                raise sqlite3.DatabaseError(f"database disk image is malformed: {problems[:3]}")
            connection.execute(
                "CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)"
            )
            current = _version(connection)
            if current > SCHEMA_VERSION:
                raise StoreError(
                    f"{self.path} has schema version {current}, newer than this studykit "
                    f"({SCHEMA_VERSION}); upgrade studykit or point {DB_ENV} at another file",
                    "newer_schema",
                )
            for version in range(current + 1, SCHEMA_VERSION + 1):
                for statement in _statements(MIGRATIONS[version - 1]):
                    connection.execute(statement)
            connection.execute("DELETE FROM schema_version")
            connection.execute("INSERT INTO schema_version VALUES (?)", (SCHEMA_VERSION,))

    def _move_aside(self) -> None:
        stamp = scheduling.now_utc().strftime("%Y%m%dT%H%M%S")
        unique = f"{stamp}-{os.getpid()}-{secrets.token_hex(4)}"
        target = self.path.with_name(f"{self.path.name}.corrupt-{unique}")
        try:
            self.path.replace(target)
        except OSError as error:
            raise _as_store_error(error, self.path) from error
        for suffix in ("-wal", "-shm"):
            side = self.path.with_name(self.path.name + suffix)
            if side.exists():
                side.replace(target.with_name(target.name + suffix))
        self.recovered_from = target

    # -- reviews ---------------------------------------------------------------------------

    @_recovering
    def record_review(
        self,
        question_id: str,
        rating: int,
        *,
        topic: str = "",
        answer: str = "",
        score: float | None = None,
        when: datetime | None = None,
        reveal_id: str | None = None,
    ) -> ReviewOutcome:
        """Schedule the card with FSRS and log the review, in one transaction.

        With ``reveal_id`` (one id per time the learner revealed the answer), a second call
        for the same reveal, with any rating, writes nothing and returns the first outcome.
        """
        when = scheduling.as_utc(when or scheduling.now_utc())
        with self._transaction() as connection:
            if reveal_id is not None:
                first = connection.execute(
                    "SELECT id, rating, reviewed_at, due_after FROM reviews WHERE reveal_id = ?",
                    (reveal_id,),
                ).fetchone()
                if first is not None:
                    return ReviewOutcome(
                        question_id,
                        first[1],
                        datetime.fromisoformat(first[2]),
                        datetime.fromisoformat(first[3]),
                        review_id=first[0],
                        repeated=True,
                    )
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
            cursor = connection.execute(
                "INSERT INTO reviews (question_id, topic, rating, reviewed_at, answer, score, "
                "due_after, reveal_id, card_before) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    question_id,
                    topic,
                    rating,
                    _iso(when),
                    answer,
                    score,
                    _iso(card.due),
                    reveal_id,
                    row[0] if row else None,
                ),
            )
            connection.execute("DELETE FROM drafts WHERE question_id = ?", (question_id,))
        return ReviewOutcome(
            question_id, rating, when, scheduling.as_utc(card.due), review_id=cursor.lastrowid
        )

    @_recovering
    def undo_review(self, review_id: int) -> bool:
        """Take back a review if it is still its card's latest: the card returns to its state
        before (or is forgotten if that was its first review) and the review's answer becomes
        the card's draft again (unless a newer draft exists). False if it cannot be undone."""
        with self._transaction() as connection:
            row = connection.execute(
                "SELECT question_id, card_before, answer FROM reviews WHERE id = ?", (review_id,)
            ).fetchone()
            if row is None:
                return False
            question_id, card_before, answer = row
            latest = connection.execute(
                "SELECT MAX(id) FROM reviews WHERE question_id = ?", (question_id,)
            ).fetchone()[0]
            if latest != review_id:
                return False
            connection.execute("DELETE FROM reviews WHERE id = ?", (review_id,))
            if answer.strip():
                connection.execute(
                    "INSERT OR IGNORE INTO drafts (question_id, text, updated_at) VALUES (?, ?, ?)",
                    (question_id, answer, _iso(scheduling.now_utc())),
                )
            if card_before is None:
                connection.execute("DELETE FROM cards WHERE question_id = ?", (question_id,))
            else:
                card = scheduling.card_from_json(card_before)
                connection.execute(
                    "UPDATE cards SET card = ?, due = ? WHERE question_id = ?",
                    (card_before, _iso(card.due), question_id),
                )
        return True

    @_recovering
    def preview(self, question_id: str, when: datetime | None = None) -> dict[int, datetime]:
        """The due date each rating would give this card now (for the rating buttons)."""
        when = scheduling.as_utc(when or scheduling.now_utc())
        with self._connect() as connection:
            row = connection.execute(
                "SELECT card FROM cards WHERE question_id = ?", (question_id,)
            ).fetchone()
        card = scheduling.card_from_json(row[0]) if row else scheduling.new_card()
        return scheduling.preview(card, when)

    @_recovering
    def due_date(self, question_id: str) -> datetime | None:
        with self._connect() as connection:
            row = connection.execute(
                "SELECT due FROM cards WHERE question_id = ?", (question_id,)
            ).fetchone()
        return datetime.fromisoformat(row[0]) if row else None

    @_recovering
    def due_cards(self, when: datetime | None = None) -> list[tuple[str, datetime]]:
        """(question_id, due) of cards due at ``when`` (default now), most overdue first."""
        when = scheduling.as_utc(when or scheduling.now_utc())
        with self._connect() as connection:
            rows = connection.execute(
                "SELECT question_id, due FROM cards WHERE due <= ? ORDER BY due", (_iso(when),)
            ).fetchall()
        return [(qid, datetime.fromisoformat(due)) for qid, due in rows]

    @_recovering
    def new_cards_since(self, moment: datetime) -> int:
        """How many cards had their first review at or after ``moment`` (the day's new cards)."""
        with self._connect() as connection:
            row = connection.execute(
                "SELECT COUNT(*) FROM (SELECT MIN(reviewed_at) AS first FROM reviews "
                "GROUP BY question_id) WHERE first >= ?",
                (_iso(moment),),
            ).fetchone()
        return int(row[0])

    @_recovering
    def card_status(self) -> dict[str, CardStatus]:
        """question_id -> next due date and latest rating, for every card reviewed at least once."""
        with self._connect() as connection:
            rows = connection.execute(
                "SELECT c.question_id, c.due, r.rating FROM cards c LEFT JOIN reviews r ON r.id = "
                "(SELECT MAX(id) FROM reviews WHERE question_id = c.question_id)"
            ).fetchall()
        return {qid: CardStatus(datetime.fromisoformat(due), rating) for qid, due, rating in rows}

    @_recovering
    def previous_answer(self, question_id: str, before_review: int | None = None) -> dict | None:
        """The latest review of this card with a non-empty answer (older than ``before_review``
        if given): {"answer", "rating", "reviewed_at"}, or None."""
        with self._connect() as connection:
            row = connection.execute(
                "SELECT answer, rating, reviewed_at FROM reviews WHERE question_id = ? "
                "AND answer != '' AND id < ? ORDER BY id DESC LIMIT 1",
                (question_id, before_review if before_review is not None else 2**62),
            ).fetchone()
        if row is None:
            return None
        return {"answer": row[0], "rating": row[1], "reviewed_at": datetime.fromisoformat(row[2])}

    @_recovering
    def cards(self) -> dict[str, datetime]:
        """question_id -> next due date, for every card reviewed at least once."""
        with self._connect() as connection:
            rows = connection.execute("SELECT question_id, due FROM cards").fetchall()
        return {qid: datetime.fromisoformat(due) for qid, due in rows}

    @_recovering
    def fsrs_cards(self) -> dict:
        """question_id -> fsrs.Card (stability, difficulty, due), for retention estimates."""
        with self._connect() as connection:
            rows = connection.execute("SELECT question_id, card FROM cards").fetchall()
        return {qid: scheduling.card_from_json(card) for qid, card in rows}

    @_recovering
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

    # -- drafts and settings -----------------------------------------------------------------

    @_recovering
    def save_draft(self, question_id: str, text: str, when: datetime | None = None) -> None:
        """Keep the learner's unfinished answer; an empty text deletes the draft."""
        if len(text) > MAX_DRAFT_CHARS:
            raise ValueError(f"a draft holds at most {MAX_DRAFT_CHARS} characters")
        with self._transaction() as connection:
            if not text.strip():
                connection.execute("DELETE FROM drafts WHERE question_id = ?", (question_id,))
                return
            connection.execute(
                "INSERT INTO drafts (question_id, text, updated_at) VALUES (?, ?, ?) "
                "ON CONFLICT(question_id) DO UPDATE SET text = excluded.text, "
                "updated_at = excluded.updated_at",
                (question_id, text, _iso(when or scheduling.now_utc())),
            )

    @_recovering
    def draft(self, question_id: str) -> str:
        """The saved draft answer of this card ('' if none)."""
        with self._connect() as connection:
            row = connection.execute(
                "SELECT text FROM drafts WHERE question_id = ?", (question_id,)
            ).fetchone()
        return row[0] if row else ""

    @_recovering
    def setting(self, name: str) -> str | None:
        with self._connect() as connection:
            row = connection.execute(
                "SELECT value FROM settings WHERE name = ?", (name,)
            ).fetchone()
        return row[0] if row else None

    @_recovering
    def set_setting(self, name: str, value: str) -> None:
        with self._transaction() as connection:
            connection.execute(
                "INSERT INTO settings (name, value) VALUES (?, ?) "
                "ON CONFLICT(name) DO UPDATE SET value = excluded.value",
                (name, value),
            )

    # -- mock-interview coach sessions -------------------------------------------------------

    @_recovering
    def save_mock_interview(
        self,
        settings: dict,
        report: list[dict],
        started_at: datetime,
        finished_at: datetime | None = None,
        session_id: int | None = None,
    ) -> int:
        """Insert a coach session, or update session ``session_id`` as it goes; returns its id.

        ``report`` has one JSON-ready dict per question asked so far; ``finished_at`` stays
        empty until the last question is done.
        """
        values = (
            json.dumps(settings, ensure_ascii=False),
            json.dumps(report, ensure_ascii=False),
            _iso(finished_at) if finished_at else None,
        )
        with self._transaction() as connection:
            if session_id is not None:
                cursor = connection.execute(
                    "UPDATE mock_interviews SET settings = ?, report = ?, finished_at = ? "
                    "WHERE id = ?",
                    (*values, session_id),
                )
                if cursor.rowcount:
                    return session_id
            cursor = connection.execute(
                "INSERT INTO mock_interviews (settings, report, finished_at, started_at) "
                "VALUES (?, ?, ?, ?)",
                (*values, _iso(started_at)),
            )
            return int(cursor.lastrowid)

    @_recovering
    def mock_interviews(self) -> list[dict]:
        """Every coach session, newest first, with settings and report decoded."""
        with self._connect() as connection:
            connection.row_factory = sqlite3.Row
            rows = connection.execute("SELECT * FROM mock_interviews ORDER BY id DESC").fetchall()
        return [_mock_interview(row) for row in rows]

    # -- single-question interview log (schema 2; files of earlier versions keep theirs) -----

    @_recovering
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

    @_recovering
    def interviews(self) -> list[dict]:
        with self._connect() as connection:
            connection.row_factory = sqlite3.Row
            rows = connection.execute("SELECT * FROM interview_sessions ORDER BY id").fetchall()
        return [{**dict(row), "answers": _decoded(row["answers"], {})} for row in rows]


def _decoded(text: str, empty):
    """JSON we wrote; anything else (damaged, another type) reads as ``empty``."""
    try:
        value = json.loads(text)
    except (TypeError, ValueError):
        return empty
    return value if isinstance(value, type(empty)) else empty


def _mock_interview(row: sqlite3.Row) -> dict:
    """A stored coach session; text that is not the JSON we wrote reads as empty."""
    return {
        "id": row["id"],
        "started_at": datetime.fromisoformat(row["started_at"]),
        "finished_at": datetime.fromisoformat(row["finished_at"]) if row["finished_at"] else None,
        "settings": _decoded(row["settings"], {}),
        "report": _decoded(row["report"], []),
    }


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
