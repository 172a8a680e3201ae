"""Helpers for the training experiments: per-epoch evaluation and reusing one traced model.

Keras' own ``validation_data`` builds a data pipeline and traces an evaluation function for
every ``fit``; on these tiny models that costs more than the training itself. ``evaluator``
instead runs one ``predict_on_batch`` (inference mode, traced once per model) over fixed
arrays before training and after every epoch: cheap, and it gives every curve its epoch-0
point.

Keras caches a model's traced train step after its first ``fit``, so an experiment that
compares initial weights (or data scalings) builds and compiles one model, then for each
variant assigns new starting weights with ``restart`` and fits again: one trace, many runs.

Nothing here imports Keras at module level (the registry must stay light).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

EVALUATION_COLUMNS = ("epoch", "split", "metric", "value")


def _cross_entropy_and_accuracy(probs: np.ndarray, y: np.ndarray) -> tuple[float, float]:
    if not np.all(np.isfinite(probs)):
        return math.nan, math.nan
    picked = probs[np.arange(len(y)), y]
    loss = float(np.mean(-np.log(np.clip(picked, 1e-7, 1.0))))
    accuracy = float(np.mean(np.argmax(probs, axis=1) == y))
    return loss, accuracy


def evaluator(splits: dict[str, tuple[np.ndarray, np.ndarray]]):
    """A Keras callback recording cross-entropy and accuracy of ``splits`` per epoch.

    ``splits`` maps a split name ("train", "validation") to ``(x, y)`` with integer labels;
    the model must end in a softmax. ``.records`` holds rows ``epoch`` (0 = before
    training), ``split``, ``metric`` ("loss" or "accuracy"), ``value``; NaN once the
    weights are no longer finite.
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
            # One traced inference call for all splits (much cheaper than eager layers).
            probs = np.asarray(self.model.predict_on_batch(x_all), dtype="float64")
            for name, start, end in zip(names, bounds[:-1], bounds[1:], strict=True):
                loss, accuracy = _cross_entropy_and_accuracy(probs[start:end], splits[name][1])
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

    return EpochEvaluator()


def curve(rows: Sequence[dict], split: str, metric: str) -> list[float]:
    """Values of one split/metric from evaluator rows, ordered by epoch (epoch 0 first)."""
    chosen = sorted(
        (r["epoch"], r["value"]) for r in rows if r["split"] == split and r["metric"] == metric
    )
    return [value for _, value in chosen]


def final(rows: Sequence[dict], split: str, metric: str) -> float:
    """The last recorded value (NaN if there is none)."""
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


def restart(model, weights: Sequence[np.ndarray], seed: int) -> None:
    """Give a compiled model new starting weights and a fresh optimizer step counter.

    Only for optimizers without slot variables (plain SGD): their only state is the step
    counter. Re-seeds Keras so that every run shuffles the batches in the same order.
    """
    import keras

    keras.utils.set_random_seed(seed)
    model.set_weights(list(weights))
    model.optimizer.iterations.assign(0)
