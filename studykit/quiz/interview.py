"""The mock-interview coach without the UI: settings, the question plan, one report per question.

A session asks ``count`` free questions of the chosen topics and difficulties; after each
answer the interviewer asks one of that question's answered follow-ups. Both answers are
checked by ``grading.grade_free``; the report keeps, per answer, the key points found (with the
learner's sentence), the misconceptions, the time used and the rating given to the schedule.
"""

from __future__ import annotations

import random
from dataclasses import asdict, dataclass

from studykit.quiz import grading
from studykit.quiz.bank import Bank, Question

MAX_QUESTIONS = 10
MIN_SECONDS = 30
MAX_SECONDS = 900
DIFFICULTIES = (1, 2, 3)


class SettingsError(ValueError):
    """Settings the coach cannot use; the message is Korean, for the learner."""


@dataclass(frozen=True)
class Settings:
    topics: tuple[str, ...] = ()  # empty: every topic
    difficulties: tuple[int, ...] = DIFFICULTIES
    count: int = 3
    seconds: int = 120  # per answer; 0: no limit

    def __post_init__(self):
        if not 1 <= self.count <= MAX_QUESTIONS:
            raise SettingsError(f"질문 수는 1에서 {MAX_QUESTIONS} 사이로 고르세요.")
        if self.seconds != 0 and not MIN_SECONDS <= self.seconds <= MAX_SECONDS:
            raise SettingsError(
                f"답변 시간은 0(제한 없음) 또는 {MIN_SECONDS}~{MAX_SECONDS}초로 정하세요."
            )
        if not self.difficulties or set(self.difficulties) - set(DIFFICULTIES):
            raise SettingsError("난이도를 하나 이상 고르세요 (기초, 중급, 심화).")

    def as_dict(self) -> dict:
        return {
            **asdict(self),
            "topics": list(self.topics),
            "difficulties": list(self.difficulties),
        }


def candidates(bank: Bank, settings: Settings) -> list[Question]:
    """Free main questions of the chosen topics and difficulties that have an answered follow-up."""
    return [
        q
        for q in bank.questions
        if q.kind == "free"
        and q.answered_follow_ups()
        and (not settings.topics or q.topic in settings.topics)
        and q.difficulty in settings.difficulties
    ]


def plan(bank: Bank, settings: Settings, rng: random.Random | None = None) -> list[list[str]]:
    """[question id, follow-up id] pairs, at most ``settings.count``, in random order."""
    rng = rng or random.Random()
    pool = candidates(bank, settings)
    if not pool:
        raise SettingsError("고른 주제와 난이도에 맞는 서술형 질문이 없습니다. 조건을 넓혀 보세요.")
    chosen = rng.sample(pool, min(settings.count, len(pool)))
    return [[q.id, rng.choice(q.answered_follow_ups()).id] for q in chosen]


def part(
    question: Question,
    answer: str,
    grade: grading.Grade,
    seconds_used: float,
    timed_out: bool,
    rating: int | None,
) -> dict:
    """One answer of the report (JSON-ready)."""
    return {
        "question_id": question.id,
        "question": question.question,
        "answer": answer,
        "seconds": round(seconds_used, 1),
        "timed_out": timed_out,
        "score": grade.score,
        "rating": rating,
        "points": [
            {"point": p.point, "status": p.status, "evidence": p.evidence} for p in grade.points
        ],
        "misconceptions": [
            {"claim": m.claim, "correction": m.correction, "evidence": m.evidence}
            for m in grade.misconceptions
        ],
    }


def found(entry_part: dict) -> list[str]:
    return [p["point"] for p in entry_part["points"] if p["status"] == grading.STATED]
