"""Loss functions from the notes, written with ``keras.ops`` only.

Every loss subclasses ``keras.losses.Loss``: ``call`` returns one value per sample and the
base class applies ``sample_weight`` and the ``reduction`` (default: mean over the batch).
``name``, ``reduction`` and ``dtype`` are passed through to the base class.

Cross-entropy with ``from_logits=True`` uses the log-sum-exp / softplus forms, so logits as
large as ±1e4 give finite values. With ``from_logits=False`` probabilities are clipped to
``[epsilon, 1 - epsilon]`` (``keras.config.epsilon()``, 1e-7 by default) like Keras does.
"""

from __future__ import annotations

import keras
from keras import ops

__all__ = [
    "MeanAbsoluteError",
    "MeanSquaredError",
    "RootMeanSquaredError",
    "SumSquaredError",
    "BinaryCrossEntropy",
    "CategoricalCrossEntropy",
    "SparseCategoricalCrossEntropy",
    "NegativeLogLikelihood",
]

_register = keras.saving.register_keras_serializable(package="studykit")


class _Loss(keras.losses.Loss):
    """Base class: stores ``dtype`` so that ``get_config`` is complete."""

    def get_config(self):
        return {**super().get_config(), "dtype": self._dtype_policy.name}


class _CrossEntropy(_Loss):
    """Base class for the cross-entropy losses that take ``from_logits``."""

    def __init__(self, from_logits=False, reduction="sum_over_batch_size", name=None, dtype=None):
        super().__init__(name=name, reduction=reduction, dtype=dtype)
        if not isinstance(from_logits, bool):
            raise ValueError(f"from_logits must be True or False, got {from_logits!r}.")
        self.from_logits = from_logits

    def get_config(self):
        return {**super().get_config(), "from_logits": self.from_logits}


def _same_rank(y_true, y_pred):
    """Like Keras: labels (N,) with predictions (N, 1), or the reverse, are aligned by
    dropping the trailing axis of size 1, instead of broadcasting to an N×N table."""
    y_true = ops.cast(y_true, y_pred.dtype)
    true_rank, pred_rank = len(y_true.shape), len(y_pred.shape)
    if pred_rank == true_rank + 1 and y_pred.shape[-1] == 1:
        y_pred = ops.squeeze(y_pred, axis=-1)
    elif true_rank == pred_rank + 1 and y_true.shape[-1] == 1:
        y_true = ops.squeeze(y_true, axis=-1)
    return y_true, y_pred


def _clip_probabilities(p):
    eps = keras.config.epsilon()
    return ops.clip(p, eps, 1.0 - eps)


def _log_probabilities(y_pred, from_logits):
    """log p over the last axis, from logits (stable log-softmax) or from probabilities."""
    if from_logits:
        return y_pred - ops.logsumexp(y_pred, axis=-1, keepdims=True)
    # Like Keras: rescale so that each row sums to 1, then clip before the log.
    p = y_pred / ops.sum(y_pred, axis=-1, keepdims=True)
    return ops.log(_clip_probabilities(p))


def _pick_class(values, labels):
    """values[..., label] for integer labels shaped like ``values`` without its last axis.

    Labels may also carry a trailing axis of size 1, e.g. shape (N, 1) for values (N, K).
    """
    if len(labels.shape) == len(values.shape):
        labels = ops.squeeze(labels, axis=-1)
    labels = ops.cast(labels, "int32")
    picked = ops.take_along_axis(values, ops.expand_dims(labels, -1), axis=-1)
    return ops.squeeze(picked, axis=-1)


@_register
class MeanAbsoluteError(_Loss):
    """L1 loss: mean(|y - ŷ|) over the last axis, then the mean over the batch."""

    def __init__(self, reduction="sum_over_batch_size", name="mean_absolute_error", dtype=None):
        super().__init__(name=name, reduction=reduction, dtype=dtype)

    def call(self, y_true, y_pred):
        y_true, y_pred = _same_rank(y_true, y_pred)
        return ops.mean(ops.abs(y_pred - y_true), axis=-1)


@_register
class MeanSquaredError(_Loss):
    """Mean squared error: mean((y - ŷ)²) over the last axis, then the mean over the batch.

    The notes call this the "L2 loss". Elsewhere "L2 loss" often means the *sum* of squares
    (see ``SumSquaredError``) or half of it (``tf.nn.l2_loss`` = Σ(y - ŷ)² / 2, whose gradient
    is simply ŷ - y). This class is the mean, like ``keras.losses.MeanSquaredError``.
    """

    def __init__(self, reduction="sum_over_batch_size", name="mean_squared_error", dtype=None):
        super().__init__(name=name, reduction=reduction, dtype=dtype)

    def call(self, y_true, y_pred):
        y_true, y_pred = _same_rank(y_true, y_pred)
        return ops.mean(ops.square(y_pred - y_true), axis=-1)


@_register
class RootMeanSquaredError(_Loss):
    """Root mean squared error: sqrt of the batch's mean squared error.

    The square root is taken *after* the reduction, so with the default reduction the value
    is sqrt(MSE of the whole batch), not the mean of per-sample RMSEs (which would be
    smaller, by Jensen's inequality). With ``reduction=None`` it is the per-sample RMSE.
    During ``fit`` the logged epoch value is the mean of the batch RMSEs, which is not the
    RMSE of the whole epoch. Its gradient is infinite when the error is exactly zero.
    Keras has RMSE only as a metric (``keras.metrics.RootMeanSquaredError``).
    """

    def __init__(self, reduction="sum_over_batch_size", name="root_mean_squared_error", dtype=None):
        super().__init__(name=name, reduction=reduction, dtype=dtype)

    def call(self, y_true, y_pred):
        y_true, y_pred = _same_rank(y_true, y_pred)
        return ops.mean(ops.square(y_pred - y_true), axis=-1)

    def __call__(self, y_true, y_pred, sample_weight=None):
        return ops.sqrt(super().__call__(y_true, y_pred, sample_weight=sample_weight))


@_register
class SumSquaredError(_Loss):
    """Sum of squared errors: Σ(y - ŷ)² over the outputs (last axis), mean over the batch.

    This is one common meaning of "L2 loss" (the textbook's sum-of-squares error has an
    extra ½). It equals ``MeanSquaredError`` times the number of outputs.
    """

    def __init__(self, reduction="sum_over_batch_size", name="sum_squared_error", dtype=None):
        super().__init__(name=name, reduction=reduction, dtype=dtype)

    def call(self, y_true, y_pred):
        y_true, y_pred = _same_rank(y_true, y_pred)
        return ops.sum(ops.square(y_pred - y_true), axis=-1)


@_register
class BinaryCrossEntropy(_CrossEntropy):
    """Binary cross-entropy: -[y log p + (1 - y) log(1 - p)], mean over the last axis.

    With ``from_logits=True``, p = sigmoid(z) and the loss is computed as
    max(z, 0) - y·z + log(1 + exp(-|z|)) (softplus form), finite for any z.
    """

    def __init__(
        self,
        from_logits=False,
        reduction="sum_over_batch_size",
        name="binary_cross_entropy",
        dtype=None,
    ):
        super().__init__(from_logits=from_logits, reduction=reduction, name=name, dtype=dtype)

    def call(self, y_true, y_pred):
        y_true, y_pred = _same_rank(y_true, y_pred)
        if self.from_logits:
            z = y_pred
            per_output = ops.relu(z) - y_true * z + ops.log1p(ops.exp(-ops.abs(z)))
        else:
            p = _clip_probabilities(y_pred)
            per_output = -(y_true * ops.log(p) + (1.0 - y_true) * ops.log(1.0 - p))
        return ops.mean(per_output, axis=-1)


@_register
class CategoricalCrossEntropy(_CrossEntropy):
    """Categorical cross-entropy with one-hot (or soft) labels: -Σ_k y_k log ŷ_k.

    The true label multiplies the log of the prediction (the notes swap them in one place).
    With ``from_logits=True``, log ŷ = z - logsumexp(z) (stable log-softmax).
    """

    def __init__(
        self,
        from_logits=False,
        reduction="sum_over_batch_size",
        name="categorical_cross_entropy",
        dtype=None,
    ):
        super().__init__(from_logits=from_logits, reduction=reduction, name=name, dtype=dtype)

    def call(self, y_true, y_pred):
        log_p = _log_probabilities(y_pred, self.from_logits)
        return -ops.sum(y_true * log_p, axis=-1)


@_register
class SparseCategoricalCrossEntropy(_CrossEntropy):
    """Cross-entropy with integer labels: -log ŷ[label].

    Labels have shape (N,) or (N, 1); predictions (N, K). Same value as
    ``CategoricalCrossEntropy`` with one-hot labels, without building the one-hot matrix.
    """

    def __init__(
        self,
        from_logits=False,
        reduction="sum_over_batch_size",
        name="sparse_categorical_cross_entropy",
        dtype=None,
    ):
        super().__init__(from_logits=from_logits, reduction=reduction, name=name, dtype=dtype)

    def call(self, y_true, y_pred):
        log_p = _log_probabilities(y_pred, self.from_logits)
        return -_pick_class(log_p, y_true)


@_register
class NegativeLogLikelihood(_Loss):
    """Negative log-likelihood of log-probabilities: -log_probs[label].

    Inputs are *log*-probabilities (for example the output of ``keras.ops.log_softmax``) and
    *integer* labels of shape (N,) or (N, 1), like PyTorch's ``NLLLoss``. So
    NLL(log_softmax(z)) equals cross-entropy on logits z; cross-entropy is the NLL of a
    softmax (categorical) model.
    """

    def __init__(self, reduction="sum_over_batch_size", name="negative_log_likelihood", dtype=None):
        super().__init__(name=name, reduction=reduction, dtype=dtype)

    def call(self, y_true, y_pred):
        return -_pick_class(y_pred, y_true)
