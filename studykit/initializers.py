"""Weight initializers with the notes' formulas.

Uniform variants draw from U(-r, r); normal variants from a *plain* N(0, std²):

=========  ======================  ======================
scheme     uniform r               normal std
=========  ======================  ======================
LeCun      sqrt(3 / n_in)          sqrt(1 / n_in)
Glorot     sqrt(6 / (n_in+n_out))  sqrt(2 / (n_in+n_out))
He         sqrt(6 / n_in)          sqrt(2 / n_in)
=========  ======================  ======================

U(-r, r) has variance r²/3, so each uniform row has the same variance as its normal row.

Where Keras differs: ``keras.initializers.LecunNormal``/``GlorotNormal``/``HeNormal`` draw
from a *truncated* normal whose stddev is the one above divided by 0.87962566, so the
truncated samples end up with the same variance. These use a plain normal, as the notes and
the papers write it. The book's "Xavier" (Deep Learning from Scratch) is sqrt(1 / n_in),
which is LeCunNormal here.

Fans: a Dense kernel (n_in, n_out) has fan_in = n_in, fan_out = n_out; a Conv kernel
(kh, kw, c_in, c_out) has fan_in = kh·kw·c_in and fan_out = kh·kw·c_out.
"""

from __future__ import annotations

import math
import random

import keras

from studykit._checks import check_range

__all__ = [
    "compute_fans",
    "RandomNormal",
    "LeCunUniform",
    "LeCunNormal",
    "GlorotUniform",
    "GlorotNormal",
    "HeUniform",
    "HeNormal",
    "Zeros",
    "Constant",
    "get",
    "NAMES",
]

_register = keras.saving.register_keras_serializable(package="studykit")


def compute_fans(shape) -> tuple[int, int]:
    """Return (fan_in, fan_out) for a Dense kernel, a Conv kernel or a bias-like vector."""
    shape = tuple(int(d) for d in shape)
    if not shape:
        return 1, 1
    if len(shape) == 1:
        return shape[0], shape[0]
    receptive_field = math.prod(shape[:-2])
    return shape[-2] * receptive_field, shape[-1] * receptive_field


def _check_seed(seed):
    if seed is not None and (isinstance(seed, bool) or not isinstance(seed, int)):
        raise ValueError(f"seed must be an integer or None, got {seed!r}.")
    return seed


class _Seeded(keras.initializers.Initializer):
    """A random initializer: a fixed integer seed gives the same values on every call.

    Like Keras, ``seed=None`` picks a seed once at construction from Python's ``random``
    module, which ``keras.utils.set_random_seed`` seeds.
    """

    def __init__(self, seed=None):
        self.seed = _check_seed(seed)
        self._draw_seed = seed if seed is not None else random.randint(1, 10**9)

    def get_config(self):
        return {"seed": self.seed}


@_register
class RandomNormal(_Seeded):
    """N(mean, stddev²): stddev=1 is the naive N(0, 1), stddev=0.01 the small-noise start."""

    def __init__(self, mean=0.0, stddev=0.05, seed=None):
        super().__init__(seed)
        self.mean = check_range("mean", mean)
        self.stddev = check_range("stddev", stddev, 0.0, None, low_inclusive=False)

    def __call__(self, shape, dtype=None):
        return keras.random.normal(
            shape, mean=self.mean, stddev=self.stddev, dtype=dtype, seed=self._draw_seed
        )

    def get_config(self):
        return {"mean": self.mean, "stddev": self.stddev, **super().get_config()}


class _VarianceScaling(_Seeded):
    """Base of the fan-based schemes: variance = scale / fan."""

    scale = 1.0
    fan = "fan_in"  # or "fan_avg"
    distribution = "normal"  # or "uniform"

    def std_for(self, shape) -> float:
        fan_in, fan_out = compute_fans(shape)
        fan = fan_in if self.fan == "fan_in" else (fan_in + fan_out) / 2.0
        return math.sqrt(self.scale / fan)

    def __call__(self, shape, dtype=None):
        std = self.std_for(shape)
        if self.distribution == "uniform":
            limit = math.sqrt(3.0) * std
            return keras.random.uniform(
                shape, minval=-limit, maxval=limit, dtype=dtype, seed=self._draw_seed
            )
        return keras.random.normal(shape, stddev=std, dtype=dtype, seed=self._draw_seed)


@_register
class LeCunUniform(_VarianceScaling):
    """U(-r, r) with r = sqrt(3 / n_in) [LeCun 1998]."""

    distribution = "uniform"


@_register
class LeCunNormal(_VarianceScaling):
    """N(0, 1 / n_in) [LeCun 1998]; the book's "Xavier" initializer."""


@_register
class GlorotUniform(_VarianceScaling):
    """U(-r, r) with r = sqrt(6 / (n_in + n_out)) [Glorot 2010], a.k.a. Xavier uniform."""

    fan = "fan_avg"
    distribution = "uniform"


@_register
class GlorotNormal(_VarianceScaling):
    """N(0, 2 / (n_in + n_out)) [Glorot 2010] (plain normal; Keras truncates)."""

    fan = "fan_avg"


@_register
class HeUniform(_VarianceScaling):
    """U(-r, r) with r = sqrt(6 / n_in) [He 2015]: compensates ReLU zeroing half its inputs."""

    scale = 2.0
    distribution = "uniform"


@_register
class HeNormal(_VarianceScaling):
    """N(0, 2 / n_in) [He 2015] (plain normal; Keras truncates)."""

    scale = 2.0


@_register
class Constant(keras.initializers.Initializer):
    """Every weight equal to ``value``: all units of a layer stay identical (symmetry)."""

    def __init__(self, value=0.0):
        self.value = check_range("value", value)

    def __call__(self, shape, dtype=None):
        return keras.ops.full(shape, self.value, dtype=dtype or keras.config.floatx())

    def get_config(self):
        return {"value": self.value}


@_register
class Zeros(Constant):
    """All-zero weights: gradients of the units in a layer are equal, symmetry is never broken."""

    def __init__(self):
        super().__init__(0.0)

    def get_config(self):
        return {}


_FACTORIES = {
    "normal_1": lambda seed: RandomNormal(stddev=1.0, seed=seed),
    "normal_0.01": lambda seed: RandomNormal(stddev=0.01, seed=seed),
    "lecun_uniform": lambda seed: LeCunUniform(seed=seed),
    "lecun_normal": lambda seed: LeCunNormal(seed=seed),
    "glorot_uniform": lambda seed: GlorotUniform(seed=seed),
    "glorot_normal": lambda seed: GlorotNormal(seed=seed),
    "he_uniform": lambda seed: HeUniform(seed=seed),
    "he_normal": lambda seed: HeNormal(seed=seed),
    "zeros": lambda seed: Zeros(),
}

NAMES = tuple(_FACTORIES)


def get(name: str, seed: int | None = None) -> keras.initializers.Initializer:
    """Build the initializer called ``name`` (one of NAMES) with ``seed``."""
    try:
        factory = _FACTORIES[name]
    except KeyError:
        raise ValueError(f"initializer must be one of {', '.join(NAMES)}; got {name!r}.") from None
    return factory(seed)
