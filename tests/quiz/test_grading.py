"""Grading in Korean: particles, spacing, synonyms, English terms; choice, numeric, predict."""

import pytest

from studykit.quiz import grading
from studykit.quiz.bank import Interval, KeyPoint, Option, Prediction, Question

BASE = dict(
    difficulty=1,
    question="질문?",
    answer="답.",
    follow_ups=["꼬리?"],
    notes=["004_a0cbd5e94b658168"],
)


def free(*points):
    return Question(id="t-free", kind="free", key_points=list(points), **BASE)


VANISHING = KeyPoint(point="기울기 소실 (vanishing gradient)", synonyms=["그래디언트 소실"])
DERIVATIVE = KeyPoint(point="양수 구간 미분값 1", synonyms=["미분값이 1", "기울기가 1"])


@pytest.mark.parametrize(
    "answer",
    [
        "기울기 소실이 줄어듭니다",  # particle attached
        "기울기소실을 막아요",  # no space
        "기 울기 소 실",  # stray spaces
        "Vanishing-Gradient 문제가 완화됩니다",  # English term, case and hyphen
        "그래디언트소실이 적다",  # synonym with particle
    ],
)
def test_key_point_found_despite_particles_spacing_and_language(answer):
    assert grading.mentions(answer, VANISHING)


def test_unrelated_answer_mentions_nothing():
    assert not grading.mentions("학습률을 줄이면 됩니다", VANISHING)


def test_particle_left_on_a_term_still_matches_the_stem():
    point = KeyPoint(point="희소성을", synonyms=[])
    assert grading.mentions("활성화가 희소성이 있어", point)


def test_free_answer_coverage_and_suggested_rating():
    question = free(VANISHING, DERIVATIVE)
    full = grading.grade_free(question, "기울기 소실이 적고 양수에서 기울기가 1이라서요")
    assert full.hits == (True, True) and full.score == 1.0 and full.suggested_rating == 4
    half = grading.grade_free(question, "vanishing gradient 때문입니다")
    assert half.hits == (True, False) and half.score == 0.5 and half.suggested_rating == 2
    assert "양수 구간 미분값 1" in half.feedback
    none = grading.grade_free(question, "")
    assert none.score == 0 and none.suggested_rating == 1


def test_symbols_like_y_hat_and_sigma_are_kept():
    point = KeyPoint(point="ŷ − y", synonyms=["Σ y log ŷ"])
    assert grading.mentions("기울기는 ŷ-y 입니다", point)
    assert not grading.mentions("기울기는 y 입니다", point)


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
        ("1,024", 1024),
        (" 1e-3 ", 0.001),
        ("０.５", 0.5),
    ],
)
def test_parse_number(text, value):
    assert grading.parse_number(text) == pytest.approx(value)


@pytest.mark.parametrize("text", ["", "약 0.25", "1/0", "a/b", "0.2.5"])
def test_parse_number_rejects_with_korean_hint(text):
    with pytest.raises(ValueError, match="숫자로 읽을 수 없습니다"):
        grading.parse_number(text)


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
