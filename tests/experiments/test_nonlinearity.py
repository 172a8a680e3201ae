"""The claims of the nonlinearity experiment, with the default preset (seed 0)."""

import numpy as np
import pytest

from studykit import experiments


@pytest.fixture(scope="module")
def result():
    return experiments.run("nonlinearity", preset="default")


def test_a_deep_linear_network_is_one_matrix(result):
    assert result.params["depth"] == 4
    # float32 network vs float64 product of its weight matrices (biases folded in).
    assert result.findings["max_abs_diff"] < 1e-5
    # The same product does not describe the ReLU network at all.
    assert result.findings["max_abs_diff_nonlinear"] > 1.0


def test_the_linear_network_cannot_separate_circles_but_relu_can(result):
    assert 0.35 <= result.findings["accuracy.linear"] <= 0.65
    assert 0.35 <= result.findings["train_accuracy.linear"] <= 0.65
    assert result.findings["accuracy.relu"] > 0.9
    assert result.findings["train_accuracy.relu"] > 0.9


def test_the_linear_boundary_is_a_straight_line(result):
    grid = result.frames["grid"]
    linear = grid[grid.model == "linear"]
    logit = np.log(linear.probability / (1 - linear.probability))
    design = np.column_stack([linear.x1, linear.x2, np.ones(len(linear))])
    coefficients, *_ = np.linalg.lstsq(design, logit, rcond=None)
    assert np.abs(design @ coefficients - logit).max() < 1e-3
    # The ReLU network's log-odds are far from any plane (a closed boundary).
    relu = grid[grid.model == "relu"]
    p = relu.probability.clip(1e-6, 1 - 1e-6)
    logit = np.log(p / (1 - p))
    coefficients, *_ = np.linalg.lstsq(design, logit, rcond=None)
    assert np.abs(design @ coefficients - logit).max() > 1.0


def test_frames(result):
    grid = result.frames["grid"]
    assert list(grid.columns) == ["model", "x1", "x2", "probability"]
    assert len(grid) == 2 * 41 * 41
    collapsed = result.frames["collapsed"]
    assert set(collapsed.term) == {"w1", "w2", "b"}
    history = result.frames["history"]
    assert set(history.split) == {"train", "validation"}
    assert history.epoch.min() == 0 and history.epoch.max() == result.params["epochs"]
    points = result.frames["points"]
    assert len(points) == result.params["samples"]


def test_summary_states_the_measured_numbers(result):
    assert "ReLU" in result.summary and "%" in result.summary and "e-" in result.summary
