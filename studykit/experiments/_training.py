"""Helpers the experiments share: building small models and turning Keras logs into tidy rows."""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

# Names exposed in parameter forms. They must stay keras-free to import, so they are listed
# here; tests check they match studykit.activations.NAMES and studykit.initializers.NAMES.
ACTIVATIONS = ("sigmoid", "tanh", "relu", "leaky_relu", "elu")
INITIALIZERS = (
    "normal_1",
    "normal_0.01",
    "lecun_uniform",
    "lecun_normal",
    "glorot_uniform",
    "glorot_normal",
    "he_uniform",
    "he_normal",
    "zeros",
)
RELU_FAMILY = ("relu", "leaky_relu", "elu")


def default_initializer(activation: str) -> str:
    """He for the ReLU family, Glorot (Xavier) for sigmoid/tanh: the usual pairing."""
    return "he_normal" if activation in RELU_FAMILY else "glorot_uniform"


def build_mlp(
    n_inputs: int,
    n_outputs: int,
    hidden: Sequence[int],
    activation: str,
    initializer: str,
    seed: int,
):
    """A Sequential MLP of ``hidden`` Dense layers (studykit activations/initializers) + softmax.

    Each layer's initializer gets its own seed derived from ``seed``, so the weights depend
    only on the arguments.
    """
    import keras

    from studykit import activations, initializers

    layers = [keras.Input((n_inputs,))]
    for index, units in enumerate(hidden):
        layers.append(
            keras.layers.Dense(
                units,
                activation=activations.get(activation),
                kernel_initializer=initializers.get(initializer, seed=seed + index),
                name=f"hidden_{index + 1}",
            )
        )
    layers.append(
        keras.layers.Dense(
            n_outputs,
            activation="softmax",
            kernel_initializer=initializers.get("glorot_uniform", seed=seed + len(hidden)),
            name="output",
        )
    )
    return keras.Sequential(layers)


def history_rows(history: dict[str, list[float]], **labels) -> list[dict]:
    """Keras ``History.history`` as long rows: epoch, split, metric, value (+ labels)."""
    rows = []
    for key, values in history.items():
        split = "validation" if key.startswith("val_") else "train"
        metric = key.removeprefix("val_")
        for epoch, value in enumerate(values, start=1):
            rows.append(
                {**labels, "epoch": epoch, "split": split, "metric": metric, "value": float(value)}
            )
    return rows


def frame(rows: list[dict], columns: Sequence[str]) -> pd.DataFrame:
    """A DataFrame with the given columns even when there are no rows."""
    return pd.DataFrame(rows, columns=list(columns))
