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


_TRACED_STEPS = "_studykit_traced_gradient_steps"


def kept_on(model, attribute: str) -> dict:
    """A dict stored on ``model`` under ``attribute``, created on first use: traced functions
    kept per model, freed with it. Set past Keras' attribute tracking, which would try to
    track the dict's functions as the model's own state."""
    kept = model.__dict__.get(attribute)
    if kept is None:
        kept = {}
        object.__setattr__(model, attribute, kept)
    return kept


def traced_loss_and_gradients(model: keras.Model, x, y, loss_fn):
    """``loss_and_gradients`` as one traced call on TensorFlow; elsewhere the same function.

    An eager GradientTape through a deep MLP costs tens of milliseconds on a small CPU, the
    traced step a few, and a callback that probes every epoch calls it once per epoch. The
    traced step is kept on the model, one per loss function (it is retraced only for a new
    probe shape), and is freed with the model.
    """
    if keras.backend.backend() != "tensorflow":
        return loss_and_gradients(model, x, y, loss_fn)
    import tensorflow as tf

    steps = kept_on(model, _TRACED_STEPS)
    if loss_fn not in steps:
        steps[loss_fn] = tf.function(
            lambda x, y: loss_and_gradients(model, x, y, loss_fn),
            reduce_retracing=True,
            autograph=False,
        )
    return steps[loss_fn](x, y)


def elementwise_derivative(fn, x):
    """Return (fn(x), d sum(fn(x)) / dx) as numpy arrays, by automatic differentiation.

    For an elementwise ``fn`` (an activation: output i depends only on input i) the result is
    the derivative fn'(x_i) at every point. The same holds for a per-sample function whose
    i-th output depends only on the i-th row of ``x`` (a loss with ``reduction=None``).
    Where ``fn`` is not differentiable (ReLU at 0) the backend's subgradient is returned.
    ``x`` is converted to ``keras.config.floatx()``.
    """
    import numpy as np
    from keras import ops

    backend = keras.backend.backend()
    x = ops.convert_to_tensor(np.asarray(x, dtype=keras.config.floatx()))
    if backend == "tensorflow":
        import tensorflow as tf

        with tf.GradientTape() as tape:
            tape.watch(x)
            y = fn(x)
        grad = tape.gradient(y, x)
    elif backend == "jax":
        import jax

        y, pullback = jax.vjp(fn, x)
        (grad,) = pullback(ops.ones_like(y))
    elif backend == "torch":
        import torch

        x = x.detach().requires_grad_(True)
        y = fn(x)
        (grad,) = torch.autograd.grad(ops.sum(y), x, allow_unused=True)
        y = y.detach()
    else:
        raise NotImplementedError(f"gradients are not implemented for the {backend} backend")
    grad = ops.zeros_like(x) if grad is None else grad  # fn does not depend on x
    return ops.convert_to_numpy(y), ops.convert_to_numpy(grad)


def optimizer_path(optimizer, start, steps: int, gradient):
    """Positions of a float32 variable that starts at ``start`` and that ``optimizer`` updates
    ``steps`` times: a float64 numpy array of shape (steps + 1, *start.shape), row 0 = start.

    ``gradient(step, position)`` gives the gradient for the update number ``step`` (from 0)
    at ``position`` (the variable's value in float64): an array, or a list of its components,
    computed with plain arithmetic so that it works on numpy values and on TensorFlow
    tensors alike. It is cast to float32 before the update.
    """
    return optimizer_paths([optimizer], start, steps, gradient)[0]


def optimizer_paths(optimizers, start, steps: int, gradient):
    """``optimizer_path`` for several optimizers at once, each on its own variable: a float64
    array of shape (len(optimizers), steps + 1, *start.shape).

    On TensorFlow all the loops are one traced call: an eager ``apply_gradients`` costs
    milliseconds, a traced one microseconds, and the trace (about 0.1 s, most of it the same
    for one optimizer or six) is paid once. Elsewhere the loops run eagerly, with numpy
    positions. Each optimizer's updates are the same either way: the variables never meet.
    """
    import numpy as np
    from keras import ops

    start = np.asarray(start, dtype="float32")
    starts = np.repeat(start[None, None], len(optimizers), axis=0).astype(np.float64)
    variables = [keras.Variable(start) for _ in optimizers]
    for optimizer, variable in zip(optimizers, variables, strict=True):
        optimizer.build([variable])
    if steps == 0 or not optimizers:
        return starts
    if keras.backend.backend() == "tensorflow":
        import tensorflow as tf

        shape = (len(optimizers), *start.shape)

        def loop():
            positions = tf.TensorArray(tf.float32, size=steps, element_shape=shape)
            for step in tf.range(steps):
                for optimizer, variable in zip(optimizers, variables, strict=True):
                    position = tf.cast(variable.value, tf.float64)
                    update = tf.cast(tf.convert_to_tensor(gradient(step, position)), tf.float32)
                    optimizer.apply_gradients([(update, variable)])
                positions = positions.write(step, tf.stack([v.value for v in variables]))
            return positions.stack()

        traced = tf.function(loop)
        # One trace per call is the design: silence TensorFlow's "frequent retracing"
        # warning, which counts traces of this code across calls.
        traced._omit_frequent_tracing_warning = True
        path = np.swapaxes(traced().numpy(), 0, 1)  # (optimizers, steps, ...)
    else:
        path = []
        for optimizer, variable in zip(optimizers, variables, strict=True):
            positions = []
            for step in range(steps):
                position = ops.convert_to_numpy(variable).astype(np.float64)
                update = np.asarray(gradient(step, position), dtype=np.float64).astype("float32")
                optimizer.apply_gradients([(ops.convert_to_tensor(update), variable)])
                positions.append(ops.convert_to_numpy(variable))
            path.append(positions)
    return np.concatenate([starts, np.asarray(path, dtype=np.float64)], axis=1)
