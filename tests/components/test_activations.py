"""Activations equal Keras' built-ins; autodiff derivatives match the closed forms."""

import keras
import numpy as np
import pytest

from studykit import activations
from studykit._gradients import elementwise_derivative

X = np.random.default_rng(0).normal(scale=4.0, size=2000).astype("float32")


def sig(x):
    return 1 / (1 + np.exp(-x))


CASES = {
    "sigmoid": (activations.sigmoid, keras.activations.sigmoid, lambda x: sig(x) * (1 - sig(x))),
    "tanh": (activations.tanh, keras.activations.tanh, lambda x: 1 - np.tanh(x) ** 2),
    "relu": (activations.relu, keras.activations.relu, lambda x: (x > 0).astype("float32")),
    "leaky_relu": (
        activations.leaky_relu,
        lambda x: keras.activations.leaky_relu(x, negative_slope=0.01),
        lambda x: np.where(x > 0, 1.0, 0.01),
    ),
    "elu": (activations.elu, keras.activations.elu, lambda x: np.where(x > 0, 1.0, np.exp(x))),
}


@pytest.mark.parametrize("name", CASES)
def test_matches_keras_builtin(name):
    ours, theirs, _ = CASES[name]
    np.testing.assert_allclose(
        keras.ops.convert_to_numpy(ours(X)), keras.ops.convert_to_numpy(theirs(X)), atol=1e-6
    )


@pytest.mark.parametrize("name", CASES)
def test_autodiff_derivative_matches_closed_form(name):
    ours, _, derivative = CASES[name]
    _, grad = elementwise_derivative(ours, X)
    np.testing.assert_allclose(grad, derivative(X), atol=1e-5)


def test_derivative_maxima_and_relu_subgradient_at_zero():
    grid = np.linspace(-6, 6, 1201).astype("float32")
    assert elementwise_derivative(activations.sigmoid, grid)[1].max() == pytest.approx(0.25)
    assert elementwise_derivative(activations.tanh, grid)[1].max() == pytest.approx(1.0)
    assert elementwise_derivative(activations.relu, np.zeros(1))[1][0] == 0.0


def test_softmax_is_stable_and_matches_keras():
    logits = np.array([[1000.0, 1001.0, 999.0], [-1e4, 0.0, 1e4]], dtype="float32")
    probs = keras.ops.convert_to_numpy(activations.softmax(logits))
    assert np.isfinite(probs).all()
    np.testing.assert_allclose(probs.sum(axis=-1), 1.0, atol=1e-6)
    z = np.random.default_rng(1).normal(size=(4, 7)).astype("float32")
    np.testing.assert_allclose(
        keras.ops.convert_to_numpy(activations.softmax(z)),
        keras.ops.convert_to_numpy(keras.activations.softmax(z)),
        atol=1e-6,
    )


def test_invalid_alpha_names_the_argument():
    with pytest.raises(ValueError, match=r"alpha must be in \[0, 1\)"):
        activations.leaky_relu(X, alpha=1.5)
    with pytest.raises(ValueError, match="alpha"):
        activations.elu(X, alpha=-1)
    with pytest.raises(ValueError, match="activation must be one of"):
        activations.get("swish")


def test_model_with_studykit_activations_saves_and_loads(tmp_path):
    model = keras.Sequential(
        [keras.Input((3,))]
        + [keras.layers.Dense(4, activation=activations.get(n)) for n in activations.NAMES]
        + [keras.layers.Dense(2, activation=activations.softmax)]
    )
    x = np.random.default_rng(2).normal(size=(5, 3)).astype("float32")
    path = tmp_path / "m.keras"
    model.save(path)
    loaded = keras.models.load_model(path, safe_mode=True)
    np.testing.assert_allclose(loaded.predict(x, verbose=0), model.predict(x, verbose=0))
