"""Gradient-descent optimizers from Deep Learning from Scratch, ch. 6, as Keras 3 optimizers.

Each class subclasses ``keras.optimizers.Optimizer`` and follows the matching Keras
built-in exactly (same arguments, defaults, slot variables and operation order), so the
same arguments give the same training trajectory. Where the textbook's code (the book's
``common/optimizer.py``) uses a different form, the class docstring says how.

Notation: ``g`` gradient, ``x`` parameter, ``lr`` learning rate, ``t`` step number
starting at 1 (Keras' ``iterations + 1``). Weight decay, gradient clipping, EMA, loss
scaling and gradient accumulation come from the Keras base class (``**kwargs``); weight
decay is applied before the update as ``x -= x * weight_decay * lr``.

Under data-parallel training (``tf.distribute`` strategies on TensorFlow,
``keras.distribution`` on JAX) they train to the same weights as one device on the same
global batch, clipping, gradient accumulation and EMA included (see
``_DistributedTraining``; Keras' own optimizers do not, on TensorFlow). This is the one
place in the optimizers that dispatches on the backend: data parallelism has no
``keras.ops`` form.
"""

from __future__ import annotations

import numbers

import keras
from keras import ops

from studykit._checks import check_range

__all__ = ["SGD", "Momentum", "Nesterov", "AdaGrad", "RMSProp", "Adam"]


def _check_learning_rate(learning_rate):
    """Validate a float learning rate; schedules and callables pass through unchanged."""
    if isinstance(learning_rate, numbers.Real) and not isinstance(learning_rate, bool):
        return check_range("learning_rate", learning_rate, 0, low_inclusive=False)
    return learning_rate


def _check_unit_interval(name, value):
    """Return ``value`` as a float in [0, 1), or raise ValueError naming ``name``."""
    return check_range(name, value, 0, 1, high_inclusive=False)


def _check_bool(name, value):
    if not isinstance(value, bool):
        raise ValueError(f"{name} must be True or False, got {value!r}.")
    return value


def _tf_replica_context():
    """The ``tf.distribute`` replica context of a multi-replica training step, else None.

    Only the TensorFlow backend has replica contexts; JAX's ``keras.distribution`` compiles
    one program over the global batch, where the base class is already correct.
    """
    if keras.backend.backend() != "tensorflow":
        return None
    import tensorflow as tf  # only reached on the TensorFlow backend, already imported

    if not tf.distribute.has_strategy() or tf.distribute.in_cross_replica_context():
        return None
    context = tf.distribute.get_replica_context()
    if context is None or context.num_replicas_in_sync == 1:
        return None
    return context


def _check_created_in_distribution(optimizer):
    """Refuse to build an optimizer created outside the strategy / distribution in effect.

    Its step counter and learning rate are variables made in ``__init__``; made outside
    ``strategy.scope()`` (TensorFlow) or before ``keras.distribution`` was set (JAX), they
    are plain one-device variables and cannot take part in a distributed step. Keras fails
    later with "Mixing different tf.distribute.Strategy objects" (TensorFlow) or, on JAX,
    with a warning and an unrelated ``TypeError`` when fit ends; this says what and why.
    """
    name = type(optimizer).__name__
    backend = keras.backend.backend()
    if backend == "tensorflow":
        import tensorflow as tf

        strategy = tf.distribute.get_strategy()
        if tf.distribute.has_strategy() and strategy is not optimizer._distribution_strategy:
            raise ValueError(
                f"{name} was created outside {type(strategy).__name__}.scope() and is now "
                "being built for a model inside it. TensorFlow ties an optimizer to the "
                "strategy in effect when the optimizer is created: its step counter and "
                "learning rate are ordinary one-device variables, which the replicas cannot "
                "update. Create the optimizer inside `with strategy.scope():`, where the "
                "model is built and compiled."
            )
    elif backend == "jax":
        distribution = keras.distribution.distribution()
        if distribution is None:
            return
        devices = distribution.device_mesh.devices.size
        placed = getattr(optimizer._iterations.value, "sharding", None)  # None: traced
        if placed is not None and len(placed.device_set) != devices:
            raise ValueError(
                f"{name} was created before keras.distribution.{type(distribution).__name__} "
                f"was set: its step counter and learning rate live on one device while the "
                f"model's variables are laid out over {devices} devices, and one compiled "
                "training step cannot mix them. Create the optimizer inside "
                "`with distribution.scope():` (or after "
                "keras.distribution.set_distribution(...)), together with the model."
            )


class _DistributedTraining:
    """Makes the studykit optimizers train as on one device under data parallelism.

    JAX (``keras.distribution``): the training step is one program over the global batch,
    so the base class is already correct; only an optimizer created before the
    distribution was set is refused (at build, with the reason).

    TensorFlow (``tf.distribute``): Keras' optimizer clips (``clipnorm``, ``clipvalue``,
    ``global_clipnorm``) each replica's *local* gradient before summing them across
    replicas, so a clipped step differs from one-device training on the same global batch
    (measured: 3.3e-2 in the weights after 6 steps of ``keras.optimizers.SGD``); and it
    updates the gradient accumulators (``gradient_accumulation_steps``) and overwrites the
    model with its EMA (``ema_overwrite_frequency``) through cross-replica calls inside a
    ``tf.cond``, which TensorFlow refuses ("merge_call called while defining a new graph").
    In a replica context this mixin sums the gradients across replicas *once, first*; then
    every replica applies the same update (clipping, weight decay, accumulation, EMA, the
    update rule) to its own copy of each mirrored variable, as one device would. The copies
    stay identical because every replica sees the same summed gradient. Outside a
    multi-replica step nothing changes.
    """

    def build(self, var_list):
        _check_created_in_distribution(self)
        super().build(var_list)

    def _backend_apply_gradients(self, grads, trainable_variables):
        context = _tf_replica_context()
        if context is not None:
            grads = context.all_reduce("SUM", list(grads))
        return super()._backend_apply_gradients(grads, trainable_variables)

    def _backend_update_step(self, grads, trainable_variables, learning_rate):
        if _tf_replica_context() is None:
            return super()._backend_update_step(grads, trainable_variables, learning_rate)
        for grad, variable in zip(grads, trainable_variables):
            self.update_step(grad, variable, learning_rate)

    def _apply_weight_decay(self, variables):
        if self.weight_decay is None or _tf_replica_context() is None:
            return super()._apply_weight_decay(variables)
        for variable in variables:
            if self._use_weight_decay(variable):
                lr = ops.cast(self.learning_rate, variable.dtype)
                wd = ops.cast(self.weight_decay, variable.dtype)
                variable.assign_sub(variable * wd * lr)

    def _backend_increment_gradient_accumulators(self, grads, acc_grads):
        if _tf_replica_context() is None:
            return super()._backend_increment_gradient_accumulators(grads, acc_grads)
        for grad, accumulator in zip(grads, acc_grads):
            accumulator.assign(accumulator + grad)

    def _overwrite_model_variables_with_average_value(self, trainable_variables):
        if _tf_replica_context() is None:
            return super()._overwrite_model_variables_with_average_value(trainable_variables)
        for variable, average in zip(trainable_variables, self._model_variables_moving_average):
            if average is not None:
                variable.assign(average)


def _add_slots(optimizer, var_list, names, initializer="zeros"):
    """Create one optimizer variable per model variable and per name in ``names``.

    Variables are created interleaved (all slots of the first model variable, then the
    next), as Keras' own optimizers do, and a model variable that is overwritten with its
    gradient gets ``None``. Returns one list per name.
    """
    slots = tuple([] for _ in names)
    for variable in var_list:
        for slot_list, name in zip(slots, names):
            if getattr(variable, "overwrite_with_gradient", False):
                slot_list.append(None)
            else:
                slot_list.append(
                    optimizer.add_variable_from_reference(
                        variable, name=name, initializer=initializer
                    )
                )
    return slots


@keras.saving.register_keras_serializable(package="studykit")
class SGD(_DistributedTraining, keras.optimizers.Optimizer):
    """Stochastic gradient descent, optionally with (Nesterov) momentum.

    Update rule (``mu`` = momentum, ``v`` = velocity, starts at 0)::

        momentum == 0:  x -= lr * g
        momentum > 0:   v = mu * v - lr * g;  x += v
        nesterov:       v = mu * v - lr * g;  x += mu * v - lr * g

    Same as ``keras.optimizers.SGD``. The book's plain SGD and Momentum are the same
    rules; for Nesterov see :class:`Nesterov`.

    Args:
        learning_rate: float > 0, or a ``LearningRateSchedule``. Defaults to 0.01.
        momentum: float in [0, 1). 0 is plain SGD. Defaults to 0.0.
        nesterov: whether to use Nesterov momentum. Defaults to False.
        **kwargs: base optimizer arguments (``weight_decay``, ``clipnorm``, ``clipvalue``,
            ``global_clipnorm``, ``use_ema``, ``loss_scale_factor``,
            ``gradient_accumulation_steps``, ``name``, ...).
    """

    def __init__(self, learning_rate=0.01, momentum=0.0, nesterov=False, **kwargs):
        super().__init__(learning_rate=_check_learning_rate(learning_rate), **kwargs)
        self.momentum = _check_unit_interval("momentum", momentum)
        self.nesterov = _check_bool("nesterov", nesterov)

    def build(self, var_list):
        if self.built:
            return
        super().build(var_list)
        self.momentums = []
        if self.momentum != 0:
            (self.momentums,) = _add_slots(self, var_list, ["momentum"])

    def update_step(self, gradient, variable, learning_rate):
        learning_rate = ops.cast(learning_rate, variable.dtype)
        gradient = ops.cast(gradient, variable.dtype)
        if self.momentum == 0:
            self.assign_sub(variable, ops.multiply(gradient, learning_rate))
            return
        m = self.momentums[self._get_variable_index(variable)]
        momentum = ops.cast(self.momentum, variable.dtype)
        step = ops.multiply(gradient, learning_rate)
        self.assign(m, ops.subtract(ops.multiply(m, momentum), step))
        if self.nesterov:
            self.assign_add(variable, ops.subtract(ops.multiply(m, momentum), step))
        else:
            self.assign_add(variable, m)

    def get_config(self):
        config = super().get_config()
        config.update({"momentum": self.momentum, "nesterov": self.nesterov})
        return config


@keras.saving.register_keras_serializable(package="studykit")
class Momentum(SGD):
    """Momentum SGD: ``v = mu * v - lr * g;  x += v`` (``v`` starts at 0).

    The same as ``SGD(momentum=0.9)`` and ``keras.optimizers.SGD(momentum=0.9)``, and the
    same rule and defaults (lr 0.01, momentum 0.9) as the book's ``Momentum``.

    Args:
        learning_rate: float > 0, or a ``LearningRateSchedule``. Defaults to 0.01.
        momentum: float in [0, 1). Defaults to 0.9.
        **kwargs: base optimizer arguments, as for :class:`SGD`.
    """

    def __init__(self, learning_rate=0.01, momentum=0.9, **kwargs):
        super().__init__(learning_rate=learning_rate, momentum=momentum, **kwargs)

    def get_config(self):
        config = super().get_config()
        del config["nesterov"]
        return config


@keras.saving.register_keras_serializable(package="studykit")
class Nesterov(SGD):
    """Nesterov accelerated gradient, Keras form::

        v = mu * v - lr * g
        x += mu * v - lr * g        # with the updated v

    The same as ``keras.optimizers.SGD(momentum=0.9, nesterov=True)``. It equals
    ``x += mu**2 * v_old - (1 + mu) * lr * g`` with the velocity *before* the update.
    The book's code applies ``x += mu**2 * v - (1 + mu) * lr * g`` *after* updating ``v``,
    so its steps differ from Keras' (and from this class) whenever ``v`` is not 0.

    Args:
        learning_rate: float > 0, or a ``LearningRateSchedule``. Defaults to 0.01.
        momentum: float in [0, 1). Defaults to 0.9.
        **kwargs: base optimizer arguments, as for :class:`SGD`.
    """

    def __init__(self, learning_rate=0.01, momentum=0.9, **kwargs):
        super().__init__(learning_rate=learning_rate, momentum=momentum, nesterov=True, **kwargs)

    def get_config(self):
        config = super().get_config()
        del config["nesterov"]
        return config


@keras.saving.register_keras_serializable(package="studykit")
class AdaGrad(_DistributedTraining, keras.optimizers.Optimizer):
    """AdaGrad: per-parameter step sizes that shrink with the sum of squared gradients.

    Update rule (``h`` starts at ``initial_accumulator_value``)::

        h += g * g
        x -= lr * g / sqrt(h + epsilon)

    Same as ``keras.optimizers.Adagrad``. The book starts ``h`` at 0 and adds epsilon
    (1e-7) outside the square root: ``x -= lr * g / (sqrt(h) + 1e-7)``; with
    ``initial_accumulator_value=0`` the two differ only while ``h`` is tiny. The book's
    default learning rate is 0.01.

    Args:
        learning_rate: float > 0, or a ``LearningRateSchedule``. Defaults to 0.001.
        initial_accumulator_value: float >= 0, starting value of ``h``. Defaults to 0.1.
        epsilon: float >= 0 added inside the square root. Defaults to 1e-7.
        **kwargs: base optimizer arguments, as for :class:`SGD`.
    """

    def __init__(self, learning_rate=0.001, initial_accumulator_value=0.1, epsilon=1e-7, **kwargs):
        super().__init__(learning_rate=_check_learning_rate(learning_rate), **kwargs)
        self.initial_accumulator_value = check_range(
            "initial_accumulator_value", initial_accumulator_value, 0
        )
        self.epsilon = check_range("epsilon", epsilon, 0)

    def build(self, var_list):
        if self.built:
            return
        super().build(var_list)
        initializer = keras.initializers.Constant(self.initial_accumulator_value)
        (self._accumulators,) = _add_slots(self, var_list, ["accumulator"], initializer)

    def update_step(self, gradient, variable, learning_rate):
        lr = ops.cast(learning_rate, variable.dtype)
        gradient = ops.cast(gradient, variable.dtype)
        h = self._accumulators[self._get_variable_index(variable)]
        self.assign_add(h, ops.square(gradient))
        self.assign_sub(
            variable,
            ops.divide(ops.multiply(lr, gradient), ops.sqrt(ops.add(h, self.epsilon))),
        )

    def get_config(self):
        config = super().get_config()
        config.update(
            {"initial_accumulator_value": self.initial_accumulator_value, "epsilon": self.epsilon}
        )
        return config


@keras.saving.register_keras_serializable(package="studykit")
class RMSProp(_DistributedTraining, keras.optimizers.Optimizer):
    """RMSProp: divide the gradient by a moving root-mean-square of past gradients.

    Update rule (all slots start at 0)::

        h = rho * h + (1 - rho) * g * g
        centered:  a = rho * a + (1 - rho) * g;  d = h - a * a + epsilon
        else:      d = h + epsilon
        step = lr * g / sqrt(d)
        momentum > 0:  s = momentum * s + step;  x -= s
        else:          x -= step

    Same as ``keras.optimizers.RMSprop``. The book's RMSprop uses decay 0.99 (``rho``),
    learning rate 0.01, no momentum, no centering, and adds epsilon (1e-7) outside the
    square root: ``x -= lr * g / (sqrt(h) + 1e-7)``.

    Args:
        learning_rate: float > 0, or a ``LearningRateSchedule``. Defaults to 0.001.
        rho: decay of the moving average, float in [0, 1). Defaults to 0.9.
        momentum: float in [0, 1). Defaults to 0.0.
        epsilon: float >= 0 added inside the square root. Defaults to 1e-7.
        centered: subtract the squared mean gradient (variance instead of the second
            moment). Defaults to False.
        **kwargs: base optimizer arguments, as for :class:`SGD`.
    """

    def __init__(
        self,
        learning_rate=0.001,
        rho=0.9,
        momentum=0.0,
        epsilon=1e-7,
        centered=False,
        **kwargs,
    ):
        super().__init__(learning_rate=_check_learning_rate(learning_rate), **kwargs)
        self.rho = _check_unit_interval("rho", rho)
        self.momentum = _check_unit_interval("momentum", momentum)
        self.epsilon = check_range("epsilon", epsilon, 0)
        self.centered = _check_bool("centered", centered)

    def build(self, var_list):
        if self.built:
            return
        super().build(var_list)
        (self._velocities,) = _add_slots(self, var_list, ["velocity"])
        self._momentums = []
        if self.momentum > 0:
            (self._momentums,) = _add_slots(self, var_list, ["momentum"])
        self._average_gradients = []
        if self.centered:
            (self._average_gradients,) = _add_slots(self, var_list, ["average_gradient"])

    def update_step(self, gradient, variable, learning_rate):
        lr = ops.cast(learning_rate, variable.dtype)
        gradient = ops.cast(gradient, variable.dtype)
        index = self._get_variable_index(variable)
        rho = self.rho

        h = self._velocities[index]
        self.assign(h, ops.add(ops.multiply(rho, h), ops.multiply(1 - rho, ops.square(gradient))))
        if self.centered:
            a = self._average_gradients[index]
            self.assign(a, ops.add(ops.multiply(rho, a), ops.multiply(1 - rho, gradient)))
            denominator = h - ops.square(a) + self.epsilon
        else:
            denominator = ops.add(h, self.epsilon)
        increment = ops.divide(ops.multiply(lr, gradient), ops.sqrt(denominator))
        if self.momentum > 0:
            s = self._momentums[index]
            self.assign(s, ops.add(ops.multiply(self.momentum, s), increment))
            self.assign_sub(variable, s)
        else:
            self.assign_sub(variable, increment)

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "rho": self.rho,
                "momentum": self.momentum,
                "epsilon": self.epsilon,
                "centered": self.centered,
            }
        )
        return config


@keras.saving.register_keras_serializable(package="studykit")
class Adam(_DistributedTraining, keras.optimizers.Optimizer):
    """Adam: momentum on the gradient plus RMSProp-style scaling, with bias correction.

    Update rule (``m``, ``v`` start at 0; ``t`` = iterations + 1)::

        m += (1 - beta_1) * (g - m)
        v += (1 - beta_2) * (g * g - v)
        amsgrad:  v_hat = max(v_hat, v), used instead of v below
        alpha = lr * sqrt(1 - beta_2**t) / (1 - beta_1**t)
        x -= alpha * m / (sqrt(v) + epsilon)

    Same as ``keras.optimizers.Adam``. This is the "epsilon-hat" form (epsilon added after
    bias correction); the book's code uses the same form with epsilon 1e-7. The paper's
    Algorithm 1 writes ``x -= lr * m_hat / (sqrt(v_hat) + epsilon)`` with bias-corrected
    ``m_hat``, ``v_hat``; the two differ noticeably only for a large epsilon.

    Args:
        learning_rate: float > 0, or a ``LearningRateSchedule``. Defaults to 0.001.
        beta_1: decay of the first moment, float in [0, 1). Defaults to 0.9.
        beta_2: decay of the second moment, float in [0, 1). Defaults to 0.999.
        epsilon: float >= 0 ("epsilon hat"). Defaults to 1e-7.
        amsgrad: use the AMSGrad variant (running maximum of ``v``). Defaults to False.
        **kwargs: base optimizer arguments, as for :class:`SGD`.
    """

    def __init__(
        self,
        learning_rate=0.001,
        beta_1=0.9,
        beta_2=0.999,
        epsilon=1e-7,
        amsgrad=False,
        **kwargs,
    ):
        super().__init__(learning_rate=_check_learning_rate(learning_rate), **kwargs)
        self.beta_1 = _check_unit_interval("beta_1", beta_1)
        self.beta_2 = _check_unit_interval("beta_2", beta_2)
        self.epsilon = check_range("epsilon", epsilon, 0)
        self.amsgrad = _check_bool("amsgrad", amsgrad)

    def build(self, var_list):
        if self.built:
            return
        super().build(var_list)
        self._momentums, self._velocities = _add_slots(self, var_list, ["momentum", "velocity"])
        if self.amsgrad:
            (self._velocity_hats,) = _add_slots(self, var_list, ["velocity_hat"])

    def update_step(self, gradient, variable, learning_rate):
        lr = ops.cast(learning_rate, variable.dtype)
        gradient = ops.cast(gradient, variable.dtype)
        t = ops.cast(self.iterations + 1, variable.dtype)
        beta_1_power = ops.power(ops.cast(self.beta_1, variable.dtype), t)
        beta_2_power = ops.power(ops.cast(self.beta_2, variable.dtype), t)
        index = self._get_variable_index(variable)
        m = self._momentums[index]
        v = self._velocities[index]

        alpha = lr * ops.sqrt(1 - beta_2_power) / (1 - beta_1_power)
        self.assign_add(m, ops.multiply(ops.subtract(gradient, m), 1 - self.beta_1))
        self.assign_add(v, ops.multiply(ops.subtract(ops.square(gradient), v), 1 - self.beta_2))
        if self.amsgrad:
            v_hat = self._velocity_hats[index]
            self.assign(v_hat, ops.maximum(v_hat, v))
            v = v_hat
        self.assign_sub(
            variable, ops.divide(ops.multiply(m, alpha), ops.add(ops.sqrt(v), self.epsilon))
        )

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "beta_1": self.beta_1,
                "beta_2": self.beta_2,
                "epsilon": self.epsilon,
                "amsgrad": self.amsgrad,
            }
        )
        return config
