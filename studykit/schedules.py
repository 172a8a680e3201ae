"""Learning-rate schedules (PyTorch-style names) as Keras 3 ``LearningRateSchedule``s.

Pass one as an optimizer's ``learning_rate``; Keras calls it with the optimizer's
``iterations`` (the number of completed steps, an integer tensor), so ``step`` counts
optimizer updates (batches), not epochs. Every schedule works with a Python int or a
symbolic integer step, inside ``jit`` or not, and returns a float32 scalar.
"""

from __future__ import annotations

import math

import keras
from keras import ops

from studykit._checks import check_int, check_range

__all__ = ["StepDecay", "ExponentialDecay", "CosineAnnealing"]


def _check_initial_learning_rate(value):
    return check_range("initial_learning_rate", value, 0, low_inclusive=False)


def _float_step(step):
    return ops.cast(step, "float32")


@keras.saving.register_keras_serializable(package="studykit")
class StepDecay(keras.optimizers.schedules.LearningRateSchedule):
    """Multiply the learning rate by ``gamma`` every ``step_size`` steps (PyTorch ``StepLR``).

    ``lr(step) = initial_learning_rate * gamma ** floor(step / step_size)``

    Args:
        initial_learning_rate: float > 0, the learning rate at step 0.
        step_size: int >= 1, steps between two decays.
        gamma: float in (0, 1], the factor applied at each decay. Defaults to 0.1.
    """

    def __init__(self, initial_learning_rate, step_size, gamma=0.1):
        self.initial_learning_rate = _check_initial_learning_rate(initial_learning_rate)
        self.step_size = check_int("step_size", step_size, 1)
        self.gamma = check_range("gamma", gamma, 0, 1, low_inclusive=False)

    def __call__(self, step):
        # Integer division keeps the decay boundaries exact for any step count.
        decays = ops.floor_divide(ops.cast(step, "int32"), self.step_size)
        return self.initial_learning_rate * ops.power(self.gamma, _float_step(decays))

    def get_config(self):
        return {
            "initial_learning_rate": self.initial_learning_rate,
            "step_size": self.step_size,
            "gamma": self.gamma,
        }


@keras.saving.register_keras_serializable(package="studykit")
class ExponentialDecay(keras.optimizers.schedules.LearningRateSchedule):
    """Multiply the learning rate by ``gamma`` every step (PyTorch ``ExponentialLR``).

    ``lr(step) = initial_learning_rate * gamma ** step``

    The same as ``keras.optimizers.schedules.ExponentialDecay(initial_learning_rate,
    decay_steps=1, decay_rate=gamma)``. Note that Keras calls the schedule once per
    batch, so ``gamma`` is a per-step (not per-epoch) factor.

    Args:
        initial_learning_rate: float > 0, the learning rate at step 0.
        gamma: float in (0, 1], the factor applied at each step.
    """

    def __init__(self, initial_learning_rate, gamma):
        self.initial_learning_rate = _check_initial_learning_rate(initial_learning_rate)
        self.gamma = check_range("gamma", gamma, 0, 1, low_inclusive=False)

    def __call__(self, step):
        return self.initial_learning_rate * ops.power(self.gamma, _float_step(step))

    def get_config(self):
        return {"initial_learning_rate": self.initial_learning_rate, "gamma": self.gamma}


@keras.saving.register_keras_serializable(package="studykit")
class CosineAnnealing(keras.optimizers.schedules.LearningRateSchedule):
    """Cosine annealing from ``initial_learning_rate`` down to ``eta_min``.

    ``lr = eta_min + (initial_learning_rate - eta_min) * (1 + cos(pi * t_cur / T_i)) / 2``

    Without warm restarts ``T_i = T_max`` and ``t_cur = min(step, T_max)``: the rate
    reaches ``eta_min`` at step ``T_max`` and *stays there*. (PyTorch's
    ``CosineAnnealingLR`` instead keeps following the cosine and climbs back up after
    ``T_max``; this class clamps.)

    With ``warm_restarts=True`` (SGDR, Loshchilov & Hutter 2017; PyTorch
    ``CosineAnnealingWarmRestarts`` with ``T_0 = T_max``) the rate jumps back to
    ``initial_learning_rate`` at the end of every cycle. Cycle ``i`` (from 0) lasts
    ``T_i = T_max * T_mult**i`` steps and ``t_cur`` counts steps since the cycle began.

    Args:
        initial_learning_rate: float > 0, the learning rate at step 0 (and at each restart).
        T_max: int >= 1, steps until ``eta_min`` (the length of the first cycle).
        eta_min: float in [0, initial_learning_rate], the lowest rate. Defaults to 0.0.
        warm_restarts: restart the cosine every cycle. Defaults to False.
        T_mult: int >= 1, factor by which each cycle is longer than the previous one
            (only used with warm restarts). Defaults to 1.
    """

    def __init__(self, initial_learning_rate, T_max, eta_min=0.0, warm_restarts=False, T_mult=1):
        self.initial_learning_rate = _check_initial_learning_rate(initial_learning_rate)
        self.T_max = check_int("T_max", T_max, 1)
        self.eta_min = check_range("eta_min", eta_min, 0, self.initial_learning_rate)
        if not isinstance(warm_restarts, bool):
            raise ValueError(f"warm_restarts must be True or False, got {warm_restarts!r}.")
        self.warm_restarts = warm_restarts
        self.T_mult = check_int("T_mult", T_mult, 1)

    def _cycle(self, step):
        """Return ``(t_cur, T_i)`` as float32 tensors for a float32 ``step``."""
        T_max = float(self.T_max)
        if not self.warm_restarts:
            return ops.minimum(step, T_max), ops.convert_to_tensor(T_max, "float32")
        if self.T_mult == 1:
            return ops.mod(step, T_max), ops.convert_to_tensor(T_max, "float32")
        m = float(self.T_mult)

        # Cycle starts and lengths are whole numbers; rounding removes the float32
        # error of ``power`` (TensorFlow computes it as exp(i * log(m))).
        def start(i):  # first step of cycle i: T_max * (m**i - 1) / (m - 1)
            return ops.round(T_max * (ops.power(m, i) - 1.0) / (m - 1.0))

        # Closed form for the cycle index, then one correction in each direction in case
        # float32 rounding of the logarithm lands on the wrong side of a cycle boundary.
        i = ops.floor(ops.log(step * (m - 1.0) / T_max + 1.0) / math.log(m))
        i = ops.where(step < start(i), i - 1.0, i)
        i = ops.where(step >= start(i + 1.0), i + 1.0, i)
        return step - start(i), ops.round(T_max * ops.power(m, i))

    def __call__(self, step):
        step = _float_step(step)
        t_cur, T_i = self._cycle(step)
        cosine = 0.5 * (1.0 + ops.cos(math.pi * t_cur / T_i))
        return self.eta_min + (self.initial_learning_rate - self.eta_min) * cosine

    def get_config(self):
        return {
            "initial_learning_rate": self.initial_learning_rate,
            "T_max": self.T_max,
            "eta_min": self.eta_min,
            "warm_restarts": self.warm_restarts,
            "T_mult": self.T_mult,
        }
