"""studykit.regularizers against Keras' regularizers (same formulas: L2 = l2·Σw², no ½)."""

import keras
import numpy as np
import pytest

from studykit import regularizers

W = np.random.default_rng(1).normal(size=(5, 4)).astype("float32")


def value(x):
    return float(keras.ops.convert_to_numpy(x))


@pytest.mark.parametrize(
    "ours, theirs, expected",
    [
        (regularizers.L1(0.03), keras.regularizers.L1(0.03), 0.03 * np.abs(W).sum()),
        (regularizers.L2(0.05), keras.regularizers.L2(0.05), 0.05 * (W**2).sum()),
        (
            regularizers.L1L2(l1=0.02, l2=0.07),
            keras.regularizers.L1L2(l1=0.02, l2=0.07),
            0.02 * np.abs(W).sum() + 0.07 * (W**2).sum(),
        ),
        (regularizers.L1L2(), keras.regularizers.L1L2(), 0.0),
    ],
    ids=["l1", "l2", "l1l2", "l1l2_zero"],
)
def test_matches_keras_and_formula(ours, theirs, expected):
    np.testing.assert_allclose(value(ours(W)), value(theirs(W)), rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(value(ours(W)), expected, rtol=1e-6, atol=1e-6)


def test_defaults_match_keras():
    assert regularizers.L1().l1 == keras.regularizers.L1().l1
    assert regularizers.L2().l2 == keras.regularizers.L2().l2


def test_penalty_is_added_to_model_losses():
    layer = keras.layers.Dense(4, kernel_regularizer=regularizers.L2(0.1), use_bias=False)
    layer.build((None, 5))
    layer.kernel.assign(W)
    (penalty,) = layer.losses
    np.testing.assert_allclose(value(penalty), 0.1 * (W**2).sum(), rtol=1e-6)


@pytest.mark.parametrize(
    "make, name",
    [
        (lambda: regularizers.L1(-0.1), "l1"),
        (lambda: regularizers.L2(-1), "l2"),
        (lambda: regularizers.L2("big"), "l2"),
        (lambda: regularizers.L1L2(l1=0.1, l2=float("nan")), "l2"),
    ],
)
def test_invalid_factor(make, name):
    with pytest.raises(ValueError, match=name):
        make()


@pytest.mark.parametrize(
    "reg", [regularizers.L1(0.2), regularizers.L2(0.3), regularizers.L1L2(0.1, 0.4)]
)
def test_config_round_trip(reg):
    config = reg.get_config()
    assert type(reg).from_config(config).get_config() == config
    restored = keras.saving.deserialize_keras_object(keras.saving.serialize_keras_object(reg))
    assert type(restored) is type(reg) and restored.get_config() == config
