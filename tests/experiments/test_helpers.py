"""The helpers the experiments share (_training, _evaluation, _data, ...)."""

import math
import pkgutil
import subprocess
import sys

import keras
import numpy as np
import pytest

from studykit import activations, callbacks, experiments, losses, regularizers
from studykit.experiments import _data, _evaluation, _training

HELPERS = sorted(
    info.name for info in pkgutil.iter_modules(experiments.__path__) if info.name.startswith("_")
)


def test_every_helper_module_imports_without_keras():
    code = (
        "import importlib, sys\n"
        f"for name in {HELPERS!r}:\n"
        "    importlib.import_module(f'studykit.experiments.{name}')\n"
        "heavy = sorted(m for m in ('keras', 'tensorflow', 'jax') if m in sys.modules)\n"
        "assert not heavy, heavy\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=120)


def _value(loss, y, outputs) -> float:
    return float(keras.ops.convert_to_numpy(loss(y, outputs)))


@pytest.mark.parametrize("from_logits", [False, True])
def test_loss_and_accuracy_of_class_scores_match_the_studykit_loss(from_logits):
    rng = np.random.default_rng(0)
    logits = rng.normal(scale=3.0, size=(50, 4)).astype("float32")
    y = rng.integers(0, 4, 50)
    outputs = logits if from_logits else keras.ops.convert_to_numpy(keras.ops.softmax(logits))
    loss, accuracy = _evaluation.loss_and_accuracy(outputs, y, from_logits=from_logits)
    expected = _value(losses.SparseCategoricalCrossEntropy(from_logits=from_logits), y, outputs)
    assert loss == pytest.approx(expected, rel=1e-5)
    assert accuracy == np.mean(np.argmax(logits, axis=1) == y)


@pytest.mark.parametrize("from_logits", [False, True])
def test_loss_and_accuracy_of_one_binary_score_match_the_studykit_loss(from_logits):
    rng = np.random.default_rng(1)
    logits = rng.normal(scale=3.0, size=(60, 1)).astype("float32")
    y = rng.integers(0, 2, 60)
    outputs = logits if from_logits else 1 / (1 + np.exp(-logits))
    loss, accuracy = _evaluation.loss_and_accuracy(outputs, y, from_logits=from_logits)
    expected = _value(
        losses.BinaryCrossEntropy(from_logits=from_logits), y.astype("float32")[:, None], outputs
    )
    assert loss == pytest.approx(expected, rel=1e-5)
    assert accuracy == np.mean((logits[:, 0] > 0) == (y == 1))


def test_loss_and_accuracy_are_nan_once_the_outputs_are_not_finite():
    outputs = np.array([[0.5, 0.5], [np.nan, 0.1]])
    loss, accuracy = _evaluation.loss_and_accuracy(outputs, np.array([0, 1]))
    assert math.isnan(loss) and math.isnan(accuracy)


def test_evaluator_records_every_epoch_from_zero_for_a_logit_model():
    rng = np.random.default_rng(2)
    x = rng.normal(size=(64, 2)).astype("float32")
    y = (x[:, 0] > 0).astype(int)
    keras.utils.set_random_seed(0)
    model = _training.build_mlp(2, 1, [4], "tanh", seed=0, output_activation=None)
    model.compile(
        optimizer="sgd", loss=losses.BinaryCrossEntropy(from_logits=True), jit_compile=False
    )
    scores, guard, history = _training.train(
        model,
        x,
        y.astype("float32")[:, None],
        {"train": (x, y), "validation": (x[:16], y[:16])},
        epochs=3,
        batch_size=16,
        seed=0,
        progress=lambda fraction, message: None,
        label="test",
        start=0.0,
        span=1.0,
        from_logits=True,
    )
    assert not guard.diverged and len(history["loss"]) == 3
    assert [r["epoch"] for r in scores.records] == [e for e in range(4) for _ in range(4)]
    assert [r["metric"] for r in scores.records[:2]] == ["loss", "accuracy"]
    assert len(_evaluation.curve(scores.records, "validation", "loss")) == 4
    final_loss = _evaluation.final(scores.records, "train", "loss")
    expected = _value(losses.BinaryCrossEntropy(from_logits=True), y[:, None], model(x))
    assert final_loss == pytest.approx(expected, rel=1e-5)
    assert scores.rows(model="mlp")[0] == {"model": "mlp", **scores.records[0]}


def test_first_epoch_reaching_and_final():
    assert _evaluation.first_epoch_reaching([0.1, 0.4, 0.6, 0.9], 0.5) == 2.0
    assert _evaluation.first_epoch_reaching([2.0, 1.0, 0.5], 0.8, below=True) == 2.0
    assert math.isnan(_evaluation.first_epoch_reaching([0.1, math.nan], 0.5))
    assert math.isnan(_evaluation.final([], "train", "loss"))


def test_build_mlp_layers_seeds_dropout_regularizer_and_front_layers():
    front = [keras.layers.Reshape((8, 8, 1)), keras.layers.Flatten()]
    model = _training.build_mlp(
        64,
        10,
        [16, 8],
        seed=3,
        dropout=0.5,
        regularizer=lambda: regularizers.L2(1e-3),
        before=front,
        output_activation=activations.softmax,
        name="mlp",
    )
    names = [layer.name for layer in model.layers]
    assert names[2:] == ["hidden_1", "dropout_1", "hidden_2", "dropout_2", "output"]
    assert model.name == "mlp"
    dense = [layer for layer in model.layers if isinstance(layer, keras.layers.Dense)]
    assert all(isinstance(layer.kernel_regularizer, regularizers.L2) for layer in dense)
    assert model.get_layer("dropout_2").seed == 3 + 100 + 1
    same = _training.build_mlp(64, 10, [16, 8], "relu", "he_normal", 3)
    for a, b in zip(dense, same.layers, strict=True):  # initializer defaults to He for ReLU
        np.testing.assert_array_equal(a.get_weights()[0], b.get_weights()[0])
    x = np.ones((2, 64), "float32")
    np.testing.assert_allclose(model.predict_on_batch(x).sum(axis=1), 1.0, rtol=1e-6)


def test_seeded_fit_runs_ceil_n_over_b_steps_and_repeats_exactly():
    rng = np.random.default_rng(4)
    x = rng.normal(size=(50, 3)).astype("float32")
    y = rng.integers(0, 2, 50)

    def run():
        keras.utils.set_random_seed(0)
        model = _training.build_mlp(3, 2, [4], seed=0)
        model.compile(optimizer="sgd", loss="sparse_categorical_crossentropy", jit_compile=False)
        _training.fit(model, x, y, epochs=2, batch_size=16, seed=7)
        return model

    first, second = run(), run()
    assert int(first.optimizer.iterations.numpy()) == 2 * 4
    for a, b in zip(first.get_weights(), second.get_weights(), strict=True):
        np.testing.assert_array_equal(a, b)


def test_divergence_warning_names_the_run_and_the_epoch():
    guard = callbacks.DivergenceGuard()
    assert _training.divergence_warning("SGD", guard) == []
    guard.diverged, guard.epoch = True, 2
    (warning,) = _training.divergence_warning("SGD", guard)
    assert warning.startswith("SGD: 3번째 에폭에서 손실이 발산해") and "학습률" in warning
    assert _training.divergence_warning("SGD", guard, hint="")[0].endswith("멈췄습니다.")


def test_corrupt_labels_changes_the_requested_share_to_other_classes():
    labels = np.arange(200) % 10
    noisy, changed = _data.corrupt_labels(labels, 0.25, 10, np.random.default_rng(0))
    assert changed.sum() == 50
    assert np.all(noisy[changed] != labels[changed])
    assert np.array_equal(noisy[~changed], labels[~changed])


def test_shift_images_moves_content_and_fills_with_zeros():
    image = np.arange(16, dtype="float32").reshape(1, 4, 4) + 1
    down_right = _data.shift_images(image, np.array([[1, 1]]))[0]
    np.testing.assert_array_equal(down_right[1:, 1:], image[0, :-1, :-1])
    assert np.all(down_right[0] == 0) and np.all(down_right[:, 0] == 0)
    shifts = _data.random_shifts(100, 2, np.random.default_rng(0))
    assert np.all(np.abs(shifts).sum(axis=1) == 2)
