"""Helpers the experiments share: building, compiling and training small models, and tidy rows.

``train`` is the one training loop: ``fit`` plus an ``_evaluation.evaluator`` (inference-mode
loss and accuracy per epoch), a DivergenceGuard and progress. ``fit`` draws the mini-batches
from one endless numpy generator seeded by the experiment, so Keras builds its input
pipeline once per fit instead of twice per epoch (on TensorFlow that costs tens of
milliseconds per epoch, more than the training steps of these small models).

Keras caches a model's traced train step after its first ``fit``, so an experiment that
compares starting weights (or data scalings) can build and compile one model, then for each
variant assign new starting weights with ``restart`` and fit again: one trace, many runs.

Nothing here imports Keras at module level (the registry must stay light).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
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


def default_initializer(activation: str | None) -> str:
    """He for the ReLU family, Glorot (Xavier) for sigmoid/tanh: the usual pairing."""
    return "he_normal" if activation in RELU_FAMILY else "glorot_uniform"


def build_mlp(
    n_inputs: int,
    n_outputs: int,
    hidden: Sequence[int],
    activation: str | None = "relu",
    initializer: str | None = None,
    seed: int = 0,
    *,
    output_activation="softmax",
    dropout: float = 0.0,
    regularizer=None,
    before: Sequence = (),
    name: str | None = None,
):
    """A Sequential MLP: ``hidden`` Dense layers (studykit activation and initializer) + output.

    Each layer's initializer gets its own seed derived from ``seed`` (hidden layer i:
    seed + i, output: Glorot uniform with seed + len(hidden)), so the weights depend only on
    the arguments; ``initializer`` None means ``default_initializer(activation)``.
    ``activation`` None: linear hidden layers (Glorot uniform by default).

    ``output_activation``: "softmax" is Keras' softmax, whose output Keras' cross-entropy
    (``loss="sparse_categorical_crossentropy"``) reads back as logits; with a studykit loss
    (``compile_classifier``) pass ``studykit.activations.softmax``; None outputs logits
    (pair with ``from_logits=True`` losses and evaluators). ``dropout`` > 0 puts a
    studykit Dropout (seed + 100 + i) after every hidden layer; ``regularizer`` (a function
    returning a new regularizer) is attached to every kernel, output included; ``before``:
    layers between the input and the first Dense layer (reshape, augmentation, flatten).
    """
    import keras

    from studykit import activations, initializers, layers

    stack = [keras.Input((n_inputs,)), *before]
    for index, units in enumerate(hidden):
        stack.append(
            keras.layers.Dense(
                units,
                activation=activations.get(activation) if activation else None,
                kernel_initializer=initializers.get(
                    initializer or default_initializer(activation), seed=seed + index
                ),
                kernel_regularizer=regularizer() if regularizer else None,
                name=f"hidden_{index + 1}",
            )
        )
        if dropout > 0:
            stack.append(
                layers.Dropout(dropout, seed=seed + 100 + index, name=f"dropout_{index + 1}")
            )
    stack.append(
        keras.layers.Dense(
            n_outputs,
            activation=output_activation,
            kernel_initializer=initializers.get("glorot_uniform", seed=seed + len(hidden)),
            kernel_regularizer=regularizer() if regularizer else None,
            name="output",
        )
    )
    return keras.Sequential(stack, name=name)


def compile_classifier(model, learning_rate: float, optimizer: str = "adam", **optimizer_kwargs):
    """studykit optimizer (Adam by default) + sparse categorical cross-entropy + accuracy, no XLA.

    ``optimizer``: "adam", "sgd" or "momentum" (studykit.optimizers). The model must end in
    ``studykit.activations.softmax`` (the studykit loss takes probabilities).
    """
    from studykit import losses, optimizers

    classes = {"adam": optimizers.Adam, "sgd": optimizers.SGD, "momentum": optimizers.Momentum}
    model.compile(
        optimizer=classes[optimizer](learning_rate, **optimizer_kwargs),
        loss=losses.SparseCategoricalCrossEntropy(),
        metrics=["accuracy"],
        jit_compile=False,
    )
    return model


def batches(x, y, batch_size: int, seed: int):
    """Endless mini-batches, reshuffled every epoch by a numpy Generator seeded with ``seed``."""
    rng = np.random.default_rng(seed)
    while True:
        order = rng.permutation(len(x))
        for start in range(0, len(x), batch_size):
            index = order[start : start + batch_size]
            yield x[index], y[index]


def fit(model, x, y, *, epochs: int, batch_size: int, seed: int | None, callbacks=()):
    """``model.fit`` for ``epochs`` passes over (x, y), shuffled reproducibly.

    ``seed``: the batches come from ``batches(..., seed)`` with ``steps_per_epoch``, so Keras
    builds its input pipeline once instead of twice per epoch (fast). ``None``: ``model.fit``
    shuffles (x, y) itself from Keras' global seed (``keras.utils.set_random_seed`` or
    ``restart`` first) — a different, equally valid order, kept by the experiments whose
    numbers were calibrated with it.
    """
    if seed is None:
        return model.fit(
            x, y, epochs=epochs, batch_size=batch_size, verbose=0, callbacks=list(callbacks)
        )
    return model.fit(
        batches(x, y, batch_size, seed),
        steps_per_epoch=-(-len(x) // batch_size),
        epochs=epochs,
        shuffle=False,  # the generator shuffles
        verbose=0,
        callbacks=list(callbacks),
    )


def train(
    model,
    x,
    y,
    sets: dict[str, tuple[np.ndarray, np.ndarray]],
    *,
    epochs: int,
    batch_size: int,
    seed: int | None,
    progress,
    label: str,
    start: float,
    span: float,
    from_logits: bool = False,
    callbacks=(),
):
    """``fit`` (``seed`` as there) while measuring ``sets`` every epoch; stops on divergence.

    Callbacks: an ``_evaluation.evaluator`` of ``sets`` (``from_logits`` as there), a studykit
    DivergenceGuard, a ProgressCallback reporting ``label`` over [start, start + span], then
    ``callbacks``. Returns (evaluator, guard, history dict of Keras' training-mode metrics).
    """
    from studykit import callbacks as studykit_callbacks
    from studykit.experiments._evaluation import evaluator

    scores = evaluator(sets, from_logits=from_logits)
    guard = studykit_callbacks.DivergenceGuard()
    history = fit(
        model,
        x,
        y,
        epochs=epochs,
        batch_size=batch_size,
        seed=seed,
        callbacks=[
            scores,
            guard,
            studykit_callbacks.ProgressCallback(progress, label, start=start, span=span),
            *callbacks,
        ],
    )
    return scores, guard, history.history


def restart(model, weights: Sequence[np.ndarray], seed: int) -> None:
    """Give a compiled model new starting weights and a fresh optimizer step counter.

    Only for optimizers without slot variables (plain SGD): their only state is the step
    counter. Re-seeds Keras so that every run shuffles the batches in the same order.
    """
    import keras

    keras.utils.set_random_seed(seed)
    model.set_weights(list(weights))
    model.optimizer.iterations.assign(0)


def divergence_warning(
    name: str, guard, hint: str = "학습률(learning rate)을 낮춰 보세요."
) -> list:
    """A Korean warning when ``guard`` (a DivergenceGuard) stopped training, else nothing."""
    if not guard.diverged:
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
