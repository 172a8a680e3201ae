"""The claims of the backprop experiment: the hand-made chain rule equals autodiff."""

import itertools

import numpy as np
import pytest

from studykit import experiments


@pytest.fixture(scope="module")
def result():
    return experiments.run("backprop", preset="default")


def test_chain_rule_agrees_with_autodiff_to_1e_6(result):
    assert result.findings["max_abs_diff"] < 1e-6
    gradients = result.frames["gradients"]
    assert len(gradients) == 2 * 2 + 2 + 2 + 1  # W1, b1, W2, b2
    np.testing.assert_allclose(gradients.chain_rule, gradients.autodiff, atol=1e-6)


def test_every_row_is_local_times_upstream_and_feeds_the_next(result):
    backward = result.frames["backward"]
    assert list(backward.columns) == [
        "step",
        "node",
        "expression",
        "local",
        "upstream",
        "downstream",
    ]
    np.testing.assert_allclose(backward.downstream, backward.local * backward.upstream)
    by_node = backward.set_index("node")
    assert by_node.loc["y_hat", "upstream"] == 1.0  # dL/dL
    assert by_node.loc["z2", "upstream"] == by_node.loc["y_hat", "downstream"]
    for j in (1, 2):
        assert by_node.loc[f"h[{j}]", "upstream"] == by_node.loc["z2", "downstream"]
        assert by_node.loc[f"z1[{j}]", "upstream"] == by_node.loc[f"h[{j}]", "downstream"]
        assert by_node.loc[f"W1[1,{j}]", "upstream"] == by_node.loc[f"z1[{j}]", "downstream"]
    forward = result.frames["forward"].set_index("node")["value"]
    # dz1/dW1[i,j] = x[i]; dz2/dW2[j] = h[j]
    assert by_node.loc["W1[2,1]", "local"] == forward["x[2]"]
    assert by_node.loc["W2[1]", "local"] == forward["h[1]"]
    assert forward["L"] == pytest.approx(result.findings["loss"])


def test_output_delta_mse_vs_bce(result):
    y_hat, residual = result.findings["prediction"], result.findings["residual"]
    expected = 2 * residual * y_hat * (1 - y_hat)  # MSE: sigma' stays in the product
    assert result.findings["output_delta"] == pytest.approx(expected, rel=1e-12)
    bce = experiments.run("backprop", preset="bce")
    # BCE: sigma' cancels and the delta is exactly y_hat - y.
    assert bce.findings["output_delta"] == pytest.approx(bce.findings["residual"], abs=1e-12)
    assert abs(bce.findings["output_delta"]) > abs(result.findings["output_delta"])


@pytest.mark.parametrize(
    "activation,loss", list(itertools.product(["sigmoid", "relu", "tanh"], ["mse", "bce"]))
)
def test_agreement_for_every_activation_and_loss(activation, loss):
    run = experiments.run(
        "backprop", inputs=[0.5, -1.5, 2.0], hidden_units=3, activation=activation, loss=loss
    )
    assert run.findings["max_abs_diff"] < 1e-6
    assert run.findings["grad_norm"] > 1e-3  # a real gradient, not zeros
    assert not run.warnings


def test_relu_blocks_the_gradient_of_inactive_units():
    run = experiments.run("backprop", preset="relu")
    backward = run.frames["backward"]
    forward = run.frames["forward"].set_index("node")["value"]
    for j in (1, 2):
        local = backward.set_index("node").loc[f"z1[{j}]", "local"]
        assert local == (1.0 if forward[f"z1[{j}]"] > 0 else 0.0)
    assert run.findings["max_abs_diff"] < 1e-6


def test_summary_states_the_difference(result):
    assert "연쇄 법칙" in result.summary and "e-" in result.summary
