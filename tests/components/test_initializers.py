"""Initializers: sample variance vs the notes' formulas, fans of Dense/Conv kernels."""

import math

import keras
import numpy as np
import pytest

from studykit import initializers as init


@pytest.mark.parametrize(
    "shape, fans",
    [((300, 200), (300, 200)), ((3, 3, 16, 32), (144, 288)), ((50,), (50, 50)), ((), (1, 1))],
)
def test_compute_fans_for_dense_and_conv(shape, fans):
    assert init.compute_fans(shape) == fans
    if len(shape) >= 2:
        from keras.src.initializers.random_initializers import compute_fans

        assert compute_fans(shape) == fans


N_IN, N_OUT = 400, 300
FORMULAS = {
    init.LeCunUniform: ("uniform", math.sqrt(3 / N_IN)),
    init.GlorotUniform: ("uniform", math.sqrt(6 / (N_IN + N_OUT))),
    init.HeUniform: ("uniform", math.sqrt(6 / N_IN)),
    init.LeCunNormal: ("normal", math.sqrt(1 / N_IN)),
    init.GlorotNormal: ("normal", math.sqrt(2 / (N_IN + N_OUT))),
    init.HeNormal: ("normal", math.sqrt(2 / N_IN)),
}


@pytest.mark.parametrize("cls", FORMULAS, ids=lambda c: c.__name__)
def test_sample_statistics_follow_the_formula(cls):
    kind, scale = FORMULAS[cls]
    w = keras.ops.convert_to_numpy(cls(seed=1)((N_IN, N_OUT)))
    assert abs(w.mean()) < 0.01 * scale * 10
    if kind == "uniform":
        assert w.max() <= scale and w.min() >= -scale
        assert w.max() > 0.99 * scale  # fills the whole interval (-r, r)
        assert w.std() == pytest.approx(scale / math.sqrt(3), rel=0.01)
    else:
        assert w.std() == pytest.approx(scale, rel=0.01)
        # a plain normal has tails beyond 2 std (Keras' truncated normal has none)
        assert (np.abs(w) > 2 * scale).mean() == pytest.approx(0.0455, abs=0.005)


def test_random_normal_stddev_and_seed_reproducibility():
    a = keras.ops.convert_to_numpy(init.RandomNormal(stddev=0.01, seed=3)((500, 400)))
    b = keras.ops.convert_to_numpy(init.RandomNormal(stddev=0.01, seed=3)((500, 400)))
    np.testing.assert_array_equal(a, b)
    assert a.std() == pytest.approx(0.01, rel=0.01)
    c = keras.ops.convert_to_numpy(init.RandomNormal(stddev=0.01, seed=4)((500, 400)))
    assert not np.array_equal(a, c)


def test_zeros_and_constant():
    assert (keras.ops.convert_to_numpy(init.Zeros()((3, 4))) == 0).all()
    assert (keras.ops.convert_to_numpy(init.Constant(0.5)((3, 4))) == 0.5).all()


def test_invalid_arguments_name_the_argument():
    with pytest.raises(ValueError, match="stddev must be in"):
        init.RandomNormal(stddev=0)
    with pytest.raises(ValueError, match="seed must be an integer"):
        init.HeNormal(seed="x")
    with pytest.raises(ValueError, match="initializer must be one of"):
        init.get("orthogonal")


@pytest.mark.parametrize("name", init.NAMES)
def test_get_config_round_trip_and_save_load(name, tmp_path):
    initializer = init.get(name, seed=7)
    clone = type(initializer).from_config(initializer.get_config())
    assert clone.get_config() == initializer.get_config()
    model = keras.Sequential(
        [keras.Input((6,)), keras.layers.Dense(5, kernel_initializer=initializer)]
    )
    path = tmp_path / "m.keras"
    model.save(path)
    loaded = keras.models.load_model(path, safe_mode=True)
    assert type(loaded.layers[0].kernel_initializer) is type(initializer)
    np.testing.assert_array_equal(loaded.get_weights()[0], model.get_weights()[0])
