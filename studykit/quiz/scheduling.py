"""Spaced repetition with the ``fsrs`` package (FSRS-6). Times are timezone-aware UTC."""

from __future__ import annotations

import json
from datetime import datetime, time, timedelta, timezone

from fsrs import Card, Rating, Scheduler

UTC = timezone.utc  # datetime.UTC needs Python 3.11

_SCHEDULER = Scheduler(enable_fuzzing=False)


def now_utc() -> datetime:
    return datetime.now(UTC)


def as_utc(moment: datetime) -> datetime:
    if moment.tzinfo is None:
        raise ValueError("datetimes must be timezone-aware (UTC); got a naive datetime")
    return moment.astimezone(UTC)


def local_day(moment: datetime) -> tuple[datetime, datetime]:
    """Start and end (UTC) of the learner's local calendar day that contains ``moment``."""
    day = as_utc(moment).astimezone().date()
    start = datetime.combine(day, time.min).astimezone()  # naive -> the system's local zone
    end = datetime.combine(day + timedelta(days=1), time.min).astimezone()
    return start.astimezone(UTC), end.astimezone(UTC)


def new_card() -> Card:
    return Card()


def review(card: Card, rating: int, when: datetime) -> Card:
    """The card after a review with ``rating`` (1 다시, 2 어려움, 3 알맞음, 4 쉬움) at ``when``."""
    if rating not in (1, 2, 3, 4):
        raise ValueError(f"rating must be 1, 2, 3 or 4 (다시/어려움/알맞음/쉬움), got {rating!r}")
    updated, _ = _SCHEDULER.review_card(card, Rating(rating), review_datetime=as_utc(when))
    return updated


def preview(card: Card, when: datetime) -> dict[int, datetime]:
    """The next due date for each rating (1..4) if the card were reviewed at ``when``."""
    return {rating: review(card, rating, when).due for rating in (1, 2, 3, 4)}


def interval_text(start: datetime, due: datetime) -> str:
    """'1분', '6시간', '3일', '2개월': how long until ``due``, as Anki shows it on a button."""
    minutes = max(1, round((as_utc(due) - as_utc(start)).total_seconds() / 60))
    if minutes < 60:
        return f"{minutes}분"
    if minutes < 24 * 60:
        return f"{round(minutes / 60)}시간"
    days = round(minutes / (24 * 60))
    if days < 31:
        return f"{days}일"
    if days < 365:
        return f"{round(days / 30)}개월"
    return f"{days / 365:.1f}년"


def card_to_json(card: Card) -> str:
    return json.dumps(card.to_dict())


def card_from_json(text: str) -> Card:
    return Card.from_dict(json.loads(text))


def retrievability(card: Card, when: datetime) -> float:
    """Estimated probability of recalling the card at ``when`` (0..1)."""
    return float(_SCHEDULER.get_card_retrievability(card, current_datetime=as_utc(when)))
