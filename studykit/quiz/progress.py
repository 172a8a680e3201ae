"""Progress statistics as tidy DataFrames (what the 진도 page shows)."""

from __future__ import annotations

from datetime import datetime, timedelta

import pandas as pd

from studykit.quiz import scheduling
from studykit.quiz.bank import Bank

REVIEW_COLUMNS = ["id", "question_id", "topic", "rating", "score", "reviewed_at", "due_after"]


def reviews_frame(reviews: list[dict]) -> pd.DataFrame:
    frame = pd.DataFrame(reviews, columns=REVIEW_COLUMNS)
    frame["reviewed_at"] = pd.to_datetime(frame["reviewed_at"], utc=True)
    return frame


def topic_summary(bank: Bank, reviews: list[dict], cards: dict, now: datetime) -> pd.DataFrame:
    """One row per topic: questions, studied, due now, recall rate, mean score, retention.

    ``recall_rate``: share of reviews rated 알맞음/쉬움 (3-4). ``retention``: mean FSRS
    retrievability of the topic's studied cards at ``now`` (NaN before any review).
    """
    frame = reviews_frame(reviews)
    rows = []
    for topic in bank.topics:
        ids = [q.id for q in topic.questions] + [q.id for q in topic.follow_up_questions]
        mine = frame[frame["question_id"].isin(ids)]
        studied = [qid for qid in ids if qid in cards]
        retention = [scheduling.retrievability(cards[qid], now) for qid in studied]
        rows.append(
            {
                "topic": topic.id,
                "title": topic.title,
                "questions": len(ids),
                "studied": len(studied),
                "due_now": sum(scheduling.as_utc(cards[qid].due) <= now for qid in studied),
                "reviews": len(mine),
                "recall_rate": float((mine["rating"] >= 3).mean()) if len(mine) else float("nan"),
                "mean_score": float(mine["score"].mean())
                if mine["score"].notna().any()
                else float("nan"),
                "retention": sum(retention) / len(retention) if retention else float("nan"),
            }
        )
    return pd.DataFrame(rows)


def _local_zone():
    return datetime.now().astimezone().tzinfo


def reviews_per_day(reviews: list[dict]) -> pd.DataFrame:
    """Rows: day (the learner's local date), rating, count."""
    frame = reviews_frame(reviews)
    if frame.empty:
        return pd.DataFrame(columns=["day", "rating", "count"])
    frame["day"] = frame["reviewed_at"].dt.tz_convert(_local_zone()).dt.strftime("%Y-%m-%d")
    return frame.groupby(["day", "rating"]).size().reset_index(name="count")


def upcoming_due(cards: dict, now: datetime, days: int = 14) -> pd.DataFrame:
    """Rows: day (local date), due (cards falling due that day; overdue ones count today)."""
    zone = _local_zone()
    start = now.astimezone(zone).date()
    counts = {start + timedelta(days=d): 0 for d in range(days)}
    for card in cards.values():
        day = max(scheduling.as_utc(card.due).astimezone(zone).date(), start)
        if day in counts:
            counts[day] += 1
    return pd.DataFrame({"day": [d.isoformat() for d in counts], "due": list(counts.values())})
