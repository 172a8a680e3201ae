"""The coach's settings and plan: bounds, filters, one answered follow-up per question."""

import random
import re

import pytest

from studykit.quiz import interview
from studykit.quiz.bank import load_bank


@pytest.fixture(scope="module")
def bank():
    return load_bank()


def test_plan_draws_free_questions_of_the_chosen_topics_with_a_follow_up(bank):
    settings = interview.Settings(topics=("loss", "cnn"), difficulties=(2, 3), count=5)
    pairs = interview.plan(bank, settings, random.Random(0))
    assert len(pairs) == 5 and len({q for q, _ in pairs}) == 5
    for qid, fid in pairs:
        question, follow = bank.question(qid), bank.question(fid)
        assert question.kind == "free" and question.topic in ("loss", "cnn")
        assert question.difficulty in (2, 3) and follow.parent == qid
    assert interview.plan(bank, settings, random.Random(0)) == pairs  # seeded: reproducible


def test_plan_asks_at_most_what_the_filter_holds(bank):
    settings = interview.Settings(topics=("loss",), difficulties=(1,), count=10)
    pool = interview.candidates(bank, settings)
    assert len(interview.plan(bank, settings)) == min(10, len(pool))


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"count": 0}, "질문 수는 1에서 10"),
        ({"count": 11}, "질문 수는 1에서 10"),
        ({"seconds": 29}, "0(제한 없음) 또는 30~900초"),
        ({"seconds": 901}, "0(제한 없음) 또는 30~900초"),
        ({"difficulties": ()}, "난이도를 하나 이상"),
        ({"difficulties": (4,)}, "난이도를 하나 이상"),
    ],
)
def test_settings_out_of_bounds_are_refused_in_korean(kwargs, message):
    with pytest.raises(interview.SettingsError, match=re.escape(message)):
        interview.Settings(**kwargs)


def test_a_topic_without_free_questions_is_a_korean_error(bank):
    with pytest.raises(interview.SettingsError, match="서술형 질문이 없습니다"):
        interview.plan(bank, interview.Settings(topics=("no-such-topic",)))
