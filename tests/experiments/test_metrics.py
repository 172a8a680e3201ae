"""The claims of the evaluation-metrics experiment, checked against scikit-learn (seed 0)."""

import numpy as np
import pytest
from sklearn import metrics as sk

from studykit import experiments
from studykit.experiments import metrics


@pytest.fixture(scope="module")
def default():
    return experiments.run("metrics", preset="default")


def _scores(preset: str):
    p = metrics.MetricsParams(**experiments.presets("metrics")[preset])
    x, y = metrics._data(p)
    half = len(y) // 2
    weights = metrics._fit_logistic(x[:half], y[:half])
    return metrics._predict(weights, x[half:]), y[half:]


def test_every_metric_equals_scikit_learn(default):
    scores, y = _scores("default")
    f = default.findings
    predicted = scores >= 0.5
    assert f["precision_at_0.5"] == pytest.approx(sk.precision_score(y, predicted))
    assert f["recall_at_0.5"] == pytest.approx(sk.recall_score(y, predicted))
    assert f["f1_at_0.5"] == pytest.approx(sk.f1_score(y, predicted))
    assert f["accuracy_at_0.5"] == pytest.approx(sk.accuracy_score(y, predicted))
    assert f["roc_auc"] == pytest.approx(sk.roc_auc_score(y, scores), abs=1e-12)
    assert f["average_precision"] == pytest.approx(sk.average_precision_score(y, scores), abs=1e-12)


def test_accuracy_paradox_on_imbalanced_data(default):
    f = default.findings
    assert f["positive_rate"] == pytest.approx(0.05, abs=0.01)
    assert f["accuracy_all_negative"] == pytest.approx(1 - f["positive_rate"])
    assert f["accuracy_all_negative"] > 0.94 and f["recall_at_0.5"] < 0.6


def test_threshold_trades_recall_for_precision(default):
    sweep = default.frames["sweep"]
    recall = sweep[sweep["metric"] == "recall"].sort_values("threshold")["value"].to_numpy()
    precision = sweep[sweep["metric"] == "precision"].set_index("threshold")["value"]
    assert np.all(np.diff(recall) <= 1e-12)  # raising the threshold never raises recall
    assert precision.loc[0.8] > precision.loc[0.2]
    f = default.findings
    assert f["best_f1_threshold"] != 0.5 and f["best_f1"] > f["f1_at_0.5"]


def test_roc_auc_stays_while_average_precision_falls_with_rarity(default):
    balanced = experiments.run("metrics", preset="balanced").findings
    rare = experiments.run("metrics", preset="rare").findings
    f = default.findings
    assert min(balanced["roc_auc"], f["roc_auc"], rare["roc_auc"]) > 0.9
    assert balanced["average_precision"] > f["average_precision"] > rare["average_precision"]
    assert balanced["accuracy_all_negative"] == pytest.approx(0.5, abs=0.03)
