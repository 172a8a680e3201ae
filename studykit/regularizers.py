"""Weight penalties (weight decay) with the same formulas as Keras.

The penalty is added to the loss for every weight the regularizer is attached to.
Keras' L2 is l2·Σw² with no ½; the textbook often writes ½λΣw², whose gradient is λw.
So Keras ``L2(l2=λ/2)`` equals the textbook's ½λΣw².
"""

from __future__ import annotations

import keras
from keras import ops

from studykit._checks import check_range

__all__ = ["L1", "L2", "L1L2"]

_register = keras.saving.register_keras_serializable(package="studykit")


@_register
class L1L2(keras.regularizers.Regularizer):
    """Elastic-net penalty: l1·Σ|w| + l2·Σw² (both factors ≥ 0)."""

    def __init__(self, l1=0.0, l2=0.0):
        self.l1 = check_range("l1", l1, 0.0)
        self.l2 = check_range("l2", l2, 0.0)

    def __call__(self, x):
        penalty = ops.convert_to_tensor(0.0, dtype=x.dtype)
        if self.l1:
            penalty += ops.cast(self.l1, x.dtype) * ops.sum(ops.abs(x))
        if self.l2:
            penalty += ops.cast(self.l2, x.dtype) * ops.sum(ops.square(x))
        return penalty

    def get_config(self):
        return {"l1": self.l1, "l2": self.l2}


@_register
class L1(keras.regularizers.Regularizer):
    """L1 penalty l1·Σ|w|: pushes weights to exactly zero (sparse weights)."""

    def __init__(self, l1=0.01):
        self.l1 = check_range("l1", l1, 0.0)

    def __call__(self, x):
        return ops.cast(self.l1, x.dtype) * ops.sum(ops.abs(x))

    def get_config(self):
        return {"l1": self.l1}


@_register
class L2(keras.regularizers.Regularizer):
    """L2 penalty l2·Σw² (Keras form, no ½): shrinks all weights toward zero."""

    def __init__(self, l2=0.01):
        self.l2 = check_range("l2", l2, 0.0)

    def __call__(self, x):
        return ops.cast(self.l2, x.dtype) * ops.sum(ops.square(x))

    def get_config(self):
        return {"l2": self.l2}
