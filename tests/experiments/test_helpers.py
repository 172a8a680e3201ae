"""The helpers the experiments share (_models, _fit, _measure, _data, _labels, ...)."""

import math
import pkgutil
import subprocess
import sys

import keras
import numpy as np
import pytest

from studykit import activations, callbacks, experiments, losses, regularizers
from studykit.experiments import _data, _fit, _labels, _measure, _models
from studykit.experiments.base import Progress

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
    loss, accuracy = _measure.loss_and_accuracy(outputs, y, from_logits=from_logits)
    expected = _value(losses.SparseCategoricalCrossEntropy(from_logits=from_logits), y, outputs)
    assert loss == pytest.approx(expected, rel=1e-5)
    assert accuracy == np.mean(np.argmax(logits, axis=1) == y)


@pytest.mark.parametrize("from_logits", [False, True])
def test_loss_and_accuracy_of_one_binary_score_match_the_studykit_loss(from_logits):
    rng = np.random.default_rng(1)
    logits = rng.normal(scale=3.0, size=(60, 1)).astype("float32")
    y = rng.integers(0, 2, 60)
    outputs = logits if from_logits else 1 / (1 + np.exp(-logits))
    loss, accuracy = _measure.loss_and_accuracy(outputs, y, from_logits=from_logits)
    expected = _value(
        losses.BinaryCrossEntropy(from_logits=from_logits), y.astype("float32")[:, None], outputs
    )
    assert loss == pytest.approx(expected, rel=1e-5)
    assert accuracy == np.mean((logits[:, 0] > 0) == (y == 1))


def test_loss_and_accuracy_are_nan_once_the_outputs_are_not_finite():
    outputs = np.array([[0.5, 0.5], [np.nan, 0.1]])
    loss, accuracy = _measure.loss_and_accuracy(outputs, np.array([0, 1]))
    assert math.isnan(loss) and math.isnan(accuracy)


def test_evaluator_records_every_epoch_from_zero_for_a_logit_model():
    rng = np.random.default_rng(2)
    x = rng.normal(size=(64, 2)).astype("float32")
    y = (x[:, 0] > 0).astype(int)
    keras.utils.set_random_seed(0)
    model = _models.build_mlp(2, 1, [4], "tanh", seed=0, output_activation=None)
    model.compile(
        optimizer="sgd", loss=losses.BinaryCrossEntropy(from_logits=True), jit_compile=False
    )
    fitted = _fit.fit(
        model,
        x,
        y.astype("float32")[:, None],
        epochs=3,
        batch_size=16,
        seed=0,
        measure={"train": (x, y), "validation": (x[:16], y[:16])},
        from_logits=True,
    )
    scores, guard, history = fitted.scores, fitted.guard, fitted.history
    assert not guard.diverged and len(history["loss"]) == 3
    assert [r["epoch"] for r in scores.records] == [e for e in range(4) for _ in range(4)]
    assert [r["metric"] for r in scores.records[:2]] == ["loss", "accuracy"]
    assert len(_measure.curve(scores.records, "validation", "loss")) == 4
    final_loss = _measure.final(scores.records, "train", "loss")
    expected = _value(losses.BinaryCrossEntropy(from_logits=True), y[:, None], model(x))
    assert final_loss == pytest.approx(expected, rel=1e-5)
    assert scores.rows(model="mlp")[0] == {"model": "mlp", **scores.records[0]}


def test_traced_predict_equals_predict_on_batch_and_keeps_one_trace_per_shape():
    x = np.random.default_rng(3).normal(size=(40, 8)).astype("float32")
    model = _models.build_mlp(8, 3, [16], "relu", seed=0, dropout=0.5)
    model.compile(optimizer="sgd", loss="sparse_categorical_crossentropy", jit_compile=False)
    for _ in range(2):
        np.testing.assert_array_equal(_measure.traced_predict(model, x), model.predict_on_batch(x))
    np.testing.assert_array_equal(
        _measure.traced_predict(model, x[:10]), model.predict_on_batch(x[:10])
    )
    training = [_measure.traced_predict(model, x, training=True) for _ in range(2)]
    assert not np.array_equal(*training)  # dropout on: a new mask every call
    if keras.backend.backend() == "tensorflow":
        assert len(model.__dict__["_studykit_traced_predict"]) == 3  # 2 shapes + training mode


@pytest.mark.skipif(keras.backend.backend() != "tensorflow", reason="TensorFlow's tracing")
def test_the_first_fit_traces_the_train_step_once():
    # Keras creates the metrics' variables in the first trace unless they exist already, and
    # TensorFlow then traces the step a second time.
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(64, 8)).astype("float32"), rng.integers(0, 3, 64)
    model = _models.build_mlp(8, 3, [16], "relu", seed=0)
    model.compile(
        optimizer="sgd",
        loss="sparse_categorical_crossentropy",
        metrics=["accuracy"],
        jit_compile=False,
    )
    traces = []
    train_step = model.train_step
    model.train_step = lambda data: traces.append(1) or train_step(data)
    fitted = _fit.fit(model, x, y, epochs=2, batch_size=16, seed=0, guard=False)
    assert len(traces) == 1
    assert len(fitted.history["accuracy"]) == 2
    assert 0.0 <= fitted.history["accuracy"][0] <= 1.0  # the metrics were reset after building


def test_first_epoch_reaching_and_final():
    assert _measure.first_epoch_reaching([0.1, 0.4, 0.6, 0.9], 0.5) == 2.0
    assert _measure.first_epoch_reaching([2.0, 1.0, 0.5], 0.8, below=True) == 2.0
    assert math.isnan(_measure.first_epoch_reaching([0.1, math.nan], 0.5))
    assert math.isnan(_measure.final([], "train", "loss"))


def test_build_mlp_layers_seeds_dropout_regularizer_and_front_layers():
    front = [keras.layers.Reshape((8, 8, 1)), keras.layers.Flatten()]
    model = _models.build_mlp(
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
    same = _models.build_mlp(64, 10, [16, 8], "relu", "he_normal", 3)
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
        model = _models.build_mlp(3, 2, [4], seed=0)
        model.compile(optimizer="sgd", loss="sparse_categorical_crossentropy", jit_compile=False)
        _fit.fit(model, x, y, epochs=2, batch_size=16, seed=7)
        return model

    first, second = run(), run()
    assert int(first.optimizer.iterations.numpy()) == 2 * 4
    for a, b in zip(first.get_weights(), second.get_weights(), strict=True):
        np.testing.assert_array_equal(a, b)


def test_divergence_warning_names_the_run_and_the_epoch():
    guard = callbacks.DivergenceGuard()
    assert _fit.divergence_warning("SGD", guard) == []
    guard.diverged, guard.epoch = True, 2
    (warning,) = _fit.divergence_warning("SGD", guard)
    assert warning.startswith("SGD: 3번째 에폭에서 손실이 발산해") and "학습률" in warning
    assert _fit.divergence_warning("SGD", guard, hint="")[0].endswith("멈췄습니다.")


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


def _classifier(lr: float = 0.1, seed: int = 0):
    keras.utils.set_random_seed(seed)
    model = _models.build_mlp(3, 2, [8, 8], "relu", seed=seed)
    model.compile(
        optimizer=keras.optimizers.SGD(lr),
        loss="sparse_categorical_crossentropy",
        metrics=["accuracy"],
        jit_compile=False,
    )
    return model


def _toy(n: int = 50):
    rng = np.random.default_rng(4)
    return rng.normal(size=(n, 3)).astype("float32"), rng.integers(0, 2, n)


@pytest.mark.parametrize("shuffle", ["numpy", "keras"])
def test_a_whole_epoch_per_call_gives_the_weights_of_one_batch_per_call(shuffle):
    x, y = _toy()
    fast, slow = _classifier(), _classifier()
    a = _fit.fit(fast, x, y, epochs=3, batch_size=16, seed=7, shuffle=shuffle)
    keras.utils.set_random_seed(0)
    b = _fit.fit(slow, x, y, epochs=3, batch_size=16, seed=7, shuffle=shuffle, per_batch=True)
    assert fast.steps_per_execution == 4 and slow.steps_per_execution == 1
    assert a.history == b.history
    for u, v in zip(fast.get_weights(), slow.get_weights(), strict=True):
        np.testing.assert_array_equal(u, v)


def test_divergence_is_replayed_batch_by_batch_and_stops_at_the_same_batch():
    x, _ = _toy()
    target = x.sum(axis=1, keepdims=True) * 10

    def regressor():
        keras.utils.set_random_seed(1)
        model = _models.build_mlp(3, 1, [8], "relu", seed=1, output_activation=None)
        model.compile(optimizer=keras.optimizers.SGD(0.5), loss="mse", jit_compile=False)
        return model  # the squared error grows every step until it overflows

    exact = _fit.fit(regressor(), x, target, epochs=6, batch_size=16, seed=1, per_batch=True)
    fitted = _fit.fit(regressor(), x, target, epochs=6, batch_size=16, seed=1)
    assert exact.diverged and fitted.diverged
    assert (fitted.guard.epoch, fitted.guard.batch) == (exact.guard.epoch, exact.guard.batch)
    assert fitted.history.keys() == exact.history.keys()
    for key in exact.history:
        np.testing.assert_array_equal(fitted.history[key], exact.history[key])


def test_divergence_replay_restores_momentum_slots_built_during_training():
    # On TensorFlow, Keras builds the momentum slots (and the metric's variables) at the first
    # step, after on_train_begin: the replay must still start from zero momentum.
    x, _ = _toy()
    target = x.sum(axis=1, keepdims=True) * 10

    def regressor():
        keras.utils.set_random_seed(2)
        model = _models.build_mlp(3, 1, [8], "relu", seed=2, output_activation=None)
        model.compile(
            optimizer=keras.optimizers.SGD(0.5, momentum=0.9),
            loss="mse",
            metrics=["mae"],
            jit_compile=False,
        )
        return model  # the squared error grows every step

    kwargs = {"epochs": 6, "batch_size": 16, "seed": 2, "max_loss": 1e6}
    exact = _fit.fit(regressor(), x, target, per_batch=True, **kwargs)
    fitted = _fit.fit(regressor(), x, target, **kwargs)
    assert exact.diverged and fitted.diverged
    assert (fitted.guard.epoch, fitted.guard.batch) == (exact.guard.epoch, exact.guard.batch)
    for key in exact.history:
        np.testing.assert_array_equal(fitted.history[key], exact.history[key])


@pytest.mark.skipif(keras.backend.backend() != "tensorflow", reason="twins: TensorFlow only")
def test_a_reused_twin_trains_to_the_same_weights_as_a_new_model():
    x, y = _toy()
    with _models.lending():
        first = _models.reuse(_classifier(lr=0.05, seed=3))
        _fit.fit(first, x, y, epochs=2, batch_size=16, seed=3)
    with _models.lending():
        twin = _models.reuse(_classifier(lr=0.05, seed=3))
        assert twin is first  # traced already: lent again with the new model's state
        _fit.fit(twin, x, y, epochs=2, batch_size=16, seed=3)
        trained = [w.copy() for w in twin.get_weights()]
    fresh = _classifier(lr=0.05, seed=3)
    _fit.fit(fresh, x, y, epochs=2, batch_size=16, seed=3)
    for u, v in zip(trained, fresh.get_weights(), strict=True):
        np.testing.assert_array_equal(u, v)


def test_numpy_batches_are_the_generators_batches_in_one_pipeline():
    pytest.importorskip("tensorflow")
    x, y = _toy(50)  # 16, 16, 16, 2 per epoch
    generator = _fit.batches(x, y, 16, seed=5)
    pipeline = list(_fit.numpy_batches(x, y, 16, seed=5, epochs=3).as_numpy_iterator())
    assert len(pipeline) == 12
    for got_x, got_y in pipeline:
        want_x, want_y = next(generator)
        np.testing.assert_array_equal(got_x, want_x)
        np.testing.assert_array_equal(got_y, want_y)


def _seed_state() -> tuple:
    import random

    from keras.src.utils import rng_utils

    return (
        random.random(),
        float(np.random.random()),
        rng_utils.get_random_seed(),
        keras.ops.convert_to_numpy(keras.random.uniform((3,))).tolist(),
    )


def test_set_random_seed_seeds_like_keras_and_keeps_the_traced_steps():
    x, y = _toy()
    keras.utils.set_random_seed(11)
    keras_state = _seed_state()
    _models.set_random_seed(11)
    assert _seed_state() == keras_state
    if keras.backend.backend() == "tensorflow":
        from tensorflow.python.eager import context

        assert context.global_seed() == 11
        assert _fit.keras_order(50, 16).tolist() == _fit.keras_order(50, 16).tolist()
    # The same run twice in one process gives the same weights: no random kernel carries
    # state from the first run into the second.
    runs = []
    for _ in range(2):
        _models.set_random_seed(3)
        model = _models.build_mlp(3, 2, [8], "relu", seed=3, dropout=0.5)
        model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", jit_compile=False)
        _fit.fit(model, x, y, epochs=2, batch_size=16, seed=3, shuffle="keras")
        runs.append(model.get_weights())
    for u, v in zip(*runs, strict=True):
        np.testing.assert_array_equal(u, v)


def test_models_of_another_shape_or_optimizer_are_not_twins():
    a, b = _classifier(), _classifier(lr=0.5)
    assert _models.structure(a) == _models.structure(b)  # the learning rate is a variable
    wider = _models.build_mlp(3, 2, [9, 8], "relu", seed=0)
    wider.compile(optimizer=keras.optimizers.SGD(0.1), loss="sparse_categorical_crossentropy")
    assert _models.structure(wider) != _models.structure(a)
    other = _models.build_mlp(3, 2, [8, 8], "relu", seed=0)
    other.compile(optimizer=keras.optimizers.Adam(0.1), loss="sparse_categorical_crossentropy")
    assert _models.structure(other) != _models.structure(a)


def test_progress_parts_map_onto_slices_and_never_go_back():
    seen = []
    progress = Progress(lambda fraction, message: seen.append((round(fraction, 3), message)))
    for item, part in progress.parts(["a", "b"], str.upper, within=(0.0, 0.8)):
        part(0.5, item)
        assert part.label == item.upper()
    progress(0.1, "back")
    assert seen == [(0.2, "a"), (0.6, "b"), (0.6, "back")]


def test_finding_labels_units_and_numbers_read_as_korean():
    label, unit = _labels.finding_label("final_accuracy.relu")
    assert (label, unit) == ("최종 검증 정확도 · ReLU", "%")
    assert _labels.format_value(0.93, "%") == "93.0%"
    assert _labels.format_value(0.081, "%p") == "+8.1%p"
    assert _labels.format_value(1.54e-06, "x") == "1.54×10⁻⁶배"
    assert _labels.format_value(float("nan"), "") == "측정 불가"
    assert _labels.difference(0.9, 0.95, "%") == "+5.0%p"
    assert _labels.finding_label("unknown_thing") == ("unknown_thing", "")


@pytest.mark.parametrize("n", [48, 50])  # only full batches / a smaller last batch
def test_the_keras_order_gives_what_model_fit_gives_on_arrays_even_with_batch_norm(n):
    from studykit import layers

    x, y = _toy(n)

    def model():
        keras.utils.set_random_seed(5)
        built = keras.Sequential(
            [
                keras.Input((3,)),
                keras.layers.Dense(8),
                layers.BatchNormalization(momentum=0.9),
                keras.layers.Activation("relu"),
                keras.layers.Dense(2, activation="softmax"),
            ]
        )
        built.compile(
            optimizer=keras.optimizers.SGD(0.1),
            loss="sparse_categorical_crossentropy",
            jit_compile=False,
        )
        return built

    plain = model()
    plain.fit(x, y, batch_size=16, epochs=3, shuffle=True, verbose=0)
    ours = model()
    _fit.fit(ours, x, y, epochs=3, batch_size=16, seed=5, shuffle="keras", guard=False)
    for u, v in zip(plain.get_weights(), ours.get_weights(), strict=True):
        np.testing.assert_array_equal(u, v)


def test_thin_keeps_every_kth_step_of_each_series_within_the_row_limit():
    import pandas as pd

    from studykit.experiments._charts import thin

    steps = pd.DataFrame(
        [{"series": s, "step": t, "value": float(t)} for s in "abc" for t in range(3000)]
    )
    small = thin(steps, "step", limit=1000)
    assert len(small) <= 1000
    kept = sorted(small["step"].unique())
    assert kept[0] == 0 and kept[-1] == 2999  # first and last step kept
    assert (small.groupby("series").size() == len(kept)).all()  # the same steps per series
    assert len(thin(steps.head(500), "step", limit=1000)) == 500  # small enough: unchanged
    # by="series": each series keeps every k-th of its own points, and its last one.
    sparse = steps[(steps.series == "b") & (steps.step % 100 == 0)]  # 30 points, 0..2900
    uneven = pd.concat([steps[steps.series == "a"], sparse])
    by_series = thin(uneven, "step", limit=1000, by="series")
    assert len(by_series) <= 1000
    b = by_series[by_series.series == "b"]["step"]
    assert 2 <= len(b) < 30 and b.min() == 0 and b.max() == 2900
    assert by_series[by_series.series == "a"]["step"].max() == 2999


def test_a_warm_up_traces_the_models_once_and_leaves_the_findings_alone(monkeypatch):
    monkeypatch.setenv(experiments.WARM_UP_ENV, "0")
    assert experiments.warm_up("xor", preset="tiny") is None
    monkeypatch.setenv(experiments.WARM_UP_ENV, "1")
    assert experiments.warm_up("optimizer_paths") is None  # nothing to trace: no epochs
    cold = experiments.run("xor", preset="tiny").findings
    monkeypatch.setattr(experiments, "_WARMED", set())
    monkeypatch.setattr(_models, "_POOL", type(_models._POOL)())
    thread = experiments.warm_up("xor", preset="tiny")
    thread.join(timeout=120)
    assert not thread.is_alive()
    assert experiments.warm_up("xor", preset="tiny") is None  # once per parameter set
    if keras.backend.backend() == "tensorflow":  # twins are lent on TensorFlow only
        assert sum(len(twins) for twins in _models._POOL.values()) > 0
    assert experiments.run("xor", preset="tiny").findings == cold
    # A run started during a warm-up waits for it (or stops it): the seeds stay its own.
    monkeypatch.setattr(experiments, "_WARMED", set())
    thread = experiments.warm_up("xor", preset="tiny")
    assert experiments.run("xor", preset="tiny").findings == cold
    thread.join(timeout=120)
    assert not thread.is_alive()
