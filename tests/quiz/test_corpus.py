"""The answer check against the labelled corpus (tests/quiz/corpus): the promised shares."""

from pathlib import Path

import pytest

from studykit.quiz.bank import load_bank
from studykit.quiz.evaluation import VERDICTS, grade_corpus, load_corpus, summary

CORPUS = Path(__file__).parent / "corpus"


@pytest.fixture(scope="module")
def bank():
    return load_bank()


@pytest.fixture(scope="module")
def items():
    return load_corpus(CORPUS)


@pytest.fixture(scope="module")
def measured(bank, items):
    return summary(grade_corpus(bank, items))


def test_corpus_is_large_varied_and_checked_by_a_second_reader(bank, items):
    assert len(items) >= 300
    questions = {item.question for item in items}
    assert len(questions) >= 60
    # every topic of the notes (the metrics topic, added later, is not in the corpus yet)
    covered = {bank.question(q).topic for q in questions}
    assert {t.id for t in bank.topics} - covered <= {"metrics"}
    assert {item.verdict for item in items} == set(VERDICTS)
    assert len({item.author for item in items}) >= 3
    for item in items:
        question = bank.question(item.question)
        assert question.kind == "free", item.question
        assert len(item.points) == len(question.key_points), item.question
        assert set(item.points) <= {-1, 0, 1}
        assert item.checked_by and item.checked_by != item.author


def test_shares_meet_the_targets(measured):
    assert measured["correct: suggested 알맞음/쉬움, not flagged"][0] >= 0.85
    assert measured["wrong: flagged or suggested 다시/어려움"][0] >= 0.90
    assert measured["wrong: suggested 쉬움"][0] == 0
    assert measured["off-topic: suggested 다시"][0] >= 0.95
    assert measured["key points: precision"][0] >= 0.80
    assert measured["key points: recall"][0] >= 0.80
