"""Dropout, batch normalization and maxout, written with ``keras.ops`` only."""

from __future__ import annotations

import keras
from keras import ops

from studykit._checks import check_int, check_range
from studykit.optimizers import _tf_replica_context

__all__ = ["Dropout", "BatchNormalization", "Maxout"]

_register = keras.saving.register_keras_serializable(package="studykit")


@_register
class Dropout(keras.layers.Layer):
    """Inverted dropout: in training each unit is zeroed with probability ``rate``.

    Kept units are scaled by 1/(1 - rate) during training so that the expected output equals
    the input, and the layer is the identity at inference (this is what Keras does).
    The textbook instead leaves training outputs unscaled and multiplies by (1 - rate) at
    test time; both give the same expectation.

    ``noise_shape`` (like Keras) shares one mask along axes of size 1, e.g. ``(None, 1, 1, C)``
    drops whole channels of an image batch. ``None`` entries take the input's size.

    Under a ``tf.distribute`` strategy (TensorFlow) each replica holds a copy of the seed
    state, so a plain draw would give every replica the *same* mask for its share of the
    batch (this is what ``keras.layers.Dropout`` does): example i of replica 0 and example i
    of replica 1 would be dropped together. Instead, each replica draws the mask of the whole
    global batch (its local batch times the number of replicas) and keeps its own rows,
    which are the rows one device would have used for the same examples: training matches
    one-device training on the same global batch. This costs one mask per replica for the
    global batch instead of the local one. When a batch does not split evenly (the last,
    smaller batch of an epoch), neighbouring replicas may share a mask row for that batch.
    Under JAX's ``keras.distribution`` the step is one program over the global batch, and
    the masks are those of one device without any of this.
    """

    def __init__(self, rate, noise_shape=None, seed=None, **kwargs):
        super().__init__(**kwargs)
        self.rate = check_range("rate", rate, 0.0, 1.0, high_inclusive=False)
        if noise_shape is not None:
            noise_shape = tuple(noise_shape)
            for size in noise_shape:
                if size is not None:
                    check_int("noise_shape entries", size, 1)
        self.noise_shape = noise_shape
        self.seed = seed
        self.seed_generator = keras.random.SeedGenerator(seed)
        self.supports_masking = True

    def build(self, input_shape):
        if self.noise_shape is not None and len(self.noise_shape) != len(input_shape):
            raise ValueError(
                f"noise_shape must have one entry per input axis ({len(input_shape)}), "
                f"got {self.noise_shape}."
            )

    def _mask_shape(self, inputs):
        shape = ops.shape(inputs)
        if self.noise_shape is None:
            return shape
        return tuple(s if n is None else n for s, n in zip(shape, self.noise_shape, strict=True))

    def call(self, inputs, training=False):
        if not training or self.rate == 0.0:
            return inputs
        shape = self._mask_shape(inputs)
        context = _tf_replica_context()
        shared = isinstance(shape[0], int) and shape[0] == 1  # one mask for all rows
        if context is None or shared:  # one device, JAX, or nothing to split
            u = keras.random.uniform(shape, seed=self.seed_generator)
        else:  # this replica's rows of the mask of the global batch (see the docstring)
            replica = context.replica_id_in_sync_group
            rows = shape[0]
            u = keras.random.uniform(
                (rows * context.num_replicas_in_sync, *shape[1:]), seed=self.seed_generator
            )
            u = ops.slice(u, (replica * rows,) + (0,) * (len(shape) - 1), shape)
        keep = u >= self.rate  # P(keep) = 1 - rate
        return ops.where(keep, inputs / (1.0 - self.rate), ops.zeros_like(inputs))

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        config = {"rate": self.rate, "noise_shape": self.noise_shape, "seed": self.seed}
        return {**super().get_config(), **config}


@_register
class BatchNormalization(keras.layers.Layer):
    """Batch normalization: y = γ·(x - μ)/sqrt(σ² + ε) + β per feature (``axis``).

    Training: μ and σ² are the statistics of the current batch (over every axis except
    ``axis``, so per channel for channels_last images), and the moving averages are updated
    as ``moving = moving·momentum + batch·(1 - momentum)``. Inference (or
    ``trainable=False``): the moving averages are used instead. Same as
    ``keras.layers.BatchNormalization``, including the *biased* batch variance (divide by n)
    for the moving variance; PyTorch stores the unbiased (n - 1) one.

    The statistics are computed in float32 (or float64) even under a mixed-precision policy,
    because float16 overflows when squaring activations; the output has the compute dtype.

    ``synchronized`` (like Keras' argument of the same name) matters for data-parallel
    training on several devices:

    - TensorFlow, ``tf.distribute`` (e.g. ``MirroredStrategy``): each replica sees only its
      share of the global batch. With ``synchronized=False`` every replica normalizes with
      the statistics of its own share and updates its own copy of the moving averages (the
      saved model keeps the first replica's), so training differs from one device on the
      same global batch. With ``synchronized=True`` the mean and variance are summed across
      replicas at every training step, so every replica uses (and stores) the statistics of
      the global batch, as one device does. This costs two small all-reduces per layer and
      step (the variance is taken around the global mean, not as E[x²] - E[x]², which loses
      precision when the mean is large against the spread).
    - JAX, ``keras.distribution`` (e.g. ``DataParallel``): the training step is compiled as
      one program over the global batch and XLA inserts the cross-device sums itself, so the
      statistics are already those of the global batch with either setting; ``True`` is
      accepted (a model saved on TensorFlow loads on JAX) and changes nothing.
    - Outside a distributed step both settings give the one-device statistics.

    Only the TensorFlow and JAX backends support ``synchronized=True``.
    """

    def __init__(
        self,
        axis=-1,
        momentum=0.99,
        epsilon=1e-3,
        center=True,
        scale=True,
        synchronized=False,
        **kwargs,
    ):
        super().__init__(**kwargs)
        self.axis = check_int("axis", axis)
        self.momentum = check_range("momentum", momentum, 0.0, 1.0)
        self.epsilon = check_range("epsilon", epsilon, 0.0, low_inclusive=False)
        if not isinstance(center, bool) or not isinstance(scale, bool):
            raise ValueError(f"center and scale must be True or False, got {center!r}, {scale!r}.")
        self.center = center
        self.scale = scale
        if not isinstance(synchronized, bool):
            raise ValueError(f"synchronized must be True or False, got {synchronized!r}.")
        if synchronized and keras.backend.backend() not in ("tensorflow", "jax"):
            raise ValueError(
                "synchronized=True is supported on the TensorFlow and JAX backends only, "
                f"not on {keras.backend.backend()!r}: this backend has no cross-device "
                "reduction that keras.ops can reach. Use synchronized=False."
            )
        self.synchronized = synchronized
        self.supports_masking = True

    def build(self, input_shape):
        rank = len(input_shape)
        if not -rank <= self.axis < rank:
            raise ValueError(f"axis must be in [{-rank}, {rank - 1}] for inputs of rank {rank}.")
        self._axis = self.axis % rank
        features = input_shape[self._axis]
        if features is None:
            raise ValueError(f"The size of axis {self.axis} must be known, got {input_shape}.")
        shape = (features,)

        def weight(name, initializer, trainable):
            # autocast=False: keep float32 weights even under mixed precision (like Keras).
            return self.add_weight(
                shape=shape,
                name=name,
                initializer=initializer,
                trainable=trainable,
                autocast=False,
            )

        self.gamma = weight("gamma", "ones", True) if self.scale else None
        self.beta = weight("beta", "zeros", True) if self.center else None
        self.moving_mean = weight("moving_mean", "zeros", False)
        self.moving_variance = weight("moving_variance", "ones", False)
        self._reduction_axes = [i for i in range(rank) if i != self._axis]
        self._broadcast_shape = [1] * rank
        self._broadcast_shape[self._axis] = features

    def call(self, inputs, training=False):
        # Statistics in at least float32 (float16 inputs under mixed precision are upcast).
        dtype = keras.backend.result_type(inputs.dtype, "float32")
        x = ops.cast(inputs, dtype)

        if training and self.trainable:
            if self.synchronized and keras.backend.backend() == "tensorflow":
                mean, variance = self._synchronized_moments(x)
            else:
                mean = ops.mean(x, axis=self._reduction_axes)
                variance = ops.var(x, axis=self._reduction_axes)  # biased: divides by n
            self._update_moving(self.moving_mean, mean)
            self._update_moving(self.moving_variance, variance)
        else:
            mean = ops.cast(self.moving_mean, dtype)
            variance = ops.cast(self.moving_variance, dtype)

        def broadcast(v):
            return ops.reshape(ops.cast(v, dtype), self._broadcast_shape)

        y = (x - broadcast(mean)) / ops.sqrt(broadcast(variance) + self.epsilon)
        if self.scale:
            y = y * broadcast(self.gamma)
        if self.center:
            y = y + broadcast(self.beta)
        return ops.cast(y, self.compute_dtype)

    def _synchronized_moments(self, x):
        """Mean and (biased) variance over the global batch of a ``tf.distribute`` step.

        ``ops.moments(..., synchronized=True)`` sums x, x² and the counts across replicas
        (outside a strategy the sums are over this device only) and returns
        E[x²] - E[x]². Applied a second time to ``x - mean``, whose global mean is ~0, the
        same formula gives the variance without the cancellation error of the first form.
        """
        axes = self._reduction_axes
        mean, _ = ops.moments(x, axes=axes, synchronized=True)
        _, variance = ops.moments(
            x - ops.reshape(mean, self._broadcast_shape), axes, synchronized=True
        )
        return mean, variance

    def _update_moving(self, moving, batch_value):
        """moving = moving·momentum + batch·(1 - momentum)."""
        old = ops.cast(moving, batch_value.dtype)
        new = old * self.momentum + batch_value * (1.0 - self.momentum)
        moving.assign(ops.cast(new, moving.dtype))

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        config = {
            "axis": self.axis,
            "momentum": self.momentum,
            "epsilon": self.epsilon,
            "center": self.center,
            "scale": self.scale,
            "synchronized": self.synchronized,
        }
        return {**super().get_config(), **config}


@_register
class Maxout(keras.layers.Layer):
    """Maxout (Goodfellow et al., 2013): the max of ``pieces`` affine maps per output unit.

    A Dense layer with ``units·pieces`` outputs is reshaped to (..., units, pieces) and
    reduced with max over the pieces. With pieces=2 it can learn ReLU (max(0, z)) or |z|;
    pieces=1 is just a Dense layer (allowed, but pieces ≥ 2 is what makes it maxout).
    """

    def __init__(
        self,
        units,
        pieces=2,
        use_bias=True,
        kernel_initializer="glorot_uniform",
        bias_initializer="zeros",
        kernel_regularizer=None,
        bias_regularizer=None,
        **kwargs,
    ):
        super().__init__(**kwargs)
        self.units = check_int("units", units, 1)
        self.pieces = check_int("pieces", pieces, 1)
        if not isinstance(use_bias, bool):
            raise ValueError(f"use_bias must be True or False, got {use_bias!r}.")
        self.use_bias = use_bias
        self.kernel_initializer = keras.initializers.get(kernel_initializer)
        self.bias_initializer = keras.initializers.get(bias_initializer)
        self.kernel_regularizer = keras.regularizers.get(kernel_regularizer)
        self.bias_regularizer = keras.regularizers.get(bias_regularizer)

    def build(self, input_shape):
        features = input_shape[-1]
        if features is None:
            raise ValueError(f"The last axis of the input must be known, got {input_shape}.")
        self.kernel = self.add_weight(
            shape=(features, self.units * self.pieces),
            name="kernel",
            initializer=self.kernel_initializer,
            regularizer=self.kernel_regularizer,
        )
        self.bias = None
        if self.use_bias:
            self.bias = self.add_weight(
                shape=(self.units * self.pieces,),
                name="bias",
                initializer=self.bias_initializer,
                regularizer=self.bias_regularizer,
            )

    def call(self, inputs):
        z = ops.matmul(inputs, self.kernel)
        if self.use_bias:
            z = z + self.bias
        # Column j of the kernel is piece (j % pieces) of unit (j // pieces).
        z = ops.reshape(z, (*ops.shape(z)[:-1], self.units, self.pieces))
        return ops.max(z, axis=-1)

    def compute_output_shape(self, input_shape):
        return (*input_shape[:-1], self.units)

    def get_config(self):
        config = {
            "units": self.units,
            "pieces": self.pieces,
            "use_bias": self.use_bias,
            "kernel_initializer": keras.initializers.serialize(self.kernel_initializer),
            "bias_initializer": keras.initializers.serialize(self.bias_initializer),
            "kernel_regularizer": keras.regularizers.serialize(self.kernel_regularizer),
            "bias_regularizer": keras.regularizers.serialize(self.bias_regularizer),
        }
        return {**super().get_config(), **config}
