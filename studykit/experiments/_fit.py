"""The one training helper: ``fit`` a compiled model, measure it every epoch, report progress.

``fit(model, x, y, epochs=..., batch_size=..., seed=..., shuffle=..., progress=...)`` is
``model.fit`` plus what every experiment needs:

- ``shuffle`` says how the mini-batches are drawn. ``"numpy"``: from ``batches`` (one
  numpy Generator seeded with ``seed``, reshuffled every epoch), so Keras builds its input
  pipeline once per fit. ``"keras"``: the order ``model.fit`` itself shuffles arrays in,
  from Keras' global seed (``_models.set_random_seed(seed)`` before building the model,
  or ``_models.restart``): one permutation, repeated every epoch (``keras_order``). The
  experiments whose numbers were calibrated with it keep it. ``False``: in order.
- ``measure``: data sets ({"train": (x, y), "validation": (x, y)}) measured in inference
  mode before training and after every epoch (``_measure.evaluator``); ``validation``:
  Keras' own ``validation_data`` instead (its ``val_*`` in the history).
- A DivergenceGuard stops a run whose loss turns NaN/inf or exceeds ``max_loss``
  (``guard=False``: none).
- ``progress``: a ``base.Progress`` slice; every epoch reports "label · 에폭 e/E · 손실 …",
  sends the epoch's curve points, and raises ``base.Cancelled`` when the learner cancels.

Speed without changing a number: one call into the traced step runs a whole epoch
(``steps_per_execution``), so Keras calls the Python callbacks once per epoch instead of
once per batch. Each step is the same traced computation, so the weights come out the same.
The divergence check then sees a whole epoch at once; when it fires, ``fit`` restores the
starting state and trains again one batch per call, so that training stops at the same
batch as it always did. ``per_batch=True`` (for callbacks that read every batch's logs)
keeps one batch per call.

Nothing here imports Keras at module level (the registry must stay light).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from studykit.experiments._models import set_random_seed
from studykit.experiments.base import Progress


@dataclass
class Fitted:
    """What ``fit`` measured: the evaluator (or None), the guard, and Keras' history dict.

    ``scores.records``: inference-mode rows (epoch, split, metric, value), epoch 0 first;
    ``history``: Keras' ``History.history`` (training-mode running means, ``val_*``).
    """

    scores: Any
    guard: Any
    history: dict[str, list[float]] = field(default_factory=dict)

    @property
    def diverged(self) -> bool:
        return bool(self.guard is not None and self.guard.diverged)


def batches(x, y, batch_size: int, seed: int):
    """Endless mini-batches, reshuffled every epoch by a numpy Generator seeded with ``seed``."""
    rng = np.random.default_rng(seed)
    while True:
        order = rng.permutation(len(x))
        for start in range(0, len(x), batch_size):
            index = order[start : start + batch_size]
            yield x[index], y[index]


def keras_batches(x, y, batch_size: int, epochs: int):
    """The batches ``model.fit(x, y, shuffle=True)`` trains on (TensorFlow), for ``epochs``
    epochs, as one tf.data pipeline: one iterator for the whole fit instead of one per epoch.
    """
    order = keras_order(len(x), batch_size)
    return _indexed_batches(x, y, [order] * epochs, batch_size, static=True)


def numpy_batches(x, y, batch_size: int, seed: int, epochs: int):
    """The batches of ``batches(x, y, batch_size, seed)`` for ``epochs`` epochs, as one
    tf.data pipeline (TensorFlow). The same rows in the same order, but the traced step
    reads them from tensors instead of calling back into a Python generator for every
    batch (that call cost more than the step itself on these small models)."""
    rng = np.random.default_rng(seed)
    orders = [rng.permutation(len(x)) for _ in range(epochs)]
    return _indexed_batches(x, y, orders, batch_size, static=False)


def _indexed_batches(x, y, orders: list[np.ndarray], batch_size: int, *, static: bool):
    """``x[index], y[index]`` for consecutive ``batch_size`` slices of each order in turn.

    Each batch is a ``tf.gather`` of the arrays, as in Keras' own array pipeline, so even
    batch normalization's reductions (which can depend on how the batch sits in memory) see
    the same tensors. ``static``: batches of a known size when every batch is full, as
    Keras' array batches are (a traced step with a known batch size computes means in a
    different, equally exact way); otherwise of unknown size, as a generator's batches are,
    so that the numbers stay those of the generator.
    """
    import tensorflow as tf

    n = len(orders[0])
    x, y = tf.constant(x), tf.constant(y)
    if static and n % batch_size == 0:
        rows = tf.constant(np.concatenate(orders).reshape(-1, batch_size))
        return (
            tf.data.Dataset.from_tensor_slices(rows)
            .map(lambda index: (tf.gather(x, index, axis=0), tf.gather(y, index, axis=0)))
            .prefetch(tf.data.AUTOTUNE)
        )
    flat = tf.constant(np.concatenate(orders))
    starts = list(range(0, n, batch_size))
    begin = tf.constant(
        [epoch * n + s for epoch in range(len(orders)) for s in starts], dtype="int64"
    )
    size = tf.constant([min(batch_size, n - s) for s in starts] * len(orders), dtype="int64")

    def batch(step):
        index = flat[begin[step] : begin[step] + size[step]]
        return tf.gather(x, index, axis=0), tf.gather(y, index, axis=0)

    return tf.data.Dataset.range(len(starts) * len(orders)).map(batch).prefetch(tf.data.AUTOTUNE)


_ORDERS: dict[tuple, np.ndarray] = {}


def keras_order(n: int, batch_size: int) -> np.ndarray:
    """The order in which ``model.fit(x, y, shuffle=True)`` on TensorFlow draws n samples.

    Keras shuffles the indices inside its tf.data pipeline with an op seeded from the
    global seed (``keras.utils.set_random_seed``), and builds that pipeline's iterator anew
    every epoch, so every epoch repeats one permutation. It is read once from Keras' own
    array adapter and remembered per (n, batch size, global seed); ``keras_batches`` then
    feeds the same batches through one pipeline per fit instead of one iterator per epoch.
    """
    from keras.src.trainers.data_adapters.array_data_adapter import ArrayDataAdapter
    from tensorflow.python.eager import context

    key = (n, batch_size, context.global_seed())
    if key not in _ORDERS:
        indices = np.arange(n, dtype="int64")
        adapter = ArrayDataAdapter(indices, indices, batch_size=batch_size, shuffle=True)
        order = [np.asarray(b[1]) for b in adapter.get_tf_dataset()]
        _ORDERS[key] = np.concatenate(order)
        if len(_ORDERS) > 256:
            _ORDERS.pop(next(iter(_ORDERS)))
    return _ORDERS[key]


def fit(
    model,
    x,
    y,
    *,
    epochs: int,
    batch_size: int,
    seed: int,
    shuffle: str | bool = "numpy",
    progress: Progress | None = None,
    measure: dict[str, tuple[np.ndarray, np.ndarray]] | None = None,
    from_logits: bool = False,
    validation: tuple[np.ndarray, np.ndarray] | None = None,
    guard: bool = True,
    max_loss: float = math.inf,
    per_batch: bool = False,
    callbacks: Sequence = (),
) -> Fitted:
    """Train ``model`` (compiled) on (x, y) for ``epochs``; see the module docstring.

    ``callbacks`` run after the evaluator, the guard and the progress report; like the
    studykit callbacks they keep their rows in ``.records`` (emptied if ``fit`` retrains).
    """
    import keras

    from studykit import callbacks as studykit_callbacks
    from studykit.experiments._measure import evaluator

    steps = -(-len(x) // batch_size)
    progress = progress or Progress()
    progress(0.0, f"{progress.label} · 준비 중" if progress.label else "준비 중")
    fast = not per_batch and steps > 1
    start = _starting_state() if fast and guard else None
    if keras.backend.backend() == "tensorflow" and model.train_function is None:
        _build_metrics(model, x[:batch_size], y[:batch_size])

    def attempt(steps_per_call: int, quiet: bool) -> Fitted:
        _set_steps_per_execution(model, steps_per_call)
        scores = evaluator(measure, from_logits=from_logits) if measure else None
        stop = studykit_callbacks.DivergenceGuard(max_loss) if guard else None
        report = _epoch_report(progress, epochs, scores, quiet)
        on_tensorflow = keras.backend.backend() == "tensorflow"
        if shuffle == "numpy" and on_tensorflow:
            data = {
                "x": numpy_batches(x, y, batch_size, seed, epochs),
                "steps_per_epoch": steps,
                "shuffle": False,  # in the generator's order
            }
        elif shuffle == "numpy":
            data = {
                "x": batches(x, y, batch_size, seed),
                "steps_per_epoch": steps,
                "shuffle": False,  # the generator shuffles
            }
        elif shuffle == "keras" and on_tensorflow:
            data = {
                "x": keras_batches(x, y, batch_size, epochs),
                "steps_per_epoch": steps,
                "shuffle": False,  # in Keras' own order
            }
        else:
            data = {"x": x, "y": y, "batch_size": batch_size, "shuffle": bool(shuffle)}
        history = model.fit(
            **data,
            epochs=epochs,
            verbose=0,
            validation_data=validation,
            callbacks=[c for c in (start, scores, stop, report, *callbacks) if c is not None],
        )
        return Fitted(scores, stop, history.history)

    fitted = attempt(steps if fast else 1, quiet=False)
    if fast and fitted.diverged:
        # The guard saw a whole epoch at once. Train again from the same start, one batch per
        # call, so that training stops at the batch where the loss first became NaN/inf.
        start.restore(model)
        set_random_seed(seed)
        for callback in callbacks:
            for rows in ("records", "histograms"):
                if isinstance(getattr(callback, rows, None), list):
                    getattr(callback, rows).clear()
        start = None
        fitted = attempt(1, quiet=True)
    return fitted


def _build_metrics(model, x, y) -> None:
    """Create the compiled loss' and metrics' variables now, on one batch, and reset them.

    Without a ``tf.distribute`` strategy Keras creates them inside the first trace of the
    train step, and a ``tf.function`` that created variables is traced a second time (without
    creating any): about half a second per model on a 2-core CPU.
    """
    y_pred = model(x, training=False)
    model.compute_loss(x=x, y=y, y_pred=y_pred, training=False)
    model.compute_metrics(x, y, y_pred, sample_weight=None)
    model.reset_metrics()


def _set_steps_per_execution(model, steps: int) -> None:
    """Run ``steps`` batches per call into the traced step (retraces only when it changes)."""
    if model.steps_per_execution != steps:
        model.steps_per_execution = steps
        model.train_function = None
        model.test_function = None


def _starting_state():
    """A callback that copies the model's and optimizer's variables when training begins;
    ``restore(model)`` starts the same run again.

    Keras builds an optimizer's slot variables (momentum, Adam's moments) and the metrics'
    variables at the first training step, after ``on_train_begin``; the optimizer is built
    here first (as Keras would, on the trainable variables) so that its slots are copied
    too. Variables that appear later (metric accumulators, reset every epoch) are left alone.
    """
    import keras

    class StartingState(keras.callbacks.Callback):
        def on_train_begin(self, logs=None):
            optimizer = self.model.optimizer
            if not optimizer.built:
                optimizer.build(self.model.trainable_variables)
            self.values = [
                (v, np.array(v.value)) for v in (*self.model.variables, *optimizer.variables)
            ]

        def restore(self, model):
            for variable, value in self.values:
                variable.assign(value)

    return StartingState()


def _epoch_report(progress: Progress, epochs: int, scores, quiet: bool):
    """A callback reporting every epoch: the fraction of epochs, a Korean status line, the
    curve points of that epoch (inference-mode scores when measured, else Keras' logs) and
    the cancel check. ``quiet``: only the cancel check (while retraining after divergence)."""
    import keras

    class EpochReport(keras.callbacks.Callback):
        def on_train_begin(self, logs=None):
            progress.check()
            if not quiet and scores is not None:
                progress.curve(scores.records[:])

        def on_epoch_end(self, epoch, logs=None):
            progress.check()
            if quiet:
                return
            logs = logs or {}
            loss = logs.get("loss")
            text = [progress.label] if progress.label else []
            text.append(f"에폭 {epoch + 1}/{epochs}")
            if loss is not None and math.isfinite(float(loss)):
                text.append(f"손실 {float(loss):.4f}")
            elif loss is not None:
                text.append("손실 발산")
            if progress.wants_curves:
                progress.curve(_epoch_points(epoch + 1, logs, scores))
            progress((epoch + 1) / epochs, " · ".join(text))

    return EpochReport()


def _epoch_points(epoch: int, logs: dict, scores) -> list[dict]:
    """The curve points of one epoch: the evaluator's inference-mode rows, and Keras' logs
    for the splits the evaluator does not measure (the training-mode running means)."""
    rows = [r for r in scores.records if r["epoch"] == epoch] if scores is not None else []
    measured = {r["split"] for r in rows}
    for key, value in logs.items():
        split = "validation" if key.startswith("val_") else "train"
        if split not in measured:
            metric = key.removeprefix("val_")
            rows.append({"epoch": epoch, "split": split, "metric": metric, "value": float(value)})
    return rows


def divergence_warning(
    name: str, guard, hint: str = "학습률(learning rate)을 낮춰 보세요."
) -> list:
    """A Korean warning when ``guard`` (a DivergenceGuard) stopped training, else nothing."""
    if guard is None or not guard.diverged:
        return []
    message = f"{name}: {guard.epoch + 1}번째 에폭에서 손실이 발산해 학습을 멈췄습니다."
    return [f"{message} {hint}" if hint else message]


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
