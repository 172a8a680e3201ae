"""Callbacks record the right numbers (checked against hand-computed values)."""

import math

import keras
import numpy as np
import pytest

from studykit import callbacks, initializers

RNG = np.random.default_rng(0)
X = RNG.normal(size=(32, 3)).astype("float32")
Y = RNG.normal(size=(32, 1)).astype("float32")


def linear_model(lr=0.01):
    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(1, name="dense")])
    model.compile(optimizer=keras.optimizers.SGD(lr), loss="mse", jit_compile=False)
    return model


def test_gradient_norm_matches_the_closed_form_of_linear_regression():
    model = linear_model()
    kernel, bias = (w.copy() for w in model.get_weights())
    logger = callbacks.GradientNormLogger(X, Y)
    model.fit(X, Y, epochs=2, batch_size=32, verbose=0, callbacks=[logger])
    first = logger.records[0]
    assert (first["epoch"], first["layer"], first["name"]) == (0, 1, "dense")
    residual = X @ kernel + bias - Y
    expected = np.linalg.norm(2 / len(X) * X.T @ residual)
    assert first["grad_norm"] == pytest.approx(expected, rel=1e-4)
    assert [r["epoch"] for r in logger.records] == [0, 1, 2]


def test_the_traced_probe_gives_the_eager_gradients_and_is_traced_once():
    from studykit._gradients import loss_and_gradients, traced_loss_and_gradients

    keras.utils.set_random_seed(1)
    model = keras.Sequential(
        [keras.Input((3,)), *(keras.layers.Dense(8, activation="tanh") for _ in range(4))]
        + [keras.layers.Dense(1)]
    )
    loss = keras.losses.get("mse")
    _, eager = loss_and_gradients(model, X, Y, loss)
    for _ in range(3):
        _, traced = traced_loss_and_gradients(model, X, Y, loss)
    for a, b in zip(eager, traced, strict=True):
        np.testing.assert_allclose(
            keras.ops.convert_to_numpy(b), keras.ops.convert_to_numpy(a), rtol=1e-5, atol=1e-7
        )
    if keras.backend.backend() == "tensorflow":
        (step,) = model.__dict__["_studykit_traced_gradient_steps"].values()
        assert step.experimental_get_tracing_count() == 1


def stats_model(kernel_value, bias_value, activation):
    model = keras.Sequential(
        [
            keras.Input((3,)),
            keras.layers.Dense(
                4,
                activation=activation,
                kernel_initializer=initializers.Constant(kernel_value),
                bias_initializer=initializers.Constant(bias_value),
            ),
            keras.layers.Dense(1),
        ]
    )
    model.compile(optimizer=keras.optimizers.SGD(0.0), loss="mse", jit_compile=False)
    return model


def test_activation_stats_of_known_outputs():
    centred = callbacks.ActivationStatsLogger(X, bins=10)
    stats_model(0.0, 0.0, "sigmoid").fit(X, Y, epochs=1, verbose=0, callbacks=[centred])
    row = centred.records[0]
    assert (row["activation"], row["mean"], row["std"]) == ("sigmoid", 0.5, 0.0)
    assert row["saturated_fraction"] == 0.0
    layer1 = [h for h in centred.histograms if h["layer"] == 1 and h["epoch"] == 0]
    assert sum(h["count"] for h in layer1) == 32 * 4
    saturated = callbacks.ActivationStatsLogger(X)
    stats_model(0.0, 10.0, "sigmoid").fit(X, Y, epochs=1, verbose=0, callbacks=[saturated])
    assert saturated.records[0]["saturated_fraction"] == 1.0
    tanh = callbacks.ActivationStatsLogger(X)
    stats_model(0.0, -10.0, "tanh").fit(X, Y, epochs=1, verbose=0, callbacks=[tanh])
    assert tanh.records[0]["saturated_fraction"] == 1.0
    assert math.isnan(tanh.records[1]["saturated_fraction"])  # linear output layer


def test_dead_unit_monitor():
    monitor = callbacks.DeadUnitMonitor(X)
    stats_model(0.0, -1.0, "relu").fit(X, Y, epochs=1, verbose=0, callbacks=[monitor])
    assert monitor.records[0]["dead_fraction"] == 1.0
    alive = callbacks.DeadUnitMonitor(X)
    stats_model(0.0, 1.0, "relu").fit(X, Y, epochs=1, verbose=0, callbacks=[alive])
    assert alive.records[0]["dead_fraction"] == 0.0


def test_learning_rate_logger_follows_a_schedule():
    schedule = keras.optimizers.schedules.ExponentialDecay(0.1, decay_steps=1, decay_rate=0.5)
    model = linear_model()
    model.compile(optimizer=keras.optimizers.SGD(schedule), loss="mse", jit_compile=False)
    logger = callbacks.LearningRateLogger()
    model.fit(X, Y, epochs=3, batch_size=16, verbose=0, callbacks=[logger])  # 2 steps per epoch
    assert [r["epoch"] for r in logger.records] == [1, 2, 3]
    for record in logger.records:
        assert record["learning_rate"] == pytest.approx(0.1 * 0.5 ** (2 * record["epoch"]))


def test_progress_callback_reports_fractions_and_korean_messages():
    calls = []
    progress = callbacks.ProgressCallback(lambda f, m: calls.append((f, m)), "모델", 0.5, 0.5)
    linear_model().fit(X, Y, epochs=4, verbose=0, callbacks=[progress])
    assert [f for f, _ in calls] == [0.625, 0.75, 0.875, 1.0]
    assert calls[0][1].startswith("모델 에폭(epoch) 1/4")


def test_divergence_guard_stops_and_records_where():
    guard = callbacks.DivergenceGuard()
    big = (X * 1e3, Y * 1e3)
    history = linear_model(lr=10.0).fit(*big, epochs=50, batch_size=4, verbose=0, callbacks=[guard])
    assert guard.diverged and guard.epoch is not None and guard.batch is not None
    assert "loss is" in guard.reason
    assert len(history.history["loss"]) < 50
    calm = callbacks.DivergenceGuard(max_loss=1e6)
    linear_model().fit(X, Y, epochs=2, verbose=0, callbacks=[calm])
    assert not calm.diverged


def test_invalid_arguments():
    with pytest.raises(ValueError, match="every must be >= 1"):
        callbacks.GradientNormLogger(X, Y, every=0)
    with pytest.raises(ValueError, match="bins must be in"):
        callbacks.ActivationStatsLogger(X, bins=1)
    with pytest.raises(ValueError, match="max_loss must be > 0"):
        callbacks.DivergenceGuard(max_loss=0)
