"""Every predict question: its finding exists in its own preset's run and lands in one option."""

import pytest

from studykit import experiments
from studykit.quiz.bank import load_bank
from studykit.quiz.grading import measured_option

PREDICT = [q for q in load_bank().questions if q.kind == "predict"]


@pytest.mark.parametrize("question", PREDICT, ids=lambda q: q.id)
def test_measured_finding_falls_inside_one_option(question):
    link = question.experiment
    result = experiments.run_cached(link.name, preset=link.preset)
    assert question.predict.finding in result.findings, sorted(result.findings)
    measured = float(result.findings[question.predict.finding])
    assert measured_option(question.predict.options, measured) is not None, measured
