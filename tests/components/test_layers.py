"""studykit.layers by numbers, plus one model that uses every studykit layer, loss and
regularizer (fit with and without XLA, mixed precision, .keras save/load)."""

import keras
import numpy as np
import pytest

from studykit import augment, layers, losses, regularizers

rng = np.random.default_rng(2)


def value(x):
    return keras.ops.convert_to_numpy(x)


# --- Dropout (inverted dropout, like Keras; the textbook scales by 1 - p at test time) ---

X_DROP = rng.uniform(0.5, 1.5, size=(200, 50)).astype("float32")  # no zeros in the input


def test_dropout_inference_is_identity():
    layer = layers.Dropout(0.5, seed=1)
    np.testing.assert_array_equal(value(layer(X_DROP)), X_DROP)
    np.testing.assert_array_equal(value(layer(X_DROP, training=False)), X_DROP)


@pytest.mark.parametrize("rate", [0.2, 0.5])
def test_dropout_training_scales_kept_units(rate):
    out = value(layers.Dropout(rate, seed=3)(X_DROP, training=True))
    kept = out != 0
    # Kept units are x / (1 - rate) (within 1 ulp: XLA's float32 division on CPU, used by
    # JAX, is not always correctly rounded; TensorFlow matches numpy bit for bit).
    np.testing.assert_array_max_ulp(out[kept], (X_DROP / np.float32(1 - rate))[kept], maxulp=1)
    assert np.all(np.abs(out[kept] - X_DROP[kept]) > 0.1)  # scaled, not copied
    assert abs((~kept).mean() - rate) < 0.02  # 10,000 units: std of the fraction ~0.005


def test_dropout_preserves_expectation():
    x = np.tile(X_DROP[:1], (4000, 1))  # 4,000 independent masks of one input row
    out = value(layers.Dropout(0.5, seed=4)(x, training=True))
    np.testing.assert_allclose(out.mean(axis=0), X_DROP[0], rtol=0.07)  # ~4 std errors


def test_dropout_seed_gives_same_mask():
    a = value(layers.Dropout(0.5, seed=7)(X_DROP, training=True))
    b = value(layers.Dropout(0.5, seed=7)(X_DROP, training=True))
    c = value(layers.Dropout(0.5, seed=8)(X_DROP, training=True))
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)


def test_dropout_noise_shape_shares_mask():
    out = value(layers.Dropout(0.5, noise_shape=(None, 1), seed=5)(X_DROP, training=True))
    dropped_rows = out[:, 0] == 0
    assert np.all((out == 0) == dropped_rows[:, None])
    assert 0 < dropped_rows.sum() < len(out)


@pytest.mark.parametrize("rate", [-0.1, 1.0, 1.5, "half", float("nan")])
def test_dropout_invalid_rate(rate):
    with pytest.raises(ValueError, match=r"rate must be .*\[0, 1\)|rate must be a number"):
        layers.Dropout(rate)


def test_dropout_zero_rate_is_identity_in_training():
    np.testing.assert_array_equal(value(layers.Dropout(0.0)(X_DROP, training=True)), X_DROP)


# --- BatchNormalization vs keras.layers.BatchNormalization ---

# TensorFlow computes in float64, so both layers agree to 1e-6 (in fact ~1e-15). JAX disables
# float64 by default (jax_enable_x64), so there both run in float32, where the two
# implementations differ only in rounding order: a few float32 ulps of values around 1-10.
BN_DTYPE, BN_TOL = ("float64", 1e-6) if keras.backend.backend() != "jax" else ("float32", 1e-5)


@pytest.mark.parametrize(
    "shape, axis", [((16, 5), -1), ((4, 3, 3, 2), -1), ((4, 2, 3, 3), 1)], ids=["2d", "4d", "axis1"]
)
def test_batch_norm_matches_keras(shape, axis):
    kwargs = dict(axis=axis, momentum=0.8, epsilon=1e-3, dtype=BN_DTYPE)
    ours, theirs = layers.BatchNormalization(**kwargs), keras.layers.BatchNormalization(**kwargs)
    ours.build(shape)
    theirs.build(shape)
    features = shape[axis]
    gamma, beta = rng.uniform(0.5, 2, features), rng.normal(size=features)
    for layer in (ours, theirs):
        layer.gamma.assign(gamma)
        layer.beta.assign(beta)

    def close(a, b):
        np.testing.assert_allclose(value(a), value(b), rtol=BN_TOL, atol=BN_TOL)

    for step in range(4):
        x = rng.normal(loc=step, scale=3.0, size=shape).astype(BN_DTYPE)
        close(ours(x, training=True), theirs(x, training=True))
    close(ours.moving_mean, theirs.moving_mean)
    close(ours.moving_variance, theirs.moving_variance)
    assert np.abs(value(ours.moving_mean)).max() > 0.1  # the stats did move
    x = rng.normal(loc=1.0, scale=2.0, size=shape).astype(BN_DTYPE)
    close(ours(x, training=False), theirs(x, training=False))
    assert [w.name for w in ours.non_trainable_weights] == ["moving_mean", "moving_variance"]


def test_batch_norm_training_output_is_standardized():
    x = rng.normal(loc=5.0, scale=4.0, size=(64, 3)).astype("float32")
    out = value(layers.BatchNormalization(epsilon=1e-6)(x, training=True))
    np.testing.assert_allclose(out.mean(0), 0.0, atol=1e-5)
    np.testing.assert_allclose(out.std(0), 1.0, atol=1e-4)


@pytest.mark.parametrize(
    "kwargs, name",
    [
        ({"momentum": 1.5}, "momentum"),
        ({"epsilon": 0.0}, "epsilon"),
        ({"axis": 1.0}, "axis"),
        ({"center": "yes"}, "center"),
    ],
)
def test_batch_norm_invalid_arguments(kwargs, name):
    with pytest.raises(ValueError, match=name):
        layers.BatchNormalization(**kwargs)


def test_batch_norm_axis_out_of_range():
    with pytest.raises(ValueError, match="axis"):
        layers.BatchNormalization(axis=3).build((None, 4))


# --- Maxout ---


def test_maxout_is_max_over_pieces_of_affine_maps():
    layer = layers.Maxout(3, pieces=4, bias_initializer="random_normal")
    x = rng.normal(size=(5, 6)).astype("float32")
    out = value(layer(x))
    kernel, bias = (value(w) for w in layer.weights)
    assert kernel.shape == (6, 12)
    # The affine maps via keras' matmul (same precision as the layer: on GPUs float32
    # matmuls may use TF32), then reshape and max by hand.
    z = value(keras.ops.matmul(x, kernel)) + bias
    expected = z.reshape(5, 3, 4).max(axis=-1)  # (batch, units, pieces)
    np.testing.assert_allclose(out, expected, rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(out, (x @ kernel + bias).reshape(5, 3, 4).max(-1), rtol=1e-2)
    # Leading axes are kept.
    assert value(layer(x.reshape(1, 5, 6))).shape == (1, 5, 3)


@pytest.mark.parametrize(
    "kwargs, name",
    [
        ({"units": 0}, "units"),
        ({"units": 2.5}, "units"),
        ({"units": 3, "pieces": 0}, "pieces"),
        ({"units": 3, "pieces": "two"}, "pieces"),
    ],
)
def test_maxout_invalid_arguments(kwargs, name):
    with pytest.raises(ValueError, match=name):
        layers.Maxout(**kwargs)


# --- configs ---

LAYERS = [
    layers.Dropout(0.3, noise_shape=(None, 1), seed=3, name="drop"),
    layers.BatchNormalization(axis=1, momentum=0.9, epsilon=1e-5, center=False),
    layers.Maxout(4, pieces=3, kernel_regularizer=regularizers.L1L2(0.01, 0.02)),
]


@pytest.mark.parametrize("layer", LAYERS, ids=lambda layer: type(layer).__name__)
def test_layer_config_round_trip(layer):
    config = layer.get_config()
    assert type(layer).from_config(config).get_config() == config
    restored = keras.saving.deserialize_keras_object(keras.saving.serialize_keras_object(layer))
    assert type(restored) is type(layer) and restored.get_config() == config


# --- one model with every studykit layer, loss and regularizer ---

IMAGES = rng.uniform(0, 1, size=(8, 8, 8, 3)).astype("float32")
CLASSES = rng.integers(0, 3, size=(8,))
TARGETS = rng.normal(size=(8, 1)).astype("float32")


def build_model():
    inputs = keras.Input((8, 8, 3))
    x = augment.RandomFlip("horizontal_and_vertical", seed=1)(inputs)
    x = augment.RandomTranslation(0.1, 0.1, seed=2)(x)
    x = augment.RandomZoom(0.1, seed=3)(x)
    x = augment.RandomBrightness(0.1, seed=4)(x)
    x = augment.RandomErasing(0.5, seed=5)(x)
    x = augment.GaussianBlur(sigma=0.8, kernel_size=3)(x)
    x = augment.GaussianNoise(0.02, seed=6)(x)
    x = augment.ColorNoise(0.05, seed=7)(x)
    x = augment.RandomCrop(6, 6, seed=8)(x)
    x = keras.layers.Conv2D(4, 3, kernel_regularizer=regularizers.L2(1e-3))(x)
    x = layers.BatchNormalization(momentum=0.5)(x)
    x = keras.layers.Flatten()(x)
    x = layers.Maxout(6, pieces=2, kernel_regularizer=regularizers.L1L2(1e-4, 1e-3))(x)
    x = layers.BatchNormalization()(x)
    x = layers.Dropout(0.2, seed=9)(x)
    logits = keras.layers.Dense(
        3, kernel_regularizer=regularizers.L1(1e-4), dtype="float32", name="cls"
    )(x)
    value_out = keras.layers.Dense(1, dtype="float32", name="val")(x)
    return keras.Model(inputs, {"cls": logits, "val": value_out})


def compile_model(model, jit_compile):
    model.compile(
        optimizer=keras.optimizers.SGD(0.05),
        loss={
            "cls": losses.SparseCategoricalCrossEntropy(from_logits=True),
            "val": losses.MeanSquaredError(),
        },
        jit_compile=jit_compile,
    )


def fit_once(model, batch_size=8):
    targets = {"cls": CLASSES, "val": TARGETS}
    history = model.fit(IMAGES, targets, batch_size=batch_size, verbose=0, shuffle=False)
    return history.history["loss"]


def fit_new_model(jit_compile, batch_size=8):
    keras.utils.set_random_seed(0)
    model = build_model()
    compile_model(model, jit_compile)
    kernel_before = value(model.get_layer("cls").kernel).copy()
    loss = fit_once(model, batch_size)
    return model, kernel_before, loss


@pytest.fixture(scope="module")
def fitted_model():
    """The all-components model after one XLA-compiled training step (shared by tests)."""
    return fit_new_model(jit_compile=True)


def check_trained(model, kernel_before, loss):
    assert np.all(np.isfinite(loss))
    assert not np.allclose(value(model.get_layer("cls").kernel), kernel_before)
    bn = [layer for layer in model.layers if isinstance(layer, layers.BatchNormalization)]
    assert len(bn) == 2
    assert all(np.abs(value(layer.moving_mean)).max() > 0 for layer in bn)
    assert len(model.losses) == 3  # one penalty per regularized kernel


def test_fit_with_jit_compile(fitted_model):
    check_trained(*fitted_model)


def test_fit_without_jit_compile():
    check_trained(*fit_new_model(jit_compile=False))


@pytest.fixture
def mixed_precision():
    keras.mixed_precision.set_global_policy("mixed_float16")
    try:
        yield
    finally:
        keras.mixed_precision.set_global_policy("float32")


def test_fit_under_mixed_float16(mixed_precision):
    # compile() wraps the optimizer in a LossScaleOptimizer, which skips the first steps
    # while it lowers the loss scale after float16 gradient overflows: take 4 steps.
    model, kernel_before, loss = fit_new_model(jit_compile="auto", batch_size=2)
    check_trained(model, kernel_before, loss)
    bn = next(layer for layer in model.layers if isinstance(layer, layers.BatchNormalization))
    assert bn.compute_dtype == "float16"
    assert bn.moving_variance.dtype == "float32"
    maxout = next(layer for layer in model.layers if isinstance(layer, layers.Maxout))
    assert maxout.kernel.dtype == "float32"
    out = maxout(np.ones((2, maxout.kernel.shape[0]), "float32"))
    assert keras.backend.standardize_dtype(out.dtype) == "float16"
    # Squared deviations of ~300 overflow float16 (max 65504); the statistics use float32.
    big = rng.normal(0.0, 300.0, size=(4, 4, 4, 4)).astype("float32")
    bn_out = bn(big, training=True)
    assert keras.backend.standardize_dtype(bn_out.dtype) == "float16"
    np.testing.assert_allclose(value(bn_out).astype("float32").std(axis=(0, 1, 2)), 1.0, atol=0.01)
    assert np.all(np.isfinite(value(bn.moving_variance)))


def test_save_and_load_keras_file(fitted_model, tmp_path):
    model = fitted_model[0]  # trained, so the BN statistics are no longer 0 and 1
    path = tmp_path / "all_components.keras"
    model.save(path)
    restored = keras.saving.load_model(path, safe_mode=True)
    for key, expected in model.predict(IMAGES, verbose=0).items():
        np.testing.assert_array_equal(restored.predict(IMAGES, verbose=0)[key], expected)
    assert isinstance(restored.loss["cls"], losses.SparseCategoricalCrossEntropy)
    assert restored.loss["cls"].from_logits is True
    assert isinstance(restored.loss["val"], losses.MeanSquaredError)
    names = [type(layer).__name__ for layer in restored.layers]
    assert names.count("BatchNormalization") == 2
    assert sum(type(layer).__module__ == "studykit.augment" for layer in restored.layers) == 9
    maxout = next(layer for layer in restored.layers if isinstance(layer, layers.Maxout))
    assert isinstance(maxout.kernel_regularizer, regularizers.L1L2)
