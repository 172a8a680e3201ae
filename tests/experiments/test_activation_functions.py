"""The claims of the activation-function experiment (default preset; no randomness involved)."""

import numpy as np
import pytest

from studykit import experiments


@pytest.fixture(scope="module")
def result():
    return experiments.run("activation_functions", preset="default")


def _curve(result, activation, kind):
    curves = result.frames["curves"]
    rows = curves[(curves.activation == activation) & (curves.kind == kind)].sort_values("x")
    return rows["x"].to_numpy(), rows["y"].to_numpy()


def test_sigmoid_derivative_peaks_at_a_quarter_and_tanh_at_one(result):
    assert result.findings["max_derivative.sigmoid"] == pytest.approx(0.25, abs=1e-6)
    assert result.findings["max_derivative.tanh"] == pytest.approx(1.0, abs=1e-6)
    for name in ("relu", "leaky_relu", "elu"):
        assert result.findings[f"max_derivative.{name}"] == pytest.approx(1.0, abs=1e-6)
    x, d = _curve(result, "sigmoid", "derivative")
    assert x[np.argmax(d)] == 0.0


def test_relu_subgradient_at_zero_is_zero_like_keras_and_tensorflow(result):
    # Not differentiable at 0: the frameworks pick 0 (TF and JAX alike).
    assert result.findings["derivative_at_zero.relu"] == 0.0
    x, d = _curve(result, "relu", "derivative")
    assert set(d[x < 0]) == {0.0} and set(d[x > 0]) == {1.0}


def test_autodiff_derivatives_match_the_formulas(result):
    x, d = _curve(result, "sigmoid", "derivative")
    s = 1 / (1 + np.exp(-x))
    np.testing.assert_allclose(d, s * (1 - s), atol=1e-6)
    x, d = _curve(result, "tanh", "derivative")
    np.testing.assert_allclose(d, 1 - np.tanh(x) ** 2, atol=1e-6)
    x, d = _curve(result, "elu", "derivative")
    np.testing.assert_allclose(d[x != 0], np.where(x > 0, 1.0, np.exp(x))[x != 0], atol=1e-6)
    x, d = _curve(result, "leaky_relu", "derivative")
    alpha = result.params["leaky_alpha"]
    np.testing.assert_allclose(d[x < 0], alpha, atol=1e-7)
    np.testing.assert_allclose(d[x > 0], 1.0)


def test_saturation_the_sigmoid_gradient_is_tiny_at_the_edges(result):
    x, d = _curve(result, "sigmoid", "derivative")
    assert d[np.abs(x) >= 5].max() < 0.01


def test_softmax_is_a_probability_distribution_in_the_order_of_the_scores(result):
    assert result.findings["softmax.sum"] == pytest.approx(1.0, abs=1e-6)
    table = result.frames["softmax"]
    assert list(table.columns) == ["index", "logit", "probability"]
    z = table["logit"].to_numpy()
    expected = np.exp(z - z.max()) / np.exp(z - z.max()).sum()
    np.testing.assert_allclose(table["probability"], expected, atol=1e-6)
    assert result.findings["softmax.max_probability"] == pytest.approx(0.659, abs=1e-3)
    # exp(102) overflows float32, yet the max-shifted softmax of z + 100 is unchanged.
    assert result.findings["softmax.shift_max_abs_diff"] < 1e-5


def test_temperature_flattens_or_sharpens_the_distribution(result):
    hot = experiments.run("activation_functions", preset="hot_softmax", activations=["relu"])
    cold = experiments.run("activation_functions", preset="cold_softmax", activations=["relu"])
    base = result.findings["softmax.max_probability"]
    assert hot.findings["softmax.max_probability"] < base < cold.findings["softmax.max_probability"]
    assert hot.findings["softmax.entropy"] > result.findings["softmax.entropy"]
    assert cold.findings["softmax.max_probability"] > 0.99
    for run in (hot, cold):
        assert run.findings["softmax.sum"] == pytest.approx(1.0, abs=1e-6)


def test_frames_are_long_format_and_include_zero(result):
    curves = result.frames["curves"]
    assert list(curves.columns) == ["activation", "x", "kind", "y"]
    assert set(curves.kind) == {"value", "derivative"}
    assert (curves.x == 0.0).any()
    assert len(curves) == 5 * 2 * result.params["points"]  # the grid already contains 0


def test_summary_states_the_numbers(result):
    assert "0.25" in result.summary and "서브그래디언트" in result.summary


def test_elementwise_derivative_of_a_per_sample_loss():
    from studykit import activations, losses
    from studykit._gradients import elementwise_derivative

    z = np.array([[-5.0], [0.0], [3.0]])
    y = np.ones((3, 1), dtype="float32")
    bce = losses.BinaryCrossEntropy(reduction=None)
    values, grads = elementwise_derivative(lambda t: bce(y, activations.sigmoid(t)), z)
    p = 1 / (1 + np.exp(-z))
    np.testing.assert_allclose(values, -np.log(p[:, 0]), rtol=1e-5)
    np.testing.assert_allclose(grads, p - 1, atol=1e-6)  # d BCE / dz = p - y
