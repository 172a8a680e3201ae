"""Callbacks that record what the experiments show, as tidy rows (one dict per measurement).

They only observe: none of them changes training, except ``DivergenceGuard``, which stops it.
Callbacks are not part of a saved model, so unlike the other components they are not
registered for serialization.
Each keeps its rows in ``.records`` (a list of dicts) so ``pandas.DataFrame(cb.records)``
gives a long-format table.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import keras
import numpy as np

from studykit._gradients import loss_and_gradients, traced_loss_and_gradients

__all__ = [
    "GradientNormLogger",
    "ActivationStatsLogger",
    "DeadUnitMonitor",
    "LearningRateLogger",
    "ProgressCallback",
    "DivergenceGuard",
]

ProgressFn = Callable[[float, str], None]


def _weighted_layers(model: keras.Model) -> list[keras.layers.Layer]:
    """Layers that own a kernel (Dense, Conv, Maxout...), in model order."""
    return [layer for layer in model.layers if getattr(layer, "kernel", None) is not None]


def _activation_name(layer: keras.layers.Layer) -> str:
    activation = getattr(layer, "activation", None)
    return getattr(activation, "__name__", "linear") if activation is not None else "linear"


class _ProbeCallback(keras.callbacks.Callback):
    """Measures a fixed probe batch before training (epoch 0) and every ``every`` epochs."""

    def __init__(self, every: int = 1):
        super().__init__()
        if every < 1:
            raise ValueError(f"every must be >= 1, got {every!r}.")
        self.every = every
        self.records: list[dict] = []

    def measure(self, epoch: int) -> None:
        raise NotImplementedError

    def on_train_begin(self, logs=None):
        self.measure(0)

    def on_epoch_end(self, epoch, logs=None):
        if (epoch + 1) % self.every == 0:
            self.measure(epoch + 1)


def _tf_strategy_scope():
    """The ``tf.distribute`` strategy whose scope the caller is in (cross-replica), else None.

    ``model.fit`` called inside ``with strategy.scope():`` runs the callbacks there.
    """
    if keras.backend.backend() != "tensorflow":
        return None
    import tensorflow as tf  # only reached on the TensorFlow backend, already imported

    if not tf.distribute.has_strategy() or not tf.distribute.in_cross_replica_context():
        return None
    return tf.distribute.get_strategy()


# Reductions for which Keras divides a loss by the number of replicas inside a replica
# (keras.losses.Loss: each replica's share of the mean over the global batch).
_PER_REPLICA_SHARE = ("sum_over_batch_size", "mean", "mean_with_sample_weight")


def _probe_gradients(model, x, y, loss_fn):
    """Loss gradients on the whole probe batch, also inside a ``tf.distribute`` scope.

    TensorFlow refuses a GradientTape over distributed variables in the cross-replica
    context of a strategy's scope. There, every replica computes the gradient of the whole
    probe batch in one ``strategy.run`` (all get the same: the variables are mirrored; the
    first replica's copy is the one the model reads and saves) and the first is kept. Inside
    a replica a ``keras.losses.Loss`` with a mean reduction is divided by the number of
    replicas, so it is multiplied back here: the norms equal the one-device ones.
    Elsewhere (one device, outside the scope, JAX's ``keras.distribution``) the plain
    computation already gives them.
    """
    strategy = _tf_strategy_scope()
    if strategy is None:
        return traced_loss_and_gradients(model, x, y, loss_fn)[1]
    factor = 1.0
    if isinstance(loss_fn, keras.losses.Loss) and loss_fn.reduction in _PER_REPLICA_SHARE:
        factor = float(strategy.num_replicas_in_sync)

    def one_replica():
        return loss_and_gradients(model, x, y, lambda t, p: loss_fn(t, p) * factor)[1]

    per_replica = strategy.run(one_replica)
    return [strategy.experimental_local_results(grad)[0] for grad in per_replica]


class GradientNormLogger(_ProbeCallback):
    """L2 norm of the loss gradient w.r.t. each layer's kernel, on a probe batch.

    Rows: ``epoch`` (0 = before training), ``layer`` (1 = first weighted layer), ``name``,
    ``grad_norm``. ``loss`` defaults to the model's compiled loss.

    The norms are those of the whole probe batch on one device, also when ``fit`` runs
    under ``tf.distribute`` (inside or outside ``strategy.scope()``) or JAX's
    ``keras.distribution``.
    """

    def __init__(self, x, y, loss=None, every: int = 1):
        super().__init__(every)
        self.x, self.y, self.loss = x, y, loss

    def measure(self, epoch):
        loss_fn = keras.losses.get(self.loss or self.model.loss)
        grads = _probe_gradients(self.model, self.x, self.y, loss_fn)
        grad_of = {id(v): g for v, g in zip(self.model.trainable_variables, grads, strict=True)}
        for index, layer in enumerate(_weighted_layers(self.model), start=1):
            grad = grad_of[id(layer.kernel)]
            norm = float(np.linalg.norm(keras.ops.convert_to_numpy(grad)))
            self.records.append(
                {"epoch": epoch, "layer": index, "name": layer.name, "grad_norm": norm}
            )


def _saturated_fraction(values: np.ndarray, activation: str, margin: float) -> float:
    if activation == "sigmoid":
        return float(np.mean((values < margin) | (values > 1.0 - margin)))
    if activation == "tanh":
        return float(np.mean(np.abs(values) > 1.0 - margin))
    return math.nan


def _histogram_range(values: np.ndarray, activation: str) -> tuple[float, float]:
    if activation == "sigmoid":
        return 0.0, 1.0
    if activation == "tanh":
        return -1.0, 1.0
    low, high = float(values.min()), float(values.max())
    return (low, high) if high > low else (low - 0.5, high + 0.5)


class _LayerOutputs:
    """Outputs of chosen layers on a probe batch; the probe model is built once."""

    def __init__(self, model: keras.Model, layers: list[keras.layers.Layer]):
        inputs = model.inputs[0] if len(model.inputs) == 1 else model.inputs
        self.probe = keras.Model(inputs, [layer.output for layer in layers])

    def __call__(self, x) -> list[np.ndarray]:
        outputs = self.probe(x, training=False)
        if not isinstance(outputs, list | tuple):
            outputs = [outputs]
        return [keras.ops.convert_to_numpy(out) for out in outputs]


class ActivationStatsLogger(_ProbeCallback):
    """Per-layer statistics of the activations on a probe batch.

    ``records`` rows: epoch, layer, name, activation, mean, std, saturated_fraction (sigmoid:
    outputs within ``margin`` of 0 or 1; tanh: within ``margin`` of ±1; NaN for others).
    ``histograms`` rows: epoch, layer, bin_start, bin_end, count.
    """

    def __init__(self, x, bins: int = 30, margin: float = 0.05, every: int = 1):
        super().__init__(every)
        if not 2 <= bins <= 200:
            raise ValueError(f"bins must be in [2, 200], got {bins!r}.")
        if not 0.0 < margin < 0.5:
            raise ValueError(f"margin must be in (0, 0.5), got {margin!r}.")
        self.x, self.bins, self.margin = x, bins, margin
        self.histograms: list[dict] = []

    def on_train_begin(self, logs=None):
        self._layers = _weighted_layers(self.model)
        self._outputs = _LayerOutputs(self.model, self._layers)
        super().on_train_begin(logs)

    def measure(self, epoch):
        for index, (layer, values) in enumerate(
            zip(self._layers, self._outputs(self.x), strict=True), start=1
        ):
            activation = _activation_name(layer)
            self.records.append(
                {
                    "epoch": epoch,
                    "layer": index,
                    "name": layer.name,
                    "activation": activation,
                    "mean": float(values.mean()),
                    "std": float(values.std()),
                    "saturated_fraction": _saturated_fraction(values, activation, self.margin),
                }
            )
            counts, edges = np.histogram(
                values, bins=self.bins, range=_histogram_range(values, activation)
            )
            for count, start, end in zip(counts, edges[:-1], edges[1:], strict=True):
                self.histograms.append(
                    {
                        "epoch": epoch,
                        "layer": index,
                        "bin_start": float(start),
                        "bin_end": float(end),
                        "count": int(count),
                    }
                )


class DeadUnitMonitor(_ProbeCallback):
    """Share of units in each ReLU-family layer that output <= 0 for every probe example."""

    def __init__(self, x, every: int = 1):
        super().__init__(every)
        self.x = x

    def on_train_begin(self, logs=None):
        self._layers = [
            layer for layer in _weighted_layers(self.model) if "relu" in _activation_name(layer)
        ]
        self._outputs = _LayerOutputs(self.model, self._layers) if self._layers else None
        super().on_train_begin(logs)

    def measure(self, epoch):
        if self._outputs is None:
            return
        for layer, values in zip(self._layers, self._outputs(self.x), strict=True):
            units = values.reshape(-1, values.shape[-1])
            dead = float(np.mean(np.all(units <= 0.0, axis=0)))
            self.records.append({"epoch": epoch, "name": layer.name, "dead_fraction": dead})


class LearningRateLogger(keras.callbacks.Callback):
    """The optimizer's learning rate at the end of each epoch (schedules are evaluated)."""

    def __init__(self):
        super().__init__()
        self.records: list[dict] = []

    def on_epoch_end(self, epoch, logs=None):
        lr = keras.ops.convert_to_numpy(self.model.optimizer.learning_rate)
        self.records.append({"epoch": epoch + 1, "learning_rate": float(lr)})


class ProgressCallback(keras.callbacks.Callback):
    """Calls ``on_progress(fraction, message)`` after every epoch (fraction in (0, 1]).

    The UI passes a function that moves a progress bar; the core never imports streamlit.
    ``start``/``span`` map this run onto a slice of a larger progress bar when an
    experiment trains several models one after the other.
    """

    def __init__(self, on_progress: ProgressFn, label: str = "", start=0.0, span=1.0):
        super().__init__()
        self.on_progress, self.label = on_progress, label
        self.start, self.span = start, span

    def on_epoch_end(self, epoch, logs=None):
        epochs = self.params.get("epochs") or (epoch + 1)
        fraction = self.start + self.span * (epoch + 1) / epochs
        loss = (logs or {}).get("loss")
        loss_text = f", 손실(loss) {loss:.4f}" if loss is not None else ""
        prefix = f"{self.label} " if self.label else ""
        self.on_progress(min(fraction, 1.0), f"{prefix}에폭(epoch) {epoch + 1}/{epochs}{loss_text}")


class DivergenceGuard(keras.callbacks.Callback):
    """Stops training when the loss becomes NaN/inf (or exceeds ``max_loss``).

    After training, ``diverged`` tells whether it fired and ``epoch``/``batch``/``reason``
    say where and why, so an experiment can report divergence instead of crashing.
    """

    def __init__(self, max_loss: float = math.inf):
        super().__init__()
        if not max_loss > 0:
            raise ValueError(f"max_loss must be > 0, got {max_loss!r}.")
        self.max_loss = max_loss
        self.diverged = False
        self.epoch: int | None = None
        self.batch: int | None = None
        self.reason = ""
        self._current_epoch = 0

    def on_epoch_begin(self, epoch, logs=None):
        self._current_epoch = epoch

    def on_train_batch_end(self, batch, logs=None):
        loss = (logs or {}).get("loss")
        if loss is None or self.diverged:
            return
        loss = float(loss)
        if not math.isfinite(loss):
            self._stop(batch, f"loss is {loss}")
        elif loss > self.max_loss:
            self._stop(batch, f"loss {loss:.4g} exceeded max_loss {self.max_loss:.4g}")

    def _stop(self, batch, reason):
        self.diverged, self.reason = True, reason
        self.epoch, self.batch = self._current_epoch, batch
        self.model.stop_training = True
