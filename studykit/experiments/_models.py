"""Building and compiling the small models the experiments train, and reusing their traces.

``build_mlp`` and ``compile_classifier`` build what most experiments train. ``reuse`` hands
back an already-traced model of the same structure when one is free: Keras traces a model's
training step on its first ``fit`` (on TensorFlow about a second for a 10-layer MLP, more
than these models take to train), and a new model means a new trace. ``reuse`` copies the
new model's whole starting state (weights, random-seed states, optimizer variables) into
the traced twin, so training it gives the same numbers as training the new model would.
Twins are only lent while ``experiments.run`` runs (see ``lending``); outside a run
``reuse`` returns the model it was given.

Nothing here imports Keras at module level (the registry must stay light).
"""

from __future__ import annotations

import contextlib
import contextvars
import json
import threading
from collections import OrderedDict
from collections.abc import Iterator, Sequence

import numpy as np

# Names exposed in parameter forms. They must stay keras-free to import, so they are listed
# here; tests check they match studykit.activations.NAMES and studykit.initializers.NAMES.
ACTIVATIONS = ("sigmoid", "tanh", "relu", "leaky_relu", "elu")
INITIALIZERS = (
    "normal_1",
    "normal_0.01",
    "lecun_uniform",
    "lecun_normal",
    "glorot_uniform",
    "glorot_normal",
    "he_uniform",
    "he_normal",
    "zeros",
)
RELU_FAMILY = ("relu", "leaky_relu", "elu")


def default_initializer(activation: str | None) -> str:
    """He for the ReLU family, Glorot (Xavier) for sigmoid/tanh: the usual pairing."""
    return "he_normal" if activation in RELU_FAMILY else "glorot_uniform"


def build_mlp(
    n_inputs: int,
    n_outputs: int,
    hidden: Sequence[int],
    activation: str | None = "relu",
    initializer: str | None = None,
    seed: int = 0,
    *,
    output_activation="softmax",
    dropout: float = 0.0,
    regularizer=None,
    before: Sequence = (),
    name: str | None = None,
):
    """A Sequential MLP: ``hidden`` Dense layers (studykit activation and initializer) + output.

    Each layer's initializer gets its own seed derived from ``seed`` (hidden layer i:
    seed + i, output: Glorot uniform with seed + len(hidden)), so the weights depend only on
    the arguments; ``initializer`` None means ``default_initializer(activation)``.
    ``activation`` None: linear hidden layers (Glorot uniform by default).

    ``output_activation``: "softmax" is Keras' softmax, whose output Keras' cross-entropy
    (``loss="sparse_categorical_crossentropy"``) reads back as logits; with a studykit loss
    (``compile_classifier``) pass ``studykit.activations.softmax``; None outputs logits
    (pair with ``from_logits=True`` losses and evaluators). ``dropout`` > 0 puts a
    studykit Dropout (seed + 100 + i) after every hidden layer; ``regularizer`` (a function
    returning a new regularizer) is attached to every kernel, output included; ``before``:
    layers between the input and the first Dense layer (reshape, augmentation, flatten).
    """
    import keras

    from studykit import activations, initializers, layers

    stack = [keras.Input((n_inputs,)), *before]
    for index, units in enumerate(hidden):
        stack.append(
            keras.layers.Dense(
                units,
                activation=activations.get(activation) if activation else None,
                kernel_initializer=initializers.get(
                    initializer or default_initializer(activation), seed=seed + index
                ),
                kernel_regularizer=regularizer() if regularizer else None,
                name=f"hidden_{index + 1}",
            )
        )
        if dropout > 0:
            stack.append(
                layers.Dropout(dropout, seed=seed + 100 + index, name=f"dropout_{index + 1}")
            )
    stack.append(
        keras.layers.Dense(
            n_outputs,
            activation=output_activation,
            kernel_initializer=initializers.get("glorot_uniform", seed=seed + len(hidden)),
            kernel_regularizer=regularizer() if regularizer else None,
            name="output",
        )
    )
    return keras.Sequential(stack, name=name)


def compile_classifier(model, learning_rate: float, optimizer: str = "adam", **optimizer_kwargs):
    """studykit optimizer (Adam by default) + sparse categorical cross-entropy + accuracy, no XLA.

    ``optimizer``: "adam", "sgd" or "momentum" (studykit.optimizers). The model must end in
    ``studykit.activations.softmax`` (the studykit loss takes probabilities).
    """
    from studykit import losses, optimizers

    classes = {"adam": optimizers.Adam, "sgd": optimizers.SGD, "momentum": optimizers.Momentum}
    model.compile(
        optimizer=classes[optimizer](learning_rate, **optimizer_kwargs),
        loss=losses.SparseCategoricalCrossEntropy(),
        metrics=["accuracy"],
        jit_compile=False,
    )
    return model


def set_random_seed(seed: int) -> None:
    """``keras.utils.set_random_seed(seed)`` without emptying TensorFlow's kernel cache.

    ``tf.random.set_seed`` also clears the eager kernel cache (to restart stateful random
    kernels), so every traced function (a model's training and inference steps) is
    instantiated again on its next call: about 0.4 s per model on a 2-core CPU, more than
    most of these models take to train. The experiments draw their randomness from Keras'
    stateless seed generators and numpy, never from a stateful TensorFlow kernel, so keeping
    the cache changes no number (every experiment's findings came out identical; a test in
    tests/experiments/test_helpers.py trains twice in one process). Python's, numpy's,
    Keras' and TensorFlow's global seeds are set as Keras sets them; on other backends this
    is Keras' own function.
    """
    import keras

    if keras.backend.backend() != "tensorflow":
        keras.utils.set_random_seed(seed)
        return
    import random

    from keras.src.backend.common import global_state
    from keras.src.random import seed_generator
    from keras.src.utils import rng_utils
    from tensorflow.python.eager import context

    global_state.set_global_attribute(rng_utils.GLOBAL_RANDOM_SEED, seed)
    global_state.set_global_attribute(seed_generator.GLOBAL_SEED_GENERATOR, None)
    random.seed(seed)
    np.random.seed(seed)
    eager = context.context()
    eager._seed = seed  # what tf.random.set_seed sets, less the cache clearing
    eager._rng = random.Random(seed)


def restart(model, weights: Sequence[np.ndarray], seed: int) -> None:
    """Give a compiled model new starting weights and a fresh optimizer step counter.

    Only for optimizers without slot variables (plain SGD): their only state is the step
    counter. Re-seeds Keras so that every run shuffles the batches in the same order.
    """

    set_random_seed(seed)
    model.set_weights(list(weights))
    model.optimizer.iterations.assign(0)


# --- reusing traced models -------------------------------------------------------------------

# Idle traced models kept, least recently used dropped first. Each holds a few MB of traced
# graphs; 12 covers an experiment and its A/B twin runs (a default preset uses at most 6)
# within the app's memory budget (benchmarks/bench_app.py).
_POOL_SIZE = 12
_POOL: OrderedDict[str, list] = OrderedDict()
_POOL_LOCK = threading.Lock()
_LENT: contextvars.ContextVar[list | None] = contextvars.ContextVar("lent", default=None)


@contextlib.contextmanager
def lending() -> Iterator[None]:
    """Within this block ``reuse`` may lend traced twins; they go back to the pool at its end.

    ``experiments.run`` wraps every run in it, so one model is never trained by two runs at
    the same time, and a run that stops halfway (an error, a cancel) leaves nothing behind:
    a twin's state is overwritten the next time it is lent.
    """
    token = _LENT.set([])
    try:
        yield
    finally:
        lent = _LENT.get() or []
        _LENT.reset(token)
        with _POOL_LOCK:
            for key, model in lent:
                _POOL.setdefault(key, []).append(model)
                _POOL.move_to_end(key)
            while sum(len(models) for models in _POOL.values()) > _POOL_SIZE:
                oldest = next(iter(_POOL))
                _POOL[oldest].pop(0)
                if not _POOL[oldest]:
                    del _POOL[oldest]


def reuse(model):
    """``model`` (built and compiled, not yet trained), or a traced twin in the same state.

    The twin has the same layers, optimizer, loss and metrics (``structure``); its weights,
    seed-generator states and optimizer variables are set to ``model``'s, so training it
    gives the same numbers. Returns ``model`` itself outside ``lending`` or when no twin is
    free (it becomes one after the run).
    """
    lent = _LENT.get()
    if lent is None or not _reusable_backend():
        return model
    key = structure(model)
    if key is None:
        return model
    with _POOL_LOCK:
        idle = _POOL.get(key) or []
        twin = idle.pop() if idle else None
    chosen = twin if twin is not None and _copy_state(model, twin) else model
    lent.append((key, chosen))
    return chosen


def _reusable_backend() -> bool:
    """Twins are lent on TensorFlow only: there a model's whole state is its variables, which
    ``_copy_state`` sets (checked by the tests). Keras' JAX trainer also keeps training state
    of its own between fits, and a twin did not repeat a run exactly there."""
    import keras

    return keras.backend.backend() == "tensorflow"


def structure(model) -> str | None:
    """What a traced training step depends on, as a string: the model's and compile config
    without names, seeds and a plain learning rate (a variable, not part of the trace).

    None when the model cannot describe itself completely (it is then never reused).
    """
    try:
        config = model.get_config()
        compiled = model.get_compile_config()
    except Exception:  # a layer or loss without get_config: don't guess
        return None
    if not compiled:
        return None
    compiled = dict(compiled)
    compiled.pop("steps_per_execution", None)  # set by fit, which retraces when it changes
    optimizer = compiled.get("optimizer")
    if isinstance(optimizer, dict) and isinstance(optimizer.get("config"), dict):
        settings = dict(optimizer["config"])
        if isinstance(settings.get("learning_rate"), int | float):
            settings.pop("learning_rate")
        compiled["optimizer"] = {**optimizer, "config": settings}
    # Set after compiling, outside the config, and read when the step is traced.
    excluded = [
        sorted(getattr(model.optimizer, attribute, None) or [], key=str)
        for attribute in ("_exclude_from_weight_decay_names", "_exclude_from_weight_decay")
    ]
    try:
        return json.dumps(
            [type(model).__name__, _without_names(config), _without_names(compiled), excluded],
            sort_keys=True,
            default=str,
        )
    except TypeError:  # something that is not JSON: don't guess
        return None


def _without_names(value):
    if isinstance(value, dict):
        return {k: _without_names(v) for k, v in value.items() if k not in ("name", "seed")}
    if isinstance(value, list | tuple):
        return [_without_names(v) for v in value]
    return value


def _copy_state(source, target) -> bool:
    """Assign every variable of ``source`` (and its optimizer) to ``target``; False (nothing
    assigned) when the two do not line up variable for variable."""
    if not source.optimizer.built:
        source.optimizer.build(source.trainable_variables)
    pairs = list(zip(source.variables, target.variables)) + list(
        zip(source.optimizer.variables, target.optimizer.variables)
    )
    same = len(source.variables) == len(target.variables) and len(
        source.optimizer.variables
    ) == len(target.optimizer.variables)
    if not same or any(tuple(a.shape) != tuple(b.shape) or a.dtype != b.dtype for a, b in pairs):
        return False
    for a, b in pairs:
        b.assign(a.value)
    target.stop_training = False
    return True
