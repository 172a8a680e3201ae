"""Today's review queue, as Anki builds it: due cards, then a daily ration of new cards.

- Due cards: cards whose FSRS due date has come, most overdue first.
- New cards: questions never rated, in bank order (a follow-up only once its parent has been
  rated), at most ``new_per_day`` first reviews per local calendar day.
- Study ahead (미리 학습): when nothing is left, cards of a chosen topic or difficulty that
  are not due yet (soonest first), then the ones never rated.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from studykit.quiz import scheduling
from studykit.quiz.bank import Bank
from studykit.quiz.store import Store

NEW_PER_DAY_SETTING = "new_per_day"
DEFAULT_NEW_PER_DAY = 20
MAX_NEW_PER_DAY = 200


@dataclass(frozen=True)
class Queue:
    due: tuple[str, ...]  # question ids due now, most overdue first
    new: tuple[str, ...]  # new question ids allowed today, in bank order
    new_per_day: int
    new_today: int  # new cards already started today

    @property
    def ids(self) -> tuple[str, ...]:
        return self.due + self.new


def parse_new_per_day(text: str | None) -> int:
    """The stored setting as a number in [0, MAX_NEW_PER_DAY]; anything else is the default."""
    try:
        value = int(text) if text is not None else DEFAULT_NEW_PER_DAY
    except ValueError:
        return DEFAULT_NEW_PER_DAY
    return value if 0 <= value <= MAX_NEW_PER_DAY else DEFAULT_NEW_PER_DAY


def new_per_day(store: Store) -> int:
    return parse_new_per_day(store.setting(NEW_PER_DAY_SETTING))


def set_new_per_day(store: Store, value: int) -> None:
    if not 0 <= int(value) <= MAX_NEW_PER_DAY:
        raise ValueError(f"new cards per day must be 0..{MAX_NEW_PER_DAY}, got {value}")
    store.set_setting(NEW_PER_DAY_SETTING, str(int(value)))


def new_questions(bank: Bank, studied: set[str]) -> list[str]:
    """Questions never rated, in bank order; a follow-up only after its parent was rated."""
    return [
        q.id
        for q in bank.all_questions
        if q.id not in studied and (q.parent is None or q.parent in studied)
    ]


def today(bank: Bank, store: Store, now: datetime | None = None) -> Queue:
    now = scheduling.as_utc(now or scheduling.now_utc())
    known = {q.id for q in bank.all_questions}
    due = tuple(qid for qid, _ in store.due_cards(now) if qid in known)
    limit = new_per_day(store)
    start, _ = scheduling.local_day(now)
    started = store.new_cards_since(start)
    left = max(0, limit - started)
    fresh = new_questions(bank, set(store.cards()))[:left]
    return Queue(due, tuple(fresh), limit, started)


def due_by_end_of_day(bank: Bank, store: Store, now: datetime | None = None) -> list[str]:
    """Question ids due before the learner's local midnight (what 'today' means to them)."""
    now = scheduling.as_utc(now or scheduling.now_utc())
    _, end = scheduling.local_day(now)
    known = {q.id for q in bank.all_questions}
    return [qid for qid, due in store.due_cards(end) if qid in known and due < end]


def ahead(
    bank: Bank,
    store: Store,
    topic: str | None = None,
    difficulty: int | None = None,
    now: datetime | None = None,
) -> list[str]:
    """Study ahead: matching cards not due yet (soonest first), then matching new ones."""
    now = scheduling.as_utc(now or scheduling.now_utc())
    chosen = [
        q
        for q in bank.all_questions
        if (topic is None or q.topic == topic)
        and (difficulty is None or q.difficulty == difficulty)
    ]
    cards = store.cards()
    studied = sorted((cards[q.id], q.id) for q in chosen if q.id in cards and cards[q.id] > now)
    fresh = [q.id for q in chosen if q.id not in cards]
    return [qid for _, qid in studied] + fresh
