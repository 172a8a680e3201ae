"""The claim of the weight-decay experiment, with the default preset (seed 0).

Keras' L2 is l2·Σw² (no ½), studykit.regularizers follows it.
"""

import numpy as np
import pytest

from studykit import experiments


@pytest.fixture(scope="module")
def result():
    return experiments.run("weight_decay", preset="default")


def test_without_a_penalty_the_network_overfits(result):
    f = result.findings
    assert f["train_accuracy.none"] >= 0.95
    assert f["gap.none"] >= 0.08
    assert f["memorized.none"] >= 0.7


@pytest.mark.parametrize("name", ["l1", "l2"])
def test_l1_and_l2_shrink_the_gap(result, name):
    f = result.findings
    assert f[f"gap.{name}"] <= f["gap.none"] - 0.05
    assert f[f"memorized.{name}"] <= f["memorized.none"] - 0.3
    assert f[f"val_accuracy.{name}"] >= f["val_accuracy.none"] - 0.01


def test_l1_drives_many_weights_to_zero(result):
    f = result.findings
    assert f["near_zero_fraction.l1"] >= 0.5
    assert f["near_zero_fraction.l1"] >= 2 * f["near_zero_fraction.l2"]
    assert f["near_zero_fraction.l1"] >= 4 * f["near_zero_fraction.none"]


def test_both_penalties_shrink_the_weight_norm_l2_most(result):
    f = result.findings
    assert f["weight_norm.l1"] < 0.7 * f["weight_norm.none"]
    assert f["weight_norm.l2"] < 0.5 * f["weight_norm.none"]
    assert f["weight_norm.l2"] < f["weight_norm.l1"]


def test_histogram_covers_every_kernel_weight(result):
    weights = result.frames["weights"]
    kernels = 64 * 256 + 256 * 256 + 256 * 10
    for _, table in weights.groupby("regularizer"):
        assert table["count"].sum() == kernels
        assert table["fraction"].sum() == pytest.approx(1.0)
    # The bin around 0 holds far more L1 weights than unregularized ones.
    centre = weights[(weights.bin_start < 0) & (weights.bin_end > 0)].set_index("regularizer")
    assert centre.loc["l1", "fraction"] > 3 * centre.loc["none", "fraction"]
    starts = weights[weights.regularizer == "none"].bin_start.to_numpy()
    assert np.all(np.diff(starts) > 0)


def test_summary_states_the_numbers(result):
    assert "격차" in result.summary and "L1" in result.summary and "노름" in result.summary
