"""The answer check in Korean (forms, polarity, numbers, misconceptions); other kinds."""

import pytest

from studykit.quiz import grading
from studykit.quiz.bank import Interval, KeyPoint, Misconception, Option, Prediction, Question

BASE = dict(
    difficulty=1,
    question="질문?",
    answer="답.",
    follow_ups=["꼬리?"],
    notes=["004_a0cbd5e94b658168"],
)


OTHER = KeyPoint(point="아무 관계 없는 두 번째 포인트", synonyms=["완전히 다른 말"])


def free(*points, misconceptions=()):
    return Question(
        id="t-free",
        kind="free",
        key_points=list(points) if len(points) > 1 else [*points, OTHER],
        misconceptions=list(misconceptions),
        **BASE,
    )


def status(answer: str, point: KeyPoint) -> str:
    return grading.grade_free(free(point), answer).points[0].status


VANISHING = KeyPoint(point="기울기 소실 (vanishing gradient)", synonyms=["그래디언트 소실"])
DERIVATIVE = KeyPoint(point="양수 구간 미분값 1", synonyms=["미분값이 1", "기울기가 1"])
SLOW = KeyPoint(point="수렴이 느림", synonyms=["학습이 느리다", "수렴이 느리다"])
NOT_UPDATED = KeyPoint(point="앞쪽 층이 갱신되지 않음", synonyms=["학습이 안 되다"])
BETA1 = KeyPoint(point="β1 기본값 0.9", quantity=["β1", "beta1", "베타1"], value=0.9)
SIGMOID_MAX = KeyPoint(point="최댓값 0.25", synonyms=["0.25"], requires=["시그모이드 | sigmoid"])
SIGMOID_IS_ONE = Misconception(
    claim="시그모이드의 미분값은 1이다",
    correction="시그모이드 도함수의 최댓값은 0.25입니다.",
    detect=["시그모이드 | sigmoid + 미분값이 1 | 도함수가 1"],
)


@pytest.mark.parametrize(
    "answer",
    [
        "기울기 소실이 줄어듭니다",  # particle attached
        "기울기소실을 막아요",  # no space
        "Vanishing Gradient 문제가 완화됩니다",  # English term, case
        "그래디언트 소실이 적다",  # loanword through the equivalence table
        "gradient가 소실되는 문제",  # code-mixing and a verb form
    ],
)
def test_key_point_found_despite_particles_spacing_and_language(answer):
    assert status(answer, VANISHING) == grading.STATED


@pytest.mark.parametrize(
    "point, listed, variant",
    [
        (DERIVATIVE, "미분값이 1이에요", "미분값은 1이에요"),  # particle changed
        (DERIVATIVE, "미분값이 1이에요", "미분값은 항상 1이라서"),  # adverb inserted
        (SLOW, "학습이 느리다", "학습 속도가 느려지고"),  # verb form (느리다 → 느려지고)
        (SLOW, "학습이 느리다", "학습이 느린 편이에요"),  # adnominal form
        (NOT_UPDATED, "학습이 안 돼요", "학습이 제대로 안돼요"),  # adverb inside, no space
        (NOT_UPDATED, "학습이 안 돼요", "학습이 되지 않아요"),  # long-form negation
    ],
)
def test_minimal_pairs_of_form_are_stated(point, listed, variant):
    assert status(listed, point) == grading.STATED
    assert status(variant, point) == grading.STATED


@pytest.mark.parametrize(
    "answer",
    [
        "ReLU를 쓰는 건 기울기 소실과는 관계가 없어요",
        "기울기 소실은 일어나지 않습니다",
        "그건 기울기 소실이 아니에요",
        "기울기 소실은 상관없어요",
    ],
)
def test_negated_mention_is_denied_not_stated(answer):
    assert status(answer, VANISHING) == grading.DENIED


def test_double_negation_and_a_negative_claim_are_stated():
    assert status("기울기 소실을 안 막으면 안 돼요", VANISHING) == grading.STATED
    assert status("앞쪽 층은 학습이 안 돼요", NOT_UPDATED) == grading.STATED
    # the negation of a negative claim denies it
    assert status("앞쪽 층도 학습이 잘 돼요", NOT_UPDATED) == grading.MISSING


def test_negation_of_another_word_does_not_count_for_a_negative_phrase():
    point = KeyPoint(point="기울기가 사라지지 않음", synonyms=["기울기가 사라지지 않다"])
    assert status("기울기가 안 사라져요", point) == grading.STATED
    assert status("기울기 소실과는 관계가 없어요", point) == grading.MISSING


def test_number_claim_right_wrong_and_negated_value():
    assert status("Adam의 β1은 0.9입니다", BETA1) == grading.STATED
    assert status("β1은 0.999예요", BETA1) == grading.CONTRADICTED
    assert status("beta1은 0.999가 아니라 0.9입니다", BETA1) == grading.STATED
    assert status("β1은 0.9, β2는 0.999", BETA1) == grading.STATED


def test_claim_needs_both_concepts_in_one_sentence():
    assert status("시그모이드 도함수의 최댓값은 0.25", SIGMOID_MAX) == grading.STATED
    assert status("최댓값은 0.25예요. 시그모이드를 씁니다.", SIGMOID_MAX) == grading.MISSING


@pytest.mark.parametrize("answer", ["2025년에 나왔다", "0.025배", "학습률 0.251"])
def test_numbers_match_as_whole_tokens(answer):
    point = KeyPoint(point="값 0.25", synonyms=["0.25"])
    assert status(answer, point) == grading.MISSING


def test_english_words_match_whole_tokens_and_star_prefixes():
    assert status("inference 때 느려요", KeyPoint(point="inf", synonyms=["inf"])) == "missing"
    assert status("값이 inf가 돼요", KeyPoint(point="inf", synonyms=["inf"])) == "stated"
    saturation = KeyPoint(point="포화 (saturation)", synonyms=["saturat*"])
    assert status("the unit saturates quickly", saturation) == grading.STATED


def test_misconception_is_found_with_its_correction_and_takes_no_credit():
    question = free(DERIVATIVE, VANISHING, misconceptions=[SIGMOID_IS_ONE])
    grade = grading.grade_free(question, "시그모이드는 미분값이 1이라서 기울기가 폭발해요.")
    (found,) = grade.misconceptions
    assert found.correction == SIGMOID_IS_ONE.correction
    assert found.evidence.startswith("시그모이드는")
    assert grade.points[0].status == grading.MISSING  # '미분값이 1' was the wrong claim
    assert grade.flagged and grade.suggested_rating == 1


def test_negated_misconception_is_not_flagged():
    question = free(DERIVATIVE, VANISHING, misconceptions=[SIGMOID_IS_ONE])
    grade = grading.grade_free(question, "시그모이드의 미분값이 1인 건 아니에요. 최대 0.25예요.")
    assert grade.misconceptions == ()


def test_evidence_is_the_learner_sentence():
    grade = grading.grade_free(free(VANISHING, DERIVATIVE), "첫 문장입니다. 기울기 소실이 줄어요.")
    assert grade.points[0].evidence == "기울기 소실이 줄어요."


def test_suggestions_are_honest():
    question = free(VANISHING, DERIVATIVE, misconceptions=[SIGMOID_IS_ONE])
    full = grading.grade_free(question, "기울기 소실이 적고 양수에서 기울기가 1이라서요")
    assert full.hits == (True, True) and full.suggested_rating == 3  # 쉬움 is never suggested
    assert full.feedback.startswith("핵심 포인트 2개 중 2개 확인")
    denied = grading.grade_free(question, "기울기 소실과는 관계없고 양수에서 기울기가 1이라서요")
    assert (
        denied.flagged and denied.suggested_rating == 2 and "부정된 포인트 1개" in denied.feedback
    )
    half = grading.grade_free(question, "vanishing gradient 때문입니다")
    assert half.hits == (True, False) and half.suggested_rating == 3
    none = grading.grade_free(question, "")
    assert none.score == 0 and none.suggested_rating == 1


def test_symbols_like_y_hat_are_kept():
    point = KeyPoint(point="ŷ − y", synonyms=["ŷ - y"])
    assert status("기울기는 ŷ-y 입니다", point) == grading.STATED
    assert status("기울기는 y 입니다", point) == grading.MISSING


def choice_question():
    options = [
        Option(text="0.25", correct=True, why="σ(0)(1-σ(0))"),
        Option(text="1", correct=False, why="tanh"),
    ]
    return Question(id="t-choice", kind="choice", options=options, **BASE)


def test_choice():
    question = choice_question()
    assert grading.grade_choice(question, [0]).correct is True
    assert grading.grade_choice(question, [1]).correct is False
    assert grading.grade_choice(question, [0, 1]).correct is False
    with pytest.raises(ValueError, match="does not exist"):
        grading.grade_choice(question, [5])


@pytest.mark.parametrize(
    "text, value",
    [
        ("0.25", 0.25),
        ("1/4", 0.25),
        ("25%", 0.25),
        ("25퍼센트", 0.25),
        ("1,024", 1024),
        (" 1e-3 ", 0.001),
        ("０.５", 0.5),
        ("−4", -4),  # Unicode minus
        ("–4", -4),  # en dash
        ("(-4)", -4),
        ("-8/2", -4),
        ("0.25.", 0.25),  # sentence-final full stop
        ("0.25입니다", 0.25),
        ("약 32", 32),
        ("32회", 32),
        ("32 번", 32),
        ("3배", 3),
        ("28픽셀", 28),
        ("32,", 32),
    ],
)
def test_parse_number(text, value):
    assert grading.parse_number(text) == pytest.approx(value)


def test_the_question_unit_is_accepted():
    assert grading.parse_number("100 steps", unit="steps") == 100


@pytest.mark.parametrize("text", ["", "잘 모르겠어요", "1/0", "a/b", "0.2.5", "nan", "1/4/2"])
def test_parse_number_rejects_with_korean_hint(text):
    with pytest.raises(ValueError, match="숫자로 읽을 수 없습니다"):
        grading.parse_number(text)


@pytest.mark.parametrize("text", ["0,25", "3,2", "1,02"])
def test_decimal_comma_is_called_ambiguous_not_misread(text):
    with pytest.raises(ValueError, match="쉼표"):
        grading.parse_number(text)


def test_non_finite_numbers_are_refused():
    with pytest.raises(ValueError, match="유한한"):
        grading.parse_number("1e999")


def test_numeric_with_tolerance():
    question = Question(id="t-num", kind="numeric", value=0.25, tolerance=0.01, unit="", **BASE)
    assert grading.grade_numeric(question, "0.255").correct
    assert grading.grade_numeric(question, "1/4").correct
    assert not grading.grade_numeric(question, "0.3").correct
    exact = Question(id="t-num2", kind="numeric", value=32, tolerance=0, **BASE)
    assert (
        grading.grade_numeric(exact, "32").correct
        and not grading.grade_numeric(exact, "31").correct
    )


def test_prediction_is_graded_against_the_measured_finding():
    from studykit.quiz.bank import ExperimentLink

    question = Question(
        id="t-predict",
        kind="predict",
        experiment=ExperimentLink(name="vanishing_gradient", look_at="보세요"),
        predict=Prediction(
            finding="first_to_last_grad_ratio.sigmoid",
            options=[
                Interval(text="작다", high=0.01),
                Interval(text="비슷", low=0.01, high=10),
                Interval(text="크다", low=10),
            ],
        ),
        **BASE,
    )
    measured = {"first_to_last_grad_ratio.sigmoid": 2e-6}
    assert grading.grade_prediction(question, 0, measured).correct
    wrong = grading.grade_prediction(question, 1, measured)
    assert not wrong.correct and wrong.details["actual_option"] == 0
    # The same prediction is right or wrong depending on what the run measured.
    assert grading.grade_prediction(question, 1, {"first_to_last_grad_ratio.sigmoid": 0.5}).correct
    with pytest.raises(KeyError):
        grading.grade_prediction(question, 0, {"other": 1.0})
