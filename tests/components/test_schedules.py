"""studykit.schedules: closed-form values, warm restarts, serialization and use inside fit."""

import math

import keras
import numpy as np
import pytest

from studykit import optimizers as so
from studykit.schedules import CosineAnnealing, ExponentialDecay, StepDecay


def _values(schedule, steps):
    return [float(schedule(step)) for step in steps]


def test_step_decay_values():
    schedule = StepDecay(0.1, 10, 0.5)
    np.testing.assert_allclose(
        _values(schedule, [0, 9, 10, 25, 100]), [0.1, 0.1, 0.05, 0.025, 0.1 * 0.5**10], rtol=1e-6
    )


def test_step_decay_boundaries_are_exact_for_large_steps():
    # float32 cannot hold 19,999,999 (it rounds to 20,000,000); integer division stays exact.
    schedule = StepDecay(1.0, 1_000_000, 0.5)
    assert _values(schedule, [19_999_999, 20_000_000]) == [0.5**19, 0.5**20]


def test_exponential_decay_values_and_keras_equivalent():
    schedule = ExponentialDecay(0.1, 0.9)
    np.testing.assert_allclose(
        _values(schedule, [0, 1, 2, 10]), [0.1, 0.09, 0.081, 0.034867844], rtol=1e-6
    )
    builtin = keras.optimizers.schedules.ExponentialDecay(0.1, decay_steps=1, decay_rate=0.9)
    steps = [0, 3, 17, 250]
    np.testing.assert_allclose(_values(schedule, steps), _values(builtin, steps), rtol=1e-6)


def test_cosine_annealing_values_and_clamp_at_eta_min():
    schedule = CosineAnnealing(0.1, T_max=10, eta_min=0.01)
    # eta_min + (0.1 - 0.01) / 2 * (1 + cos(pi * t / 10)); step 2: 0.01 + 0.045 * 1.809017
    expected = [0.1, 0.0914058, 0.055, 0.01, 0.01, 0.01]
    np.testing.assert_allclose(_values(schedule, [0, 2, 5, 10, 15, 1000]), expected, rtol=1e-5)


def test_cosine_annealing_warm_restarts_fixed_period():
    schedule = CosineAnnealing(0.1, T_max=10, eta_min=0.01, warm_restarts=True)
    # Restarts at 10, 20, ...: step 15 and 25 sit mid-cycle like step 5.
    expected = [0.1, 0.055, 0.1, 0.055, 0.1, 0.055]
    np.testing.assert_allclose(_values(schedule, [0, 5, 10, 15, 20, 25]), expected, rtol=1e-5)


def test_cosine_annealing_warm_restarts_growing_cycles():
    schedule = CosineAnnealing(1.0, T_max=10, warm_restarts=True, T_mult=2)
    # Cycles [0, 10), [10, 30), [30, 70), [70, 150): each starts at 1.0, is 0.5 halfway.
    steps = [9, 10, 20, 29, 30, 50, 69, 70, 110, 150]
    last = lambda length: 0.5 * (1 + math.cos(math.pi * (length - 1) / length))  # noqa: E731
    expected = [last(10), 1.0, 0.5, last(20), 1.0, 0.5, last(40), 1.0, 0.5, 1.0]
    np.testing.assert_allclose(_values(schedule, steps), expected, rtol=1e-5, atol=1e-7)


def _reference_sgdr(step, T_0, T_mult):
    length, t = T_0, step
    while t >= length:
        t -= length
        length *= T_mult
    return 0.5 * (1 + math.cos(math.pi * t / length))


@pytest.mark.parametrize("T_0, T_mult", [(1, 2), (3, 3), (7, 5)])
def test_cosine_warm_restarts_match_a_loop_over_cycles(T_0, T_mult):
    # Every cycle boundary up to ~1e5 steps, where float32 logarithms could misplace the cycle.
    schedule = CosineAnnealing(1.0, T_max=T_0, warm_restarts=True, T_mult=T_mult)
    steps = np.arange(0, 100_000, 3 if T_0 == 1 else 1)
    got = keras.ops.convert_to_numpy(schedule(keras.ops.convert_to_tensor(steps, "int32")))
    expected = [_reference_sgdr(s, T_0, T_mult) for s in steps]
    np.testing.assert_allclose(got, expected, atol=1e-6)


def test_symbolic_integer_step_tensor():
    step = keras.ops.convert_to_tensor(25, "int32")
    assert float(StepDecay(0.1, 10, 0.5)(step)) == pytest.approx(0.025)
    assert float(ExponentialDecay(0.1, 0.5)(step)) == pytest.approx(0.1 * 0.5**25)
    assert float(CosineAnnealing(0.1, 100)(step)) == pytest.approx(
        0.05 * (1 + math.cos(math.pi / 4)), rel=1e-6
    )


SCHEDULES = {
    "step": lambda: StepDecay(0.1, 10, 0.5),
    "exponential": lambda: ExponentialDecay(0.1, 0.95),
    "cosine": lambda: CosineAnnealing(0.1, T_max=20, eta_min=0.02),
    "cosine_restarts": lambda: CosineAnnealing(0.1, 5, eta_min=0.01, warm_restarts=True, T_mult=2),
}


@pytest.mark.parametrize("name", list(SCHEDULES))
def test_config_and_serialization_round_trip(name):
    schedule = SCHEDULES[name]()
    config = schedule.get_config()
    assert type(schedule).from_config(config).get_config() == config
    serialized = keras.saving.serialize_keras_object(schedule)
    assert serialized["registered_name"] == f"studykit>{type(schedule).__name__}"
    restored = keras.saving.deserialize_keras_object(serialized)
    assert type(restored) is type(schedule)
    steps = [0, 7, 33]
    assert _values(restored, steps) == _values(schedule, steps)


@pytest.mark.parametrize("name", list(SCHEDULES))
def test_schedule_drives_sgd_inside_fit(name):
    """With loss = mean(bias) the bias gradient is 1 at every step, so after n SGD steps
    the bias is -sum(lr(0..n-1)): the learning rates the optimizer really used."""
    schedule = SCHEDULES[name]()
    steps = 25
    model = keras.Sequential([keras.Input((1,)), keras.layers.Dense(1, kernel_initializer="zeros")])
    model.compile(
        optimizer=so.SGD(learning_rate=schedule),
        loss=lambda y_true, y_pred: keras.ops.mean(y_pred),
    )
    x = np.zeros((steps, 1), "float32")
    model.fit(x, x, batch_size=1, shuffle=False, verbose=0)
    expected = -sum(float(schedule(step)) for step in range(steps))
    bias = model.layers[0].bias
    np.testing.assert_allclose(keras.ops.convert_to_numpy(bias), [expected], rtol=1e-5)
    assert float(model.optimizer.learning_rate) == pytest.approx(float(schedule(steps)))


def test_hand_computed_sum_for_step_decay_in_fit():
    # 10 steps at 0.1, 10 at 0.05, 5 at 0.025: the bias ends at -1.625.
    model = keras.Sequential([keras.Input((1,)), keras.layers.Dense(1)])
    model.compile(
        optimizer=keras.optimizers.SGD(learning_rate=StepDecay(0.1, 10, 0.5)),
        loss=lambda y_true, y_pred: keras.ops.mean(y_pred),
    )
    x = np.zeros((25, 1), "float32")
    model.fit(x, x, batch_size=1, shuffle=False, verbose=0)
    np.testing.assert_allclose(
        keras.ops.convert_to_numpy(model.layers[0].bias), [-1.625], rtol=1e-6
    )


def test_model_with_schedule_saves_and_loads(tmp_path):
    schedule = CosineAnnealing(0.01, 5, eta_min=0.001, warm_restarts=True, T_mult=2)
    model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
    model.compile(optimizer=so.Adam(learning_rate=schedule), loss="mse")
    x = np.ones((8, 2), "float32")
    model.fit(x, x[:, :1], batch_size=1, shuffle=False, verbose=0)
    path = tmp_path / "scheduled.keras"
    model.save(path)
    loaded = keras.saving.load_model(path, safe_mode=True)
    restored = loaded.optimizer._learning_rate
    assert isinstance(restored, CosineAnnealing)
    assert restored.get_config() == schedule.get_config()
    assert int(loaded.optimizer.iterations) == 8
    # Step 8 is 3 steps into the second cycle (length 10).
    expected = 0.001 + 0.0045 * (1 + math.cos(math.pi * 3 / 10))
    assert float(loaded.optimizer.learning_rate) == pytest.approx(expected, rel=1e-6)


@pytest.mark.parametrize(
    "factory, argument",
    [
        (lambda: StepDecay(0.0, 10), "initial_learning_rate"),
        (lambda: StepDecay(0.1, 0), "step_size"),
        (lambda: StepDecay(0.1, 2.5), "step_size"),
        (lambda: StepDecay(0.1, 10, gamma=0.0), "gamma"),
        (lambda: StepDecay(0.1, 10, gamma=1.5), "gamma"),
        (lambda: ExponentialDecay(0.1, 1.01), "gamma"),
        (lambda: ExponentialDecay(-0.1, 0.9), "initial_learning_rate"),
        (lambda: CosineAnnealing(0.1, 0), "T_max"),
        (lambda: CosineAnnealing(0.1, 10, eta_min=0.2), "eta_min"),
        (lambda: CosineAnnealing(0.1, 10, eta_min=-0.01), "eta_min"),
        (lambda: CosineAnnealing(0.1, 10, warm_restarts=True, T_mult=0), "T_mult"),
        (lambda: CosineAnnealing(0.1, 10, warm_restarts=True, T_mult=1.5), "T_mult"),
        (lambda: CosineAnnealing(0.1, 10, warm_restarts="yes"), "warm_restarts"),
    ],
)
def test_invalid_arguments_name_the_argument(factory, argument):
    with pytest.raises(ValueError, match=argument):
        factory()


def test_invalid_range_message_gives_the_range():
    with pytest.raises(ValueError, match=r"gamma must be in \(0, 1\], got 0"):
        StepDecay(0.1, 10, gamma=0)
    with pytest.raises(ValueError, match=r"eta_min must be in \[0, 0\.1\], got 0\.2"):
        CosineAnnealing(0.1, 10, eta_min=0.2)
