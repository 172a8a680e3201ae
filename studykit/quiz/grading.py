"""Grading: evidence for free answers; choice, numeric and predict-then-run answers.

A free answer is checked claim by claim (docs/questions.md, "How a free answer is checked"):
the answer and the bank's phrases are analysed into lemmas by Kiwi (``analyser``), a phrase
matches when its words appear close together inside one sentence, a match inside a negated
clause denies the point, a number next to the wrong value contradicts it, and the bank's
misconception patterns flag typical wrong claims. The result is evidence for the learner (which
sentence stated what), not a verdict: the learner chooses the rating.
"""

from __future__ import annotations

import itertools
import math
import re
from dataclasses import dataclass, field

from studykit.quiz import analyser as kiwi
from studykit.quiz.bank import Interval, KeyPoint, Misconception, Question, pattern_groups
from studykit.quiz.bank import questions_dir as _questions_dir

RATINGS = {1: "다시", 2: "어려움", 3: "알맞음", 4: "쉬움"}
RATING_NAMES = {"again": 1, "hard": 2, "good": 3, "easy": 4}

STATED, DENIED, CONTRADICTED, MISSING = "stated", "denied", "contradicted", "missing"
_MAX_COMBINATIONS = 4096


@dataclass(frozen=True)
class PointCheck:
    """What the answer does with one key point, and the learner's sentence that shows it."""

    point: str
    status: str  # stated | denied | contradicted | missing
    evidence: str | None = None


@dataclass(frozen=True)
class MisconceptionFound:
    claim: str
    correction: str
    evidence: str


@dataclass(frozen=True)
class Grade:
    """The outcome of grading one answer.

    ``correct`` is None for free answers (the learner judges them); ``score`` is the share of
    key points stated, in [0, 1]; ``hits`` has one flag per key point; ``suggested_rating`` is
    1-3 (다시..알맞음; 쉬움 is never suggested).
    """

    score: float
    suggested_rating: int
    correct: bool | None = None
    hits: tuple[bool, ...] = ()
    feedback: str = ""
    details: dict = field(default_factory=dict)
    points: tuple[PointCheck, ...] = ()
    misconceptions: tuple[MisconceptionFound, ...] = ()

    @property
    def flagged(self) -> bool:
        """A misconception was found or a key point was denied or contradicted."""
        return bool(self.misconceptions) or any(
            p.status in (DENIED, CONTRADICTED) for p in self.points
        )


def suggest_rating(score: float, flagged: bool = False) -> int:
    if score <= 0:
        return 1
    if flagged or score < 0.5:
        return 2
    return 3


# --- matching -----------------------------------------------------------------------------


def _token_matches(term_token: str, lemma: str) -> bool:
    if term_token.endswith("*") and len(term_token) > 1:
        return lemma.startswith(term_token[:-1])
    return term_token == lemma


def _positions(token: str, lemmas: tuple[kiwi.Lemma, ...]) -> list[int]:
    """Where ``token`` is, also where Kiwi split it in two or three ("연 산" for 연산)."""
    found = [i for i, lemma in enumerate(lemmas) if _token_matches(token, lemma.text)]
    if len(token) > 1 and not token.endswith("*"):
        for i in range(len(lemmas) - 1):
            joined = lemmas[i].text
            for k in (1, 2):
                if i + k >= len(lemmas) or lemmas[i + k].clause != lemmas[i].clause:
                    break
                joined += lemmas[i + k].text
                if joined == token:
                    found.append(i)
    return sorted(set(found))


def _occurrences(term: tuple[str, ...], lemmas: tuple[kiwi.Lemma, ...]) -> list[tuple[int, ...]]:
    """Position sets where every word of ``term`` appears close together.

    Inside one clause the words may come in any order; across clauses only in the term's.
    A negation in the term must sit right next to a word of the match (adverbs may come
    between): "사라지지 않다" is matched by "안 사라진다" but not by "소실과는 관계가 없다".
    """
    if not term:
        return []
    candidates = []
    for token in term:
        where = _positions(token, lemmas)
        if not where:
            return []
        candidates.append(where)
    limit = 2 * len(term) + 1
    negations = [j for j, token in enumerate(term) if token == kiwi.NOT]
    found = set()
    for count, combo in enumerate(itertools.product(*candidates)):
        if count >= _MAX_COMBINATIONS:
            break
        if len(set(combo)) < len(combo) or max(combo) - min(combo) >= limit:
            continue
        if len({lemmas[i].clause for i in combo}) > 1 and list(combo) != sorted(combo):
            continue  # across clauses only in the phrase's own word order
        if all(_negates_a_match(lemmas, combo, j) for j in negations):
            found.add(tuple(sorted(combo)))
    return sorted(found, key=lambda c: (c[-1] - c[0], c))


def _negates_a_match(lemmas: tuple[kiwi.Lemma, ...], combo: tuple[int, ...], j: int) -> bool:
    """The negation at combo[j] is next to another matched word, with only adverbs between."""
    others = [p for k, p in enumerate(combo) if k != j]
    for other in others:
        low, high = sorted((combo[j], other))
        if all(lemmas[i].adverb for i in range(low + 1, high)):
            return True
    return not others


def _denied(lemmas: tuple[kiwi.Lemma, ...], positions: set[int]) -> bool:
    """An odd number of negations in the matched clauses, outside the matched words.

    A negation inside a relative clause ("다시 켜지지 않는 뉴런") only reaches the words
    before it, not the noun it modifies.
    """
    clauses = {lemmas[i].clause for i in positions}
    first = min(positions)
    negations = sum(
        1
        for i, lemma in enumerate(lemmas)
        if lemma.text == kiwi.NOT
        and lemma.clause in clauses
        and i not in positions
        and not (lemma.adnominal and i < first)
    )
    return negations % 2 == 1


@dataclass
class _Sentence:
    text: str
    lemmas: tuple[kiwi.Lemma, ...]
    used: set[int] = field(default_factory=set)  # words that flagged a misconception


def _group_matches(
    analyser: kiwi.Analyser, group: list[str], sentence: _Sentence
) -> list[tuple[int, ...]]:
    return [
        combo
        for alternative in group
        for combo in _occurrences(analyser.phrase(alternative), sentence.lemmas)
    ]


def _all_groups(
    analyser: kiwi.Analyser, groups: list[list[str]], sentence: _Sentence
) -> list[set[int]]:
    """Position sets covering one match of every group (empty list if a group is absent)."""
    options = [_group_matches(analyser, group, sentence) for group in groups]
    if any(not option for option in options):
        return []
    combined = []
    for count, choice in enumerate(itertools.product(*options)):
        if count >= _MAX_COMBINATIONS:
            break
        combined.append(set().union(*choice))
    return combined


def _point_terms(point: KeyPoint) -> list[str]:
    return [re.sub(r"\([^)]*\)", " ", point.point), *point.synonyms]


def _stated_numbers(lemmas: tuple[kiwi.Lemma, ...], positions: set[int]) -> list[float]:
    """The numbers stated for a quantity: those after it in its clause, else those before.

    A number directly followed by a negation is not stated; "β1은 0.999가 아니라 0.9" states
    the number of the clause that follows.
    """
    clause = lemmas[max(positions)].clause

    def negated(i: int) -> bool:
        return i + 1 < len(lemmas) and lemmas[i + 1].text == kiwi.NOT

    def numbers(indices, wanted) -> list[int]:
        return [
            i
            for i in indices
            if lemmas[i].clause == wanted and lemmas[i].number is not None and i not in positions
        ]

    after = numbers(range(max(positions) + 1, len(lemmas)), clause)
    stated = [i for i in after if not negated(i)]
    if after and not stated:  # "X가 아니라 Y": the next clause corrects it
        stated = [i for i in numbers(range(len(lemmas)), clause + 1) if not negated(i)]
    if not after:
        first_clause = lemmas[min(positions)].clause
        before = numbers(range(min(positions)), first_clause)
        stated = [i for i in before if not negated(i)]
    return [lemmas[i].number for i in stated]


def _check_point(
    analyser: kiwi.Analyser, point: KeyPoint, sentences: list[_Sentence]
) -> PointCheck:
    required = point.required_groups
    denied_in: str | None = None
    contradicted_in: str | None = None
    for sentence in sentences:
        for term in _point_terms(point):
            for combo in _occurrences(analyser.phrase(term), sentence.lemmas):
                if sentence.used & set(combo):
                    continue
                extras = _all_groups(analyser, required, sentence) if required else [set()]
                for extra in extras:
                    positions = set(combo) | extra
                    if _denied(sentence.lemmas, positions):
                        denied_in = denied_in or sentence.text
                    else:
                        return PointCheck(point.point, STATED, sentence.text)
        if point.value is None:
            continue
        for quantity in point.quantity:
            for combo in _occurrences(analyser.phrase(quantity), sentence.lemmas):
                if sentence.used & set(combo):
                    continue
                numbers = _stated_numbers(sentence.lemmas, set(combo))
                if any(
                    math.isclose(n, point.value, rel_tol=1e-9, abs_tol=point.tolerance)
                    for n in numbers
                ):
                    return PointCheck(point.point, STATED, sentence.text)
                if numbers:
                    contradicted_in = contradicted_in or sentence.text
    if contradicted_in is not None:
        return PointCheck(point.point, CONTRADICTED, contradicted_in)
    if denied_in is not None:
        return PointCheck(point.point, DENIED, denied_in)
    return PointCheck(point.point, MISSING)


def _find_misconception(
    analyser: kiwi.Analyser, misconception: Misconception, sentences: list[_Sentence]
) -> MisconceptionFound | None:
    for sentence in sentences:
        for pattern in misconception.detect:
            for positions in _all_groups(analyser, pattern_groups(pattern), sentence):
                if not _denied(sentence.lemmas, positions):
                    sentence.used |= positions
                    return MisconceptionFound(
                        misconception.claim, misconception.correction, sentence.text
                    )
    return None


def default_analyser() -> kiwi.Analyser:
    return kiwi.analyser_for(str(_questions_dir()))


def grade_free(question: Question, answer: str, analyser: kiwi.Analyser | None = None) -> Grade:
    """Check a free answer claim by claim; see the module docstring."""
    analyser = analyser or default_analyser()
    sentences = [_Sentence(s.text, s.lemmas) for s in analyser.sentences(answer or "")]
    found = [
        hit
        for misconception in question.misconceptions
        if (hit := _find_misconception(analyser, misconception, sentences))
    ]
    points = tuple(_check_point(analyser, point, sentences) for point in question.key_points)
    hits = tuple(p.status == STATED for p in points)
    score = sum(hits) / len(hits) if hits else 0.0
    grade = Grade(score, 1, None, hits, "", {}, points, tuple(found))
    rating = suggest_rating(score, grade.flagged)
    return Grade(score, rating, None, hits, _feedback(grade), {}, points, tuple(found))


def _feedback(grade: Grade) -> str:
    parts = [f"핵심 포인트 {len(grade.points)}개 중 {sum(grade.hits)}개 확인"]
    denied = sum(p.status == DENIED for p in grade.points)
    contradicted = sum(p.status == CONTRADICTED for p in grade.points)
    if denied:
        parts.append(f"부정된 포인트 {denied}개")
    if contradicted:
        parts.append(f"값이 다른 포인트 {contradicted}개")
    if grade.misconceptions:
        parts.append(f"오개념 {len(grade.misconceptions)}개")
    return ", ".join(parts) + "."


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
_THOUSANDS = re.compile(r"^[-+]?\d{1,3}(,\d{3})+(\.\d+)?$")
_COUNTERS = ("퍼센트", "픽셀", "가지", "px", "배", "회", "번", "개", "층", "칸", "%")
_ENDINGS = ("입니다", "이에요", "예요", "이요", "요", "정도", ".", "。", ",")
_PREFIXES = ("약", "대략", "≈", "~")


def _strip_words(text: str, unit: str | None) -> tuple[str, bool]:
    """Remove 'about', a final full stop or copula, parentheses and the unit or a counter."""
    percent = False
    changed = True
    while changed and text:
        changed = False
        for prefix in _PREFIXES:
            if text.startswith(prefix):
                text, changed = text[len(prefix) :].strip(), True
        for ending in _ENDINGS:
            if text.endswith(ending) and len(text) > len(ending):
                text, changed = text[: -len(ending)].strip(), True
        if text.startswith("(") and text.endswith(")"):
            text, changed = text[1:-1].strip(), True
        for counter in ((unit,) if unit else ()) + _COUNTERS:
            if text.endswith(counter) and len(text) > len(counter):
                percent = percent or counter in ("%", "퍼센트")
                text, changed = text[: -len(counter)].strip(), True
    return text, percent


def parse_number(text: str, unit: str | None = None) -> float:
    """Read a number the way a learner types it; ValueError with a Korean hint otherwise.

    Accepts 0.25, 1/4, 25%, 1,024, 1e-3, −4 (Unicode minus or dash), (−4), '약 32', '32회'
    (the question's unit and the counters 배 회 번 개 픽셀 ...), and a final full stop. A comma
    that is not a thousands separator ('0,25', '3,2') is refused as ambiguous.
    """
    cleaned = kiwi.normalize(str(text)).strip()
    cleaned, percent = _strip_words(cleaned, kiwi.normalize(unit).strip() if unit else None)
    cleaned = cleaned.replace(" ", "")
    if "," in cleaned:
        if not _THOUSANDS.match(cleaned):
            raise ValueError(
                f"쉼표(,)가 소수점인지 천 단위 구분인지 알 수 없습니다: {text!r}. "
                "소수점은 점으로 적으세요 (예: 0.25), 천 단위는 1,024처럼 세 자리씩 끊으세요."
            )
        cleaned = cleaned.replace(",", "")
    try:
        if cleaned.count("/") == 1:
            top, bottom = cleaned.split("/")
            if not (_NUMBER.match(top) and _NUMBER.match(bottom)):
                raise ValueError
            value = float(top) / float(bottom)
        elif _NUMBER.match(cleaned):
            value = float(cleaned)
        else:
            raise ValueError
    except (ValueError, ZeroDivisionError):
        raise ValueError(
            f"숫자로 읽을 수 없습니다: {text!r}. 예: 0.25, 1/4, 25%, 1e-3, -4 처럼 입력하세요."
        ) from None
    if not math.isfinite(value):
        raise ValueError(f"유한한 숫자가 아닙니다: {text!r}. 예: 0.25, 1e-3 처럼 입력하세요.")
    return value / 100 if percent else value


def grade_numeric(question: Question, answer: str) -> Grade:
    value = parse_number(answer, question.unit)
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
