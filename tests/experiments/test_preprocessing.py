"""The claim of the preprocessing experiment, with the default preset (seed 0).

Digits features are multiplied by per-pixel scales spread over three orders of magnitude.
Each scaling gets the same learning-rate sweep (plain SGD, same starting weights and
batches) and is judged by its best run: standardized inputs reach 90 % validation accuracy
within a few epochs, raw-scale inputs do not reach it at all in the same 6 epochs, and the
larger learning rates make raw-scale training bounce.
"""

import math

import numpy as np
import pytest

from studykit import experiments


@pytest.fixture(scope="module")
def result():
    return experiments.run("preprocessing", preset="default")


def test_raw_features_span_orders_of_magnitude_and_standardized_ones_do_not(result):
    assert result.findings["feature_scale_ratio"] > 300
    features = result.frames["features"]
    raw = features[(features.scaling == "raw") & (features["std"] > 0)]["std"]
    assert raw.max() / raw.min() > 300
    standardized = features[features.scaling == "standardized"]["std"].to_numpy()
    # Every pixel has std 1, except the always-blank ones, which stay 0.
    assert np.all(np.isclose(standardized, 1.0, atol=1e-3) | (standardized == 0.0))


def test_standardized_inputs_reach_the_target_within_a_few_epochs(result):
    f = result.findings
    assert f["epochs_to_target.standardized"] <= 3
    assert f["final_accuracy.standardized"] > 0.95


def test_raw_inputs_are_much_slower_at_their_best_learning_rate(result):
    f = result.findings
    raw = f["epochs_to_target.raw"]
    assert math.isnan(raw) or raw >= 3 * f["epochs_to_target.standardized"]
    assert f["final_accuracy.standardized"] - f["final_accuracy.raw"] >= 0.15
    assert f["final_loss.raw"] > 5 * f["final_loss.standardized"]


def test_raw_inputs_only_tolerate_smaller_learning_rates(result):
    f = result.findings
    assert f["best_learning_rate.raw"] < f["best_learning_rate.standardized"]
    assert f["unstable_runs.raw"] >= 1  # the loss went back up at the large rates
    assert f["unstable_runs.standardized"] == 0


def test_runs_table_marks_one_best_run_per_scaling(result):
    runs = result.frames["runs"]
    assert len(runs) == 2 * len(result.params["learning_rates"])
    assert runs.groupby("scaling")["best"].sum().to_dict() == {"raw": 1, "standardized": 1}


def test_summary_states_epochs_and_accuracy(result):
    assert "표준화" in result.summary and "도달하지 못함" in result.summary
