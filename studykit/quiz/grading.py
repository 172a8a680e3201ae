"""Grading: key-point coverage for free answers, choice, numeric and predict-then-run.

Free answers are matched on a normalized form: Unicode NFKC, lower case, and every space,
hyphen and punctuation mark removed. Korean particles need no special handling because the
key-point terms are stems ("기울기 소실") that stay a substring of the inflected answer
("기울기소실이"), and spacing differences disappear with the spaces.
"""

from __future__ import annotations

import math
import re
import unicodedata
from dataclasses import dataclass, field

from studykit.quiz.bank import Interval, KeyPoint, Question

RATINGS = {1: "다시", 2: "어려움", 3: "알맞음", 4: "쉬움"}
RATING_NAMES = {"again": 1, "hard": 2, "good": 3, "easy": 4}

_NOT_WORD = re.compile(r"[\W_]+")  # keeps letters and digits of every script (ŷ, Σ, ½, 한글)
_PAREN = re.compile(r"\(([^)]*)\)")
# Particles a key-point author may have left on a term; stripped from the term's end.
_TRAILING_PARTICLES = (
    "으로",
    "에서",
    "에게",
    "이다",
    "은",
    "는",
    "이",
    "가",
    "을",
    "를",
    "의",
    "로",
    "와",
    "과",
    "도",
)


def normalize(text: str) -> str:
    """Lower-cased NFKC text with spaces, hyphens and punctuation removed."""
    return _NOT_WORD.sub("", unicodedata.normalize("NFKC", text).lower())


def _term_variants(term: str) -> set[str]:
    """The term, its parenthesised part and the rest separately, particles stripped."""
    parts = {term, _PAREN.sub("", term), *_PAREN.findall(term)}
    variants = set()
    for part in parts:
        norm = normalize(part)
        if len(norm) < 2:
            continue
        variants.add(norm)
        for particle in _TRAILING_PARTICLES:
            if (
                norm.endswith(particle)
                and len(norm) - len(particle) >= 2
                and re.search("[가-힣]", norm)
            ):
                variants.add(norm[: -len(particle)])
    return variants


def mentions(answer: str, point: KeyPoint) -> bool:
    """Whether ``answer`` mentions ``point`` (any of its terms, after normalization)."""
    text = normalize(answer)
    return any(variant in text for term in point.terms for variant in _term_variants(term))


@dataclass(frozen=True)
class Grade:
    """The outcome of grading one answer.

    ``correct`` is None for free answers (the learner judges them); ``score`` is in [0, 1];
    ``hits`` has one flag per key point; ``suggested_rating`` is 1-4 (다시..쉬움).
    """

    score: float
    suggested_rating: int
    correct: bool | None = None
    hits: tuple[bool, ...] = ()
    feedback: str = ""
    details: dict = field(default_factory=dict)


def suggest_rating(score: float) -> int:
    if score >= 0.999:
        return 4
    if score >= 0.6:
        return 3
    if score >= 0.3:
        return 2
    return 1


def grade_free(question: Question, answer: str) -> Grade:
    hits = tuple(mentions(answer, point) for point in question.key_points)
    score = sum(hits) / len(hits) if hits else 0.0
    missing = [p.point for p, hit in zip(question.key_points, hits, strict=True) if not hit]
    feedback = (
        "핵심 내용을 모두 언급했습니다."
        if not missing
        else f"핵심 {len(hits)}개 중 {sum(hits)}개를 언급했습니다. 빠진 내용: " + ", ".join(missing)
    )
    return Grade(score, suggest_rating(score), None, hits, feedback)


def grade_choice(question: Question, selected: list[int]) -> Grade:
    options = question.options or []
    for index in selected:
        if not 0 <= index < len(options):
            raise ValueError(f"selected option {index} does not exist (0..{len(options) - 1})")
    correct_set = {i for i, option in enumerate(options) if option.correct}
    correct = set(selected) == correct_set
    feedback = "정답입니다." if correct else "오답입니다. 각 보기의 해설을 확인하세요."
    return Grade(1.0 if correct else 0.0, 3 if correct else 1, correct, (), feedback)


_NUMBER = re.compile(r"^[-+]?(\d+(\.\d*)?|\.\d+)([eE][-+]?\d+)?$")


def parse_number(text: str) -> float:
    """Parse '0.25', '1/4', '25%', '1,024', '1e-3' (spaces allowed); ValueError in Korean."""
    cleaned = unicodedata.normalize("NFKC", str(text)).strip().replace(",", "").replace(" ", "")
    percent = cleaned.endswith("%")
    cleaned = cleaned.removesuffix("%")
    try:
        if "/" in cleaned:
            top, bottom = cleaned.split("/", 1)
            if not (_NUMBER.match(top) and _NUMBER.match(bottom)):
                raise ValueError
            value = float(top) / float(bottom)
        elif _NUMBER.match(cleaned):
            value = float(cleaned)
        else:
            raise ValueError
    except (ValueError, ZeroDivisionError):
        raise ValueError(
            f"숫자로 읽을 수 없습니다: {text!r}. 예: 0.25, 1/4, 25%, 1e-3 처럼 입력하세요."
        ) from None
    return value / 100 if percent else value


def grade_numeric(question: Question, answer: str) -> Grade:
    value = parse_number(answer)
    expected, tolerance = float(question.value), float(question.tolerance)
    correct = math.isclose(value, expected, rel_tol=0.0, abs_tol=tolerance + 1e-9)
    unit = f" {question.unit}" if question.unit else ""
    feedback = (
        f"정답입니다 ({expected:g}{unit})."
        if correct
        else f"오답입니다. 입력값 {value:g}{unit}, 정답 {expected:g}{unit} "
        f"(허용 오차 ±{tolerance:g})."
    )
    return Grade(
        1.0 if correct else 0.0, 3 if correct else 1, correct, (), feedback, {"value": value}
    )


def measured_option(options: list[Interval], measured: float) -> int | None:
    """Index of the interval that contains the measured value (None if none does)."""
    for index, option in enumerate(options):
        if option.contains(measured):
            return index
    return None


def grade_prediction(question: Question, chosen: int, findings: dict[str, float]) -> Grade:
    """Grade a prediction against the experiment's measured finding, not a stored answer."""
    assert question.predict is not None
    key = question.predict.finding
    if key not in findings:
        raise KeyError(f"the experiment result has no finding {key!r} (has: {', '.join(findings)})")
    measured = float(findings[key])
    options = question.predict.options
    if not 0 <= chosen < len(options):
        raise ValueError(f"chosen option {chosen} does not exist (0..{len(options) - 1})")
    actual = measured_option(options, measured)
    correct = actual == chosen
    actual_text = options[actual].text if actual is not None else "어느 보기에도 속하지 않음"
    feedback = (
        f"예측이 맞았습니다. 측정값 {measured:.4g} → '{actual_text}'."
        if correct
        else f"예측과 달랐습니다. 측정값 {measured:.4g} → '{actual_text}'."
    )
    return Grade(
        1.0 if correct else 0.0,
        3 if correct else 1,
        correct,
        (),
        feedback,
        {"measured": measured, "actual_option": actual},
    )
