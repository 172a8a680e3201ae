"""Measuring a model while it trains: the per-epoch evaluator and reading its curves.

Keras' own ``validation_data`` builds a data pipeline and traces an evaluation function for
every ``fit``; on these tiny models that costs more than the training itself. Keras'
``accuracy`` in ``History`` is also a running average over the epoch's batches in *training*
mode (dropout and augmentation on), so it cannot be compared with a validation accuracy to
measure overfitting; the book (Deep Learning from Scratch, ch. 6) also evaluates the
training set with dropout off. ``evaluator`` instead runs one traced inference call
(``traced_predict``, traced once per model and input shape) over fixed data sets before
training and after every epoch: cheap, comparable across splits, and every curve gets its
epoch-0 point.

Nothing here imports Keras at module level (the registry must stay light).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

EVALUATION_COLUMNS = ("epoch", "split", "metric", "value")


def predict(model, x: np.ndarray) -> np.ndarray:
    """Inference-mode output as numpy (one call, no batching: the data sets are small)."""
    import keras

    return keras.ops.convert_to_numpy(model(x, training=False))


_TRACED_PREDICT = "_studykit_traced_predict"


def traced_predict(model, x: np.ndarray, *, training: bool = False) -> np.ndarray:
    """``model.predict_on_batch(x)``: one traced inference call, much cheaper than eager layers
    (``training=True``: the training-mode output, dropout on, as ``model(x, training=True)``).

    On TensorFlow the traced call is a concrete function kept on the model per input shape
    and called directly: ``predict_on_batch`` goes through tf.function's argument matching
    and Keras' prediction loop on every call, about 2 ms of its 4.5 ms on these models (the
    evaluator calls it every epoch). Elsewhere it is ``predict_on_batch``.
    """
    import keras

    if keras.backend.backend() != "tensorflow":
        if training:
            return keras.ops.convert_to_numpy(model(x, training=True))
        return np.asarray(model.predict_on_batch(x))
    import tensorflow as tf

    from studykit._gradients import kept_on

    traced = kept_on(model, _TRACED_PREDICT)
    key = (x.shape, str(x.dtype), training)
    if key not in traced:
        spec = tf.TensorSpec(x.shape, x.dtype)
        call = tf.function(lambda x: model(x, training=training), autograph=False)
        traced[key] = call.get_concrete_function(spec)
    return traced[key](tf.constant(x)).numpy()


def loss_and_accuracy(
    outputs: np.ndarray, y: np.ndarray, *, from_logits: bool = False
) -> tuple[float, float]:
    """Mean cross-entropy and accuracy of model ``outputs`` against integer labels ``y``.

    ``outputs`` of shape (N, K), K > 1: class probabilities (softmax), or logits when
    ``from_logits``; sparse categorical cross-entropy. Shape (N,) or (N, 1): the probability
    (sigmoid) or logit of class 1; binary cross-entropy. Probabilities are clipped to
    [1e-7, 1]; computed in float64. (NaN, NaN) when the outputs are not finite (diverged).
    """
    outputs = np.asarray(outputs, dtype="float64")
    y = np.asarray(y).reshape(-1).astype(int)
    if not np.all(np.isfinite(outputs)):
        return math.nan, math.nan
    if outputs.ndim == 2 and outputs.shape[1] > 1:
        if from_logits:
            shifted = outputs - outputs.max(axis=1, keepdims=True)
            log_p = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
            picked = log_p[np.arange(len(y)), y]
        else:
            picked = np.log(np.clip(outputs[np.arange(len(y)), y], 1e-7, 1.0))
        return float(-np.mean(picked)), float(np.mean(np.argmax(outputs, axis=1) == y))
    scores = outputs.reshape(-1)
    if from_logits:
        # log(1 + e^-|z|) + max(z, 0) - z·y: stable for large |z|.
        losses = np.maximum(scores, 0) - scores * y + np.log1p(np.exp(-np.abs(scores)))
        predicted = scores > 0
    else:
        p = np.clip(scores, 1e-7, 1 - 1e-7)
        losses = -(y * np.log(p) + (1 - y) * np.log(1 - p))
        predicted = scores > 0.5
    return float(np.mean(losses)), float(np.mean(predicted == (y == 1)))


def evaluator(splits: dict[str, tuple[np.ndarray, np.ndarray]], *, from_logits: bool = False):
    """A Keras callback recording cross-entropy and accuracy of ``splits`` per epoch.

    ``splits`` maps a split name ("train", "validation", ...) to ``(x, y)`` with integer
    labels; the model outputs class probabilities (softmax, or one sigmoid unit), or logits
    when ``from_logits`` (see ``loss_and_accuracy``). All splits go through the model in one
    inference call. ``.records`` holds rows ``epoch`` (0 = before training), ``split``,
    ``metric`` ("loss" or "accuracy"), ``value``; NaN once the weights are no longer finite.
    ``.rows(**labels)``: the records with ``labels`` in front, for a long frame.
    """
    import keras

    names = list(splits)
    x_all = np.concatenate([splits[name][0] for name in names])
    bounds = np.cumsum([0] + [len(splits[name][1]) for name in names])

    class EpochEvaluator(keras.callbacks.Callback):
        def __init__(self):
            super().__init__()
            self.records: list[dict] = []

        def measure(self, epoch: int) -> None:
            outputs = traced_predict(self.model, x_all)
            for name, start, end in zip(names, bounds[:-1], bounds[1:], strict=True):
                loss, accuracy = loss_and_accuracy(
                    outputs[start:end], splits[name][1], from_logits=from_logits
                )
                self.records.append(
                    {"epoch": epoch, "split": name, "metric": "loss", "value": loss}
                )
                self.records.append(
                    {"epoch": epoch, "split": name, "metric": "accuracy", "value": accuracy}
                )

        def on_train_begin(self, logs=None):
            self.measure(0)

        def on_epoch_end(self, epoch, logs=None):
            self.measure(epoch + 1)

        def rows(self, **labels) -> list[dict]:
            return [{**labels, **record} for record in self.records]

    return EpochEvaluator()


def curve(rows: Sequence[dict], split: str, metric: str) -> list[float]:
    """Values of one split/metric from evaluator rows, ordered by epoch (epoch 0 first)."""
    chosen = sorted(
        (r["epoch"], r["value"]) for r in rows if r["split"] == split and r["metric"] == metric
    )
    return [value for _, value in chosen]


def final(rows: Sequence[dict], split: str, metric: str) -> float:
    """The value at the last recorded epoch (NaN if there is none)."""
    values = curve(rows, split, metric)
    return float(values[-1]) if values else math.nan


def first_epoch_reaching(values: Sequence[float], target: float, *, below: bool = False) -> float:
    """First epoch (index into an epoch-0-first curve) with value >= target (or <= if below).

    NaN when the curve never gets there.
    """
    for epoch, value in enumerate(values):
        if math.isfinite(value) and (value <= target if below else value >= target):
            return float(epoch)
    return math.nan


def rises(values: Sequence[float]) -> int:
    """Epochs after the first in which an epoch-0-first curve went up (a training loss that
    rises again means the steps are too large)."""
    return int(sum(b > a for a, b in zip(values[1:-1], values[2:], strict=False)))


def overfitting_scores(
    records, model, x_train: np.ndarray, noisy: np.ndarray, changed: np.ndarray
) -> dict[str, float]:
    """Final train/validation accuracy, their gap, and the share of corrupted labels memorized."""
    train = final(records, "train", "accuracy")
    val = final(records, "validation", "accuracy")
    return {
        "train_accuracy": train,
        "val_accuracy": val,
        "gap": train - val,
        "memorized": memorized_fraction(model, x_train, noisy, changed),
    }


def memorized_fraction(model, x: np.ndarray, noisy: np.ndarray, changed: np.ndarray) -> float:
    """Share of the corrupted training examples predicted as their *wrong* (given) label.

    ``noisy``/``changed``: the labels and mask returned by ``_data.corrupt_labels``.
    """
    if not changed.any():
        return math.nan
    predicted = np.argmax(predict(model, x[changed]), axis=1)
    return float(np.mean(predicted == noisy[changed]))
