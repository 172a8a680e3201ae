"""Activation functions from the notes, as serializable Keras functions.

Each takes a tensor and returns a tensor of the same shape, so it can be passed as
``keras.layers.Dense(..., activation=studykit.activations.relu)`` and survives
``model.save`` / ``keras.models.load_model``.

``softmax`` is here because models use it as the *output* normalizer: it turns a vector of
scores into a probability distribution (every entry in (0, 1), summing to 1). It is not a
hidden-layer activation: it couples all units of a layer, squashes all but the largest score
towards 0 and its Jacobian is dense, so it gives none of the per-unit nonlinearity a hidden
layer needs.
"""

from __future__ import annotations

import keras
from keras import ops

from studykit._checks import check_range

__all__ = ["sigmoid", "tanh", "relu", "leaky_relu", "elu", "softmax", "get", "NAMES"]

_register = keras.saving.register_keras_serializable(package="studykit")


@_register
def sigmoid(x):
    """σ(x) = 1 / (1 + e^-x); range (0, 1), derivative σ(1 - σ) is at most 0.25 (at x = 0)."""
    return ops.sigmoid(x)


@_register
def tanh(x):
    """tanh(x) = (e^x - e^-x) / (e^x + e^-x); range (-1, 1), zero-centred, derivative at most 1."""
    return ops.tanh(x)


@_register
def relu(x):
    """max(0, x). Not differentiable at 0; like Keras/TF the gradient used there is 0."""
    return ops.relu(x)


@_register
def leaky_relu(x, alpha=0.01):
    """max(alpha·x, x) for 0 <= alpha < 1.

    The notes write max(0.1x, x); 0.01 is the usual default slope (Keras' LeakyReLU
    layer defaults to 0.3, ``keras.activations.leaky_relu`` to 0.2 — any small alpha works).
    """
    check_range("alpha", alpha, 0.0, 1.0, high_inclusive=False)
    return ops.leaky_relu(x, negative_slope=alpha)


@_register
def elu(x, alpha=1.0):
    """x for x > 0, alpha·(e^x - 1) otherwise: smooth, negative outputs push the mean to 0."""
    check_range("alpha", alpha, 0.0, None, low_inclusive=False)
    return ops.elu(x, alpha=alpha)


@_register
def softmax(x, axis=-1):
    """exp(x_i - max(x)) / Σ_j exp(x_j - max(x)): subtracting the max avoids overflow.

    exp makes every score positive (a negative score still gets a small probability) and
    keeps the ranking; the result sums to 1 along ``axis``.
    """
    shifted = x - ops.stop_gradient(ops.max(x, axis=axis, keepdims=True))
    exps = ops.exp(shifted)
    return exps / ops.sum(exps, axis=axis, keepdims=True)


NAMES = ("sigmoid", "tanh", "relu", "leaky_relu", "elu")

_BY_NAME = {
    "sigmoid": sigmoid,
    "tanh": tanh,
    "relu": relu,
    "leaky_relu": leaky_relu,
    "elu": elu,
    "softmax": softmax,
}


def get(name: str):
    """Return the activation called ``name`` or raise ValueError listing the valid names."""
    try:
        return _BY_NAME[name]
    except KeyError:
        valid = ", ".join(sorted(_BY_NAME))
        raise ValueError(f"activation must be one of {valid}; got {name!r}.") from None
