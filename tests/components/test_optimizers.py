"""studykit.optimizers against the Keras built-ins, the documented update rules and saving.

The optimizers follow Keras' forms (docs/reference.md, "Where the textbook and Keras differ"):
Adam's epsilon-hat, Adagrad's initial accumulator 0.1 with epsilon inside the square root,
RMSprop's rho 0.9 and Keras' Nesterov form.
"""

import keras
import numpy as np
import pytest

from studykit import optimizers as so
from studykit import schedules

ATOL = 1e-6
STEPS = 100
BATCH = 16


@pytest.fixture(scope="module")
def data():
    """1,600 samples = 100 batches of 16: one epoch of ``fit`` is 100 optimizer steps."""
    rng = np.random.default_rng(0)
    x = rng.normal(size=(STEPS * BATCH, 4)).astype("float32")
    y = x @ np.array([[1.0], [-2.0], [0.5], [0.0]]) + 0.1 * rng.normal(size=(len(x), 1))
    return x, y.astype("float32")


@pytest.fixture(scope="module")
def initial_weights():
    keras.utils.set_random_seed(0)
    return _model().get_weights()


def _model():
    return keras.Sequential(
        [keras.Input((4,)), keras.layers.Dense(8, activation="tanh"), keras.layers.Dense(1)]
    )


def _compiled(optimizer, weights, jit_compile="auto"):
    model = _model()
    model.set_weights(weights)
    model.compile(optimizer=optimizer, loss="mse", jit_compile=jit_compile, steps_per_execution=25)
    return model


def _train(optimizer, data, weights, jit_compile="auto"):
    """Run 100 steps of ``model.fit`` from ``weights``; return the trained model."""
    model = _compiled(optimizer, weights, jit_compile)
    x, y = data
    model.fit(x, y, batch_size=BATCH, epochs=1, shuffle=False, verbose=0)
    assert int(model.optimizer._iterations) == STEPS  # batches seen (accumulation counts all)
    return model


def _assert_same_weights(model_a, model_b, initial_weights):
    weights_a, weights_b = model_a.get_weights(), model_b.get_weights()
    for a, b in zip(weights_a, weights_b):
        np.testing.assert_allclose(a, b, rtol=0, atol=ATOL)
    # The comparison means something only if training moved the weights.
    moved = max(np.abs(a - w).max() for a, w in zip(weights_a, initial_weights))
    assert moved > 1e-3


# (custom factory, Keras factory) with identical arguments. Factories, because an optimizer
# (and a schedule) must not be shared between two models.
CASES = {
    "sgd": (lambda: so.SGD(), lambda: keras.optimizers.SGD()),
    "sgd_momentum": (
        lambda: so.Momentum(learning_rate=0.02),
        lambda: keras.optimizers.SGD(learning_rate=0.02, momentum=0.9),
    ),
    "sgd_nesterov": (
        lambda: so.Nesterov(learning_rate=0.02, momentum=0.8),
        lambda: keras.optimizers.SGD(learning_rate=0.02, momentum=0.8, nesterov=True),
    ),
    "sgd_class_nesterov": (
        lambda: so.SGD(learning_rate=0.05, momentum=0.5, nesterov=True),
        lambda: keras.optimizers.SGD(learning_rate=0.05, momentum=0.5, nesterov=True),
    ),
    "adagrad": (
        lambda: so.AdaGrad(learning_rate=0.1),
        lambda: keras.optimizers.Adagrad(learning_rate=0.1),
    ),
    "adagrad_zero_accumulator": (
        lambda: so.AdaGrad(learning_rate=0.1, initial_accumulator_value=0.0, epsilon=1e-4),
        lambda: keras.optimizers.Adagrad(
            learning_rate=0.1, initial_accumulator_value=0.0, epsilon=1e-4
        ),
    ),
    "rmsprop": (lambda: so.RMSProp(), lambda: keras.optimizers.RMSprop()),
    "rmsprop_momentum_ema": (
        lambda: so.RMSProp(learning_rate=0.005, momentum=0.5, use_ema=True),
        lambda: keras.optimizers.RMSprop(learning_rate=0.005, momentum=0.5, use_ema=True),
    ),
    "rmsprop_centered": (
        lambda: so.RMSProp(learning_rate=0.005, rho=0.8, centered=True),
        lambda: keras.optimizers.RMSprop(learning_rate=0.005, rho=0.8, centered=True),
    ),
    "adam_defaults": (lambda: so.Adam(), lambda: keras.optimizers.Adam()),
    "adam_amsgrad": (
        lambda: so.Adam(learning_rate=0.01, beta_2=0.99, amsgrad=True),
        lambda: keras.optimizers.Adam(learning_rate=0.01, beta_2=0.99, amsgrad=True),
    ),
    "adam_weight_decay": (
        lambda: so.Adam(learning_rate=0.01, weight_decay=0.05),
        lambda: keras.optimizers.Adam(learning_rate=0.01, weight_decay=0.05),
    ),
    "adam_gradient_accumulation": (
        lambda: so.Adam(learning_rate=0.01, gradient_accumulation_steps=2),
        lambda: keras.optimizers.Adam(learning_rate=0.01, gradient_accumulation_steps=2),
    ),
    "sgd_momentum_clipnorm": (
        lambda: so.SGD(learning_rate=0.05, momentum=0.9, clipnorm=0.1),
        lambda: keras.optimizers.SGD(learning_rate=0.05, momentum=0.9, clipnorm=0.1),
    ),
    "momentum_step_decay_schedule": (
        lambda: so.Momentum(learning_rate=schedules.StepDecay(0.05, 30, 0.5)),
        lambda: keras.optimizers.SGD(
            learning_rate=schedules.StepDecay(0.05, 30, 0.5), momentum=0.9
        ),
    ),
}


@pytest.mark.parametrize("case", list(CASES))
def test_matches_keras_builtin_in_fit(case, data, initial_weights):
    custom, builtin = CASES[case]
    model_custom = _train(custom(), data, initial_weights)
    model_keras = _train(builtin(), data, initial_weights)
    _assert_same_weights(model_custom, model_keras, initial_weights)


def test_custom_adam_matches_keras_adam_in_fit(data, initial_weights):
    """Custom Adam vs keras.optimizers.Adam with identical arguments: 100 steps on random
    data of a small model give the same weights to 1e-6; both inside model.fit."""
    kwargs = dict(learning_rate=0.01, beta_1=0.8, beta_2=0.99, epsilon=1e-6)
    model_custom = _train(so.Adam(**kwargs), data, initial_weights)
    model_keras = _train(keras.optimizers.Adam(**kwargs), data, initial_weights)
    _assert_same_weights(model_custom, model_keras, initial_weights)
    custom_state = [keras.ops.convert_to_numpy(v) for v in model_custom.optimizer.variables]
    keras_state = [keras.ops.convert_to_numpy(v) for v in model_keras.optimizer.variables]
    assert len(custom_state) == len(keras_state) == 2 + 2 * 4  # iterations, lr, m and v
    for a, b in zip(custom_state, keras_state):
        np.testing.assert_allclose(a, b, rtol=0, atol=ATOL)


@pytest.mark.parametrize("jit_compile", [True, False])
@pytest.mark.parametrize("case", ["adam_amsgrad", "sgd_momentum"])
def test_jit_compile_on_and_off(case, jit_compile, data, initial_weights):
    custom, builtin = CASES[case]
    model_custom = _train(custom(), data, initial_weights, jit_compile=jit_compile)
    model_keras = _train(builtin(), data, initial_weights, jit_compile=jit_compile)
    assert model_custom.jit_compile is jit_compile
    _assert_same_weights(model_custom, model_keras, initial_weights)


def _run_rule(optimizer, gradients, x0):
    """Apply ``gradients`` one after another to a variable starting at ``x0``."""
    variable = keras.Variable(np.array(x0, dtype="float32"))
    path = []
    for g in gradients:
        optimizer.apply_gradients([(keras.ops.convert_to_tensor(g, "float32"), variable)])
        path.append(keras.ops.convert_to_numpy(variable).copy())
    return np.array(path)


GRADIENTS = np.array([[1.0, -2.0], [0.5, 0.5], [-1.0, 3.0]])
X0 = [1.0, -1.0]


def test_nesterov_follows_keras_form_not_the_books():
    lr, mu = 0.1, 0.9
    path = _run_rule(so.Nesterov(learning_rate=lr, momentum=mu), GRADIENTS, X0)
    x, v = np.array(X0), np.zeros(2)
    book_x, book_v = np.array(X0), np.zeros(2)
    for g, got in zip(GRADIENTS, path):
        x = x + mu**2 * v - (1 + mu) * lr * g  # Keras form, with the velocity before the update
        v = mu * v - lr * g
        np.testing.assert_allclose(got, x, atol=1e-6)
        book_v = mu * book_v - lr * g  # the book's code updates v first
        book_x = book_x + mu**2 * book_v - (1 + mu) * lr * g
    # After the first step the two forms disagree: here by 0.148 on the second coordinate.
    assert np.abs(path[-1] - book_x).max() > 0.1


def test_adagrad_rule_with_keras_defaults():
    lr = 0.5
    path = _run_rule(so.AdaGrad(learning_rate=lr), GRADIENTS, X0)
    x, h = np.array(X0), np.full(2, 0.1)
    for g, got in zip(GRADIENTS, path):
        h = h + g * g
        x = x - lr * g / np.sqrt(h + 1e-7)
        np.testing.assert_allclose(got, x, atol=1e-6)
    # First step by hand: 1 - 0.5 * 1 / sqrt(1.1) = 0.523268
    np.testing.assert_allclose(path[0, 0], 0.523268, atol=1e-6)


def test_rmsprop_centered_momentum_rule():
    lr, rho, mu = 0.01, 0.9, 0.5
    opt = so.RMSProp(learning_rate=lr, rho=rho, momentum=mu, centered=True)
    path = _run_rule(opt, GRADIENTS, X0)
    x, h, a, s = np.array(X0), np.zeros(2), np.zeros(2), np.zeros(2)
    for g, got in zip(GRADIENTS, path):
        h = rho * h + (1 - rho) * g * g
        a = rho * a + (1 - rho) * g
        s = mu * s + lr * g / np.sqrt(h - a * a + 1e-7)
        x = x - s
        np.testing.assert_allclose(got, x, atol=1e-6)


def test_adam_uses_epsilon_hat_and_step_iterations_plus_one():
    lr, b1, b2, eps = 0.1, 0.9, 0.999, 0.5  # a large epsilon makes the form visible
    path = _run_rule(so.Adam(learning_rate=lr, epsilon=eps), GRADIENTS, X0)
    x, m, v = np.array(X0), np.zeros(2), np.zeros(2)
    paper_x = np.array(X0)
    for t, (g, got) in enumerate(zip(GRADIENTS, path), start=1):
        m = m + (1 - b1) * (g - m)
        v = v + (1 - b2) * (g * g - v)
        alpha = lr * np.sqrt(1 - b2**t) / (1 - b1**t)
        x = x - alpha * m / (np.sqrt(v) + eps)
        np.testing.assert_allclose(got, x, atol=1e-6)
        m_hat, v_hat = m / (1 - b1**t), v / (1 - b2**t)
        paper_x = paper_x - lr * m_hat / (np.sqrt(v_hat) + eps)  # Algorithm 1 form
    # With epsilon 0.5 the paper's Algorithm 1 takes much larger steps (0.118 apart here).
    assert np.abs(path[-1] - paper_x).max() > 0.05


def test_weight_decay_is_applied_before_the_step():
    lr, wd = 0.1, 0.5
    path = _run_rule(so.SGD(learning_rate=lr, weight_decay=wd), GRADIENTS[:1], X0)
    x = np.array(X0)
    np.testing.assert_allclose(path[0], x - x * wd * lr - lr * GRADIENTS[0], atol=1e-6)


# Save / load ------------------------------------------------------------------------------

SAVE_CASES = {
    "SGD": lambda: so.SGD(learning_rate=0.05, momentum=0.5),
    "Momentum": lambda: so.Momentum(learning_rate=0.02),
    "Nesterov": lambda: so.Nesterov(learning_rate=0.02),
    "AdaGrad": lambda: so.AdaGrad(learning_rate=0.1),
    "RMSProp": lambda: so.RMSProp(learning_rate=0.005, momentum=0.5, centered=True),
    "Adam": lambda: so.Adam(learning_rate=0.01, amsgrad=True),
}


def _state(optimizer):
    return [keras.ops.convert_to_numpy(v) for v in optimizer.variables]


@pytest.mark.parametrize("name", list(SAVE_CASES))
def test_save_load_keeps_state_and_trajectory(name, data, initial_weights, tmp_path):
    x, y = data
    half = len(x) // 2
    model = _compiled(SAVE_CASES[name](), initial_weights)
    model.fit(x[:half], y[:half], batch_size=BATCH, shuffle=False, verbose=0)

    path = tmp_path / f"{name}.keras"
    model.save(path)
    loaded = keras.saving.load_model(path, safe_mode=True)

    assert type(loaded.optimizer) is getattr(so, name)
    assert loaded.optimizer.get_config() == model.optimizer.get_config()
    assert int(loaded.optimizer.iterations) == STEPS // 2
    before, after = _state(model.optimizer), _state(loaded.optimizer)
    assert len(before) == len(after) > 2  # slot variables were saved, not just iterations/lr
    for a, b in zip(before, after):
        np.testing.assert_array_equal(a, b)

    for m in (model, loaded):
        m.fit(x[half:], y[half:], batch_size=BATCH, shuffle=False, verbose=0)
    assert int(loaded.optimizer.iterations) == STEPS
    _assert_same_weights(loaded, model, initial_weights)


# Config -----------------------------------------------------------------------------------

CONFIG_CASES = {
    "SGD": lambda: so.SGD(learning_rate=0.05, momentum=0.5, nesterov=True, clipnorm=1.0),
    "Momentum": lambda: so.Momentum(learning_rate=0.02, momentum=0.8, weight_decay=0.01),
    "Nesterov": lambda: so.Nesterov(momentum=0.7),
    "AdaGrad": lambda: so.AdaGrad(initial_accumulator_value=0.0, epsilon=1e-3),
    "RMSProp": lambda: so.RMSProp(rho=0.99, momentum=0.1, epsilon=1e-6, centered=True),
    "Adam": lambda: so.Adam(
        learning_rate=schedules.CosineAnnealing(0.01, 100, eta_min=0.001),
        beta_1=0.8,
        amsgrad=True,
        global_clipnorm=2.0,
    ),
}


@pytest.mark.parametrize("name", list(CONFIG_CASES))
def test_get_config_round_trip(name):
    optimizer = CONFIG_CASES[name]()
    config = optimizer.get_config()
    restored = type(optimizer).from_config(dict(config))  # Keras' from_config edits its input
    assert restored.get_config() == config
    # The registered name lets Keras find the class from a serialized config alone.
    serialized = keras.optimizers.serialize(optimizer)
    assert serialized["registered_name"] == f"studykit>{name}"
    again = keras.optimizers.deserialize(serialized)
    assert type(again) is type(optimizer)
    assert again.get_config() == config


@pytest.mark.parametrize(
    "custom, builtin",
    [
        (so.SGD, keras.optimizers.SGD),
        (so.AdaGrad, keras.optimizers.Adagrad),
        (so.RMSProp, keras.optimizers.RMSprop),
        (so.Adam, keras.optimizers.Adam),
    ],
)
def test_defaults_match_keras(custom, builtin):
    ours, theirs = custom().get_config(), builtin().get_config()
    ours.pop("name"), theirs.pop("name")
    assert ours == theirs


def test_momentum_and_nesterov_are_sgd_with_other_defaults():
    assert isinstance(so.Momentum(), so.SGD) and isinstance(so.Nesterov(), so.SGD)
    assert (so.Momentum().momentum, so.Momentum().nesterov) == (0.9, False)
    assert (so.Nesterov().momentum, so.Nesterov().nesterov) == (0.9, True)
    momentum = so.Momentum().get_config()
    keras_momentum = keras.optimizers.SGD(momentum=0.9).get_config()
    assert "nesterov" not in momentum
    assert momentum["learning_rate"] == keras_momentum["learning_rate"]


def test_learning_rate_accepts_int_and_schedule():
    assert float(so.SGD(learning_rate=1).learning_rate) == 1.0
    schedule = schedules.StepDecay(0.1, 10, 0.5)
    assert so.Adam(learning_rate=schedule)._learning_rate is schedule


@pytest.mark.parametrize(
    "cls, kwargs, argument",
    [
        (so.SGD, {"learning_rate": 0.0}, "learning_rate"),
        (so.Adam, {"learning_rate": -0.1}, "learning_rate"),
        (so.SGD, {"momentum": 1.0}, "momentum"),
        (so.Momentum, {"momentum": -0.1}, "momentum"),
        (so.SGD, {"nesterov": "yes"}, "nesterov"),
        (so.RMSProp, {"rho": 1.0}, "rho"),
        (so.RMSProp, {"momentum": 1.5}, "momentum"),
        (so.RMSProp, {"epsilon": -1e-7}, "epsilon"),
        (so.RMSProp, {"centered": 1}, "centered"),
        (so.Adam, {"beta_1": 1.0}, "beta_1"),
        (so.Adam, {"beta_2": -0.5}, "beta_2"),
        (so.Adam, {"epsilon": -1.0}, "epsilon"),
        (so.Adam, {"amsgrad": None}, "amsgrad"),
        (so.AdaGrad, {"initial_accumulator_value": -0.1}, "initial_accumulator_value"),
        (so.AdaGrad, {"epsilon": "small"}, "epsilon"),
    ],
)
def test_invalid_arguments_name_the_argument(cls, kwargs, argument):
    with pytest.raises(ValueError, match=argument):
        cls(**kwargs)


def test_invalid_range_message_gives_the_range():
    with pytest.raises(ValueError, match=r"momentum must be in \[0, 1\), got 1\.0"):
        so.SGD(momentum=1.0)
    with pytest.raises(ValueError, match=r"learning_rate must be in \(0, inf\), got 0\.0"):
        so.Adam(learning_rate=0.0)


@pytest.mark.parametrize("name", ["SGD", "AdaGrad", "RMSProp", "Adam"])
def test_optimizer_path_repeats_the_eager_updates(name):
    """The traced loop (TensorFlow) or the eager one steps exactly like apply_gradients in
    Python, with a gradient that depends on the position (a bowl x²/20 + y²)."""
    from studykit._gradients import optimizer_path

    def gradient(_step, xy):
        return [xy[0] / 10.0, 2.0 * xy[1]]

    start = np.array([-7.0, 2.0])
    path = optimizer_path(getattr(so, name)(learning_rate=0.1), start, 25, gradient)

    optimizer = getattr(so, name)(learning_rate=0.1)
    variable = keras.Variable(start.astype("float32"))
    expected = [start]
    for _ in range(25):
        xy = keras.ops.convert_to_numpy(variable).astype(np.float64)
        update = np.array(gradient(0, xy)).astype("float32")
        optimizer.apply_gradients([(keras.ops.convert_to_tensor(update), variable)])
        expected.append(keras.ops.convert_to_numpy(variable).astype(np.float64))
    assert path.shape == (26, 2)
    np.testing.assert_allclose(path, np.array(expected), rtol=1e-6, atol=1e-7)
    assert optimizer_path(getattr(so, name)(), start, 0, gradient).tolist() == [start.tolist()]


def test_optimizer_paths_step_each_optimizer_as_if_it_were_alone():
    """Several optimizers in one loop never touch each other's variable: each path equals
    the path of that optimizer run on its own."""
    from studykit._gradients import optimizer_path, optimizer_paths

    def gradient(_step, xy):
        return [xy[0] / 10.0, 2.0 * xy[1]]

    names = ["SGD", "Momentum", "RMSProp", "Adam"]
    start = np.array([-7.0, 2.0])
    together = optimizer_paths(
        [getattr(so, n)(learning_rate=0.1) for n in names], start, 20, gradient
    )
    assert together.shape == (len(names), 21, 2)
    for name, path in zip(names, together, strict=True):
        alone = optimizer_path(getattr(so, name)(learning_rate=0.1), start, 20, gradient)
        np.testing.assert_allclose(path, alone, rtol=1e-6, atol=1e-7)
