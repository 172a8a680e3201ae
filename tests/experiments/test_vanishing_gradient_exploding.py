"""The exploding-gradient claim of vanishing_gradient (preset "exploding": N(0, 1) weights)."""

import math

import numpy as np
import pytest

from studykit import experiments


@pytest.fixture(scope="module")
def result():
    return experiments.run("vanishing_gradient", preset="exploding")


def test_tanh_gradients_grow_towards_the_input(result):
    assert result.params["initializer"] == "normal_1"
    assert result.findings["first_to_last_grad_ratio.tanh"] > 10
    grads = result.frames["gradients"]
    at_init = grads[(grads.activation == "tanh") & (grads.epoch == 0)].sort_values("layer")
    hidden = at_init["grad_norm"].to_numpy()[: result.params["depth"]]
    growth = hidden[:-1] / hidden[1:]  # layer l vs layer l + 1
    assert np.mean(growth > 1) >= 0.7
    assert any("기울기 폭주" in w and "tanh" in w for w in result.warnings)


def test_relu_with_large_weights_diverges_and_is_reported_not_crashed(result):
    assert result.findings["diverged.relu"] == 1.0
    assert math.isnan(result.findings["final_loss.relu"])
    assert any("ReLU" in w and "발산" in w for w in result.warnings)
    # The kernel-gradient ratio stays near 1 for ReLU: the forward activations grow as fast
    # as the backward signal, and a kernel gradient is their product.
    assert 0.05 < result.findings["first_to_last_grad_ratio.relu"] < 20
    assert "발산" in result.summary


def test_tanh_still_trains(result):
    assert result.findings["diverged.tanh"] == 0.0
    assert math.isfinite(result.findings["final_loss.tanh"])
