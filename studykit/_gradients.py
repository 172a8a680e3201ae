"""Loss gradients on a probe batch, for every Keras backend.

``keras.ops`` has no gradient op, so this is the one place that dispatches on the backend.
"""

from __future__ import annotations

import keras


def loss_and_gradients(model: keras.Model, x, y, loss_fn):
    """Return (loss, [gradient per trainable variable]) of ``loss_fn(y, model(x))``.

    The per-example losses are averaged, as in training. The forward pass runs with
    ``training=False`` so that dropout masks do not add noise to the measurement.
    """
    from keras import ops

    backend = keras.backend.backend()
    if backend == "tensorflow":
        import tensorflow as tf

        with tf.GradientTape() as tape:
            loss = ops.mean(loss_fn(y, model(x, training=False)))
        return loss, tape.gradient(loss, model.trainable_variables)
    if backend == "jax":
        import jax

        non_trainable = [v.value for v in model.non_trainable_variables]

        def compute(trainable):
            y_pred, _ = model.stateless_call(trainable, non_trainable, x, training=False)
            return ops.mean(loss_fn(y, y_pred))

        trainable = [v.value for v in model.trainable_variables]
        return jax.value_and_grad(compute)(trainable)
    if backend == "torch":
        import torch

        model.zero_grad()
        loss = ops.mean(loss_fn(torch.as_tensor(y), model(x, training=False)))
        loss.backward()
        return loss.detach(), [v.value.grad for v in model.trainable_variables]
    raise NotImplementedError(f"gradients are not implemented for the {backend} backend")
