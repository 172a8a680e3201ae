"""Where a card stands, as coloured Markdown badges, and the rating colours used everywhere."""

from __future__ import annotations

from datetime import datetime

from studykit.quiz.grading import RATINGS
from studykit.quiz.store import CardStatus

# From worse to better: 다시 red, 어려움 orange, 알맞음 yellow(-green), 쉬움 green.
RATING_BADGE = {1: "red", 2: "orange", 3: "yellow", 4: "green"}
RATING_HEX = {1: "#d62728", 2: "#ff7f0e", 3: "#bcbd22", 4: "#2ca02c"}
RATING_DOT = {1: "🔴", 2: "🟠", 3: "🟡", 4: "🟢"}  # on the rating buttons, whatever their type


def status_badges(status: CardStatus | None, now: datetime, follow_ups_due: int = 0) -> str:
    """'새 문항', or the next review and the latest rating (Markdown badge directives); and
    how many of the question's follow-ups are due."""
    extra = f" :orange-badge[꼬리 질문 복습 {follow_ups_due}개]" if follow_ups_due else ""
    if status is None:
        return ":gray-badge[새 문항]" + extra
    due = status.due.astimezone()
    if status.due <= now:
        badges = [":orange-badge[복습할 차례]"]
    else:
        badges = [f":blue-badge[복습 예정 {due.strftime('%m-%d %H:%M')}]"]
    if status.last_rating in RATINGS:
        color = RATING_BADGE[status.last_rating]
        badges.append(f":{color}-badge[마지막 평가 {RATINGS[status.last_rating]}]")
    return " ".join(badges) + extra
