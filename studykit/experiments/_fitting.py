"""Training helpers for the dropout, weight decay, capacity, augmentation and CNN experiments.

``EpochEvaluator`` measures accuracy and loss of fixed data sets in *inference* mode after
every epoch. Keras' own ``accuracy`` in ``History`` is a running average over the epoch's
batches in *training* mode (dropout on, augmentation on), so it cannot be compared with
the validation accuracy to measure overfitting; the book's experiments (Deep Learning from
Scratch, ch. 6) also evaluate the training set with dropout off.

This module imports Keras at the top: import it only inside an experiment's ``run``.
"""

from __future__ import annotations

import keras
import numpy as np

from studykit.experiments._training import frame

HISTORY_COLUMNS = ("epoch", "split", "metric", "value")


def accuracy_and_loss(probabilities: np.ndarray, labels: np.ndarray) -> tuple[float, float]:
    """Accuracy and mean sparse categorical cross-entropy (probabilities clipped at 1e-7)."""
    picked = np.clip(probabilities[np.arange(len(labels)), labels], 1e-7, 1.0)
    accuracy = float(np.mean(np.argmax(probabilities, axis=1) == labels))
    return accuracy, float(-np.mean(np.log(picked)))


def predict(model, x: np.ndarray) -> np.ndarray:
    """Inference-mode output as numpy (one call, no batching: the data sets are small)."""
    return keras.ops.convert_to_numpy(model(x, training=False))


class EpochEvaluator(keras.callbacks.Callback):
    """Accuracy and loss of each named (x, y) set, inference mode, before training and per epoch.

    ``records``: rows of epoch (0 = before training), split (the set's name), metric
    ("accuracy" or "loss") and value. All sets go through the model in one call per epoch.
    """

    def __init__(self, sets: dict[str, tuple[np.ndarray, np.ndarray]]):
        super().__init__()
        self.sets = sets
        self.records: list[dict] = []
        self._x = np.concatenate([x for x, _ in sets.values()])
        self._bounds = np.cumsum([0] + [len(x) for x, _ in sets.values()])

    def measure(self, epoch: int) -> None:
        outputs = predict(self.model, self._x)
        for index, (split, (_, y)) in enumerate(self.sets.items()):
            probabilities = outputs[self._bounds[index] : self._bounds[index + 1]]
            accuracy, loss = accuracy_and_loss(probabilities, y)
            self.records.append(
                {"epoch": epoch, "split": split, "metric": "accuracy", "value": accuracy}
            )
            self.records.append({"epoch": epoch, "split": split, "metric": "loss", "value": loss})

    def on_train_begin(self, logs=None):
        self.measure(0)

    def on_epoch_end(self, epoch, logs=None):
        self.measure(epoch + 1)

    def frame(self, **labels):
        columns = (*labels, *HISTORY_COLUMNS)
        return frame([{**labels, **row} for row in self.records], columns)


def final(records: list[dict], split: str, metric: str) -> float:
    """The value of ``metric`` for ``split`` at the last recorded epoch."""
    rows = [r for r in records if r["split"] == split and r["metric"] == metric]
    return float(rows[-1]["value"]) if rows else float("nan")


def series(records: list[dict], split: str, metric: str) -> np.ndarray:
    """Values of ``metric`` for ``split`` by epoch (epoch 0 first)."""
    rows = sorted(
        (r for r in records if r["split"] == split and r["metric"] == metric),
        key=lambda r: r["epoch"],
    )
    return np.array([r["value"] for r in rows], dtype=float)


def shift_images(images: np.ndarray, shifts: np.ndarray) -> np.ndarray:
    """Shift each (H, W) image by whole pixels (dy, dx), filling uncovered pixels with 0.

    ``images``: (N, H, W); ``shifts``: (N, 2) integers. Positive dy moves the content down,
    positive dx moves it right (the convention of studykit.augment.RandomTranslation).
    """
    out = np.zeros_like(images)
    height, width = images.shape[1:3]
    for index, (dy, dx) in enumerate(np.asarray(shifts, dtype=int)):
        src_y = slice(max(0, -dy), min(height, height - dy))
        dst_y = slice(max(0, dy), min(height, height + dy))
        src_x = slice(max(0, -dx), min(width, width - dx))
        dst_x = slice(max(0, dx), min(width, width + dx))
        out[index, dst_y, dst_x] = images[index, src_y, src_x]
    return out


def random_shifts(n: int, pixels: int, rng: np.random.Generator) -> np.ndarray:
    """(n, 2) shifts: each image moves ``pixels`` up, down, left or right (chosen at random)."""
    directions = np.array([(-1, 0), (1, 0), (0, -1), (0, 1)])
    return directions[rng.integers(0, len(directions), n)] * pixels


def batches(x, y, batch_size: int, seed: int):
    """Endless mini-batches, reshuffled every epoch by a numpy Generator seeded with ``seed``."""
    rng = np.random.default_rng(seed)
    while True:
        order = rng.permutation(len(x))
        for start in range(0, len(x), batch_size):
            index = order[start : start + batch_size]
            yield x[index], y[index]


def fit(model, x, y, *, epochs: int, batch_size: int, seed: int, callbacks=()):
    """``model.fit`` for ``epochs`` passes over (x, y), shuffled reproducibly from ``seed``.

    The batches come from one endless generator with ``steps_per_epoch``, so Keras builds
    its input pipeline once instead of twice per epoch (on TensorFlow that costs tens of
    milliseconds per epoch, more than the training steps of these small models).
    """
    steps = -(-len(x) // batch_size)
    return model.fit(
        batches(x, y, batch_size, seed),
        steps_per_epoch=steps,
        epochs=epochs,
        shuffle=False,  # the generator shuffles
        verbose=0,
        callbacks=list(callbacks),
    )


def corrupt_labels(
    labels: np.ndarray, fraction: float, n_classes: int, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """Replace ``fraction`` of the labels by a different class chosen at random.

    Returns (noisy labels, boolean mask of the changed ones). Wrong labels can only be
    learned by memorizing them, which is what makes overfitting visible on small data.
    """
    changed = np.zeros(len(labels), dtype=bool)
    count = int(round(fraction * len(labels)))
    changed[rng.choice(len(labels), size=count, replace=False)] = True
    noisy = labels.copy()
    offsets = rng.integers(1, n_classes, size=count)
    noisy[changed] = (labels[changed] + offsets) % n_classes
    return noisy, changed


def memorized_fraction(model, x: np.ndarray, noisy: np.ndarray, changed: np.ndarray) -> float:
    """Share of the corrupted training examples predicted as their *wrong* (given) label."""
    if not changed.any():
        return float("nan")
    predicted = np.argmax(predict(model, x[changed]), axis=1)
    return float(np.mean(predicted == noisy[changed]))


def dense_stack(
    inputs,
    hidden,
    seed: int,
    dropout: float = 0.0,
    regularizer_factory=None,
):
    """ReLU Dense layers (He init, one seed per layer) + a softmax output of 10 classes.

    ``dropout`` > 0 puts a studykit Dropout after every hidden layer; ``regularizer_factory``
    (a function returning a new regularizer) is attached to every kernel, output included.
    Returns the output tensor of the functional graph started at ``inputs``.
    """
    from studykit import activations, initializers, layers

    def regularizer():
        return regularizer_factory() if regularizer_factory else None

    x = inputs
    for index, units in enumerate(hidden):
        x = keras.layers.Dense(
            units,
            activation=activations.relu,
            kernel_initializer=initializers.get("he_normal", seed=seed + index),
            kernel_regularizer=regularizer(),
            name=f"hidden_{index + 1}",
        )(x)
        if dropout > 0:
            x = layers.Dropout(dropout, seed=seed + 100 + index, name=f"dropout_{index + 1}")(x)
    return keras.layers.Dense(
        10,
        activation=activations.softmax,
        kernel_initializer=initializers.get("glorot_uniform", seed=seed + len(hidden)),
        kernel_regularizer=regularizer(),
        name="output",
    )(x)


def compile_classifier(model, learning_rate: float, optimizer: str = "adam", **optimizer_kwargs):
    """studykit optimizer (Adam by default) + sparse categorical cross-entropy + accuracy, no XLA.

    ``optimizer``: "adam", "sgd" or "momentum" (studykit.optimizers).
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


def train(model, x, y, sets, *, epochs, batch_size, seed, progress, label, start, span):
    """Fit ``model`` with an EpochEvaluator on ``sets``, a DivergenceGuard and progress.

    Returns (evaluator, guard, history dict of Keras' own training-mode metrics).
    """
    from studykit import callbacks

    evaluator = EpochEvaluator(sets)
    guard = callbacks.DivergenceGuard()
    history = fit(
        model,
        x,
        y,
        epochs=epochs,
        batch_size=batch_size,
        seed=seed,
        callbacks=[
            evaluator,
            guard,
            callbacks.ProgressCallback(progress, label, start=start, span=span),
        ],
    )
    return evaluator, guard, history.history


def divergence_warning(name: str, guard) -> list[str]:
    """A Korean warning when ``guard`` stopped training, else nothing."""
    if not guard.diverged:
        return []
    return [
        f"{name}: {guard.epoch + 1}번째 에폭에서 손실이 발산해 학습을 멈췄습니다. "
        "학습률(learning rate)을 낮춰 보세요."
    ]
