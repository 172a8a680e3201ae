"""Spaced repetition with the ``fsrs`` package (FSRS-6). Times are timezone-aware UTC."""

from __future__ import annotations

import json
from datetime import datetime, timezone

from fsrs import Card, Rating, Scheduler

UTC = timezone.utc  # datetime.UTC needs Python 3.11

_SCHEDULER = Scheduler(enable_fuzzing=False)


def now_utc() -> datetime:
    return datetime.now(UTC)


def as_utc(moment: datetime) -> datetime:
    if moment.tzinfo is None:
        raise ValueError("datetimes must be timezone-aware (UTC); got a naive datetime")
    return moment.astimezone(UTC)


def new_card() -> Card:
    return Card()


def review(card: Card, rating: int, when: datetime) -> Card:
    """The card after a review with ``rating`` (1 다시, 2 어려움, 3 알맞음, 4 쉬움) at ``when``."""
    if rating not in (1, 2, 3, 4):
        raise ValueError(f"rating must be 1, 2, 3 or 4 (다시/어려움/알맞음/쉬움), got {rating!r}")
    updated, _ = _SCHEDULER.review_card(card, Rating(rating), review_datetime=as_utc(when))
    return updated


def card_to_json(card: Card) -> str:
    return json.dumps(card.to_dict())


def card_from_json(text: str) -> Card:
    return Card.from_dict(json.loads(text))


def retrievability(card: Card, when: datetime) -> float:
    """Estimated probability of recalling the card at ``when`` (0..1)."""
    return float(_SCHEDULER.get_card_retrievability(card, current_datetime=as_utc(when)))
