"""Train studykit components on several CPU devices and on one; print the comparison as JSON.

Run by tests/components/test_distribution.py in a subprocess, because the devices must be
configured before TensorFlow or JAX starts::

    python tests/components/distribution_worker.py tensorflow OUT.json   # 2 logical CPUs
    python tests/components/distribution_worker.py jax OUT.json          # 4 host devices

TensorFlow trains under ``tf.distribute.MirroredStrategy`` over two logical CPUs; JAX under
``keras.distribution.DataParallel`` over four XLA host devices. Each group below runs the
same training once on one device and once on all of them, from the same initial weights and
on the same global batches, and records the largest differences. A group that raises is
recorded with its traceback, so the test that reads it fails with the real error.
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import sys
import tempfile
import time
import traceback
from pathlib import Path

BACKEND = sys.argv[1] if len(sys.argv) > 1 else os.environ.get("KERAS_BACKEND", "tensorflow")
TF_DEVICES, JAX_DEVICES = 2, 4

os.environ["KERAS_BACKEND"] = BACKEND
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
if BACKEND == "jax":
    flag = f"--xla_force_host_platform_device_count={JAX_DEVICES}"
    os.environ["XLA_FLAGS"] = f"{os.environ.get('XLA_FLAGS', '')} {flag}".strip()
    os.environ.setdefault("JAX_PLATFORMS", "cpu")
elif BACKEND == "tensorflow":
    import tensorflow as tf

    _cpu = tf.config.list_physical_devices("CPU")[0]
    tf.config.set_logical_device_configuration(
        _cpu, [tf.config.LogicalDeviceConfiguration()] * TF_DEVICES
    )
else:
    raise SystemExit(f"usage: distribution_worker.py tensorflow|jax OUT.json (got {BACKEND!r})")

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

import keras  # noqa: E402
import numpy as np  # noqa: E402

from studykit import callbacks, layers, losses, optimizers, schedules  # noqa: E402

RNG = np.random.default_rng(0)
X = RNG.normal(size=(64, 4)).astype("float32")
Y = (X @ RNG.normal(size=(4, 1)) + 0.1 * RNG.normal(size=(64, 1))).astype("float32")
BATCH = 16  # global batch: 8 examples per TF replica, 4 per JAX device
# Few epochs of several steps each: under a strategy every epoch starts a new distributed
# iterator, which costs more than the steps of these tiny models.
EPOCHS = 2


# --- engines: one device vs all devices ------------------------------------------------


class TensorFlowEngine:
    name = "tensorflow"
    distribution = "tf.distribute.MirroredStrategy"

    def __init__(self):
        devices = [d.name for d in tf.config.list_logical_devices("CPU")]
        self.strategy = tf.distribute.MirroredStrategy(devices)
        self.devices = self.strategy.num_replicas_in_sync

    def scope(self, multi):
        """Everything (build, compile, fit, save, load) runs inside this context."""
        return self.strategy.scope() if multi else contextlib.nullcontext()

    def is_distributed(self, variable):
        return isinstance(variable.value, tf.distribute.DistributedValues)


class JaxEngine:
    name = "jax"
    distribution = "keras.distribution.DataParallel"

    def __init__(self):
        import jax

        self.data_parallel = keras.distribution.DataParallel(devices=jax.devices())
        self.devices = len(jax.devices())

    def scope(self, multi):
        return self.data_parallel.scope() if multi else contextlib.nullcontext()

    def is_distributed(self, variable):
        return len(variable.value.sharding.device_set) == self.devices


ENGINE = TensorFlowEngine() if BACKEND == "tensorflow" else JaxEngine()


def values(variables):
    return [np.asarray(keras.ops.convert_to_numpy(v)) for v in variables]


def max_diff(a, b):
    assert len(a) == len(b), (len(a), len(b))
    return max(float(np.max(np.abs(p.astype("float64") - q))) for p, q in zip(a, b))


def state(model):
    """Model weights (trainable and not) and optimizer variables, as numpy arrays."""
    return values(model.weights), values(model.optimizer.variables)


# --- optimizers ---------------------------------------------------------------------


OPTIMIZERS = {  # every studykit optimizer; every feature of the Keras base class
    "SGD(clipnorm)": lambda: optimizers.SGD(0.1, clipnorm=0.05),
    "Momentum(weight_decay)": lambda: optimizers.Momentum(0.05, weight_decay=0.05),
    # Accumulation, with clipping and weight decay inside its update branch:
    "Nesterov(gradient_accumulation_steps, global_clipnorm, weight_decay)": lambda: (
        optimizers.Nesterov(
            0.05, gradient_accumulation_steps=2, global_clipnorm=0.2, weight_decay=0.05
        )
    ),
    "AdaGrad(clipvalue)": lambda: optimizers.AdaGrad(0.1, clipvalue=0.02),
    "RMSProp(centered, momentum)": lambda: optimizers.RMSProp(0.01, momentum=0.5, centered=True),
    "Adam(amsgrad, use_ema, schedule)": lambda: optimizers.Adam(
        schedules.CosineAnnealing(0.02, T_max=6),
        amsgrad=True,
        use_ema=True,
        ema_momentum=0.5,
        ema_overwrite_frequency=2,
    ),
}
# Control: Keras' own optimizer with the same clipping (reported, not fixed by studykit).
CONTROLS = {
    "keras.optimizers.SGD(momentum, clipnorm)": lambda: keras.optimizers.SGD(
        0.1, momentum=0.5, clipnorm=0.05
    )
}
OPT_X, OPT_Y = X[:48], Y[:48]  # 3 steps per epoch: 6 steps, 3 updates with accumulation


def small_model(seed):
    keras.utils.set_random_seed(seed)
    return keras.Sequential(
        [keras.Input((4,)), keras.layers.Dense(3, activation="tanh"), keras.layers.Dense(1)]
    )


def train_optimizers_tf(multi, factories):
    """TensorFlow: all optimizers in one fit (one traced step), each on its own model.

    ``fit`` under a strategy costs seconds per call on a 2-core machine (tracing per replica,
    distributing the dataset), so one Keras model holds one small member model per optimizer
    and its ``train_step`` applies each optimizer to its member, exactly as the built-in
    ``train_step`` does (gradients of the per-replica loss, which Keras' loss scales by
    1/replicas, passed to ``apply_gradients`` in the replica context).
    """

    class Bundle(keras.Model):
        def __init__(self, members, member_optimizers):
            super().__init__()
            self.members, self.member_optimizers = members, member_optimizers
            self.mse = keras.losses.MeanSquaredError()

        def call(self, x, training=False):
            return [member(x, training=training) for member in self.members]

        def train_step(self, data):
            x, y = data
            total = 0.0
            for member, optimizer in zip(self.members, self.member_optimizers):
                with tf.GradientTape() as tape:
                    loss = self.mse(y, member(x, training=True))
                weights = member.trainable_variables
                optimizer.apply_gradients(zip(tape.gradient(loss, weights), weights))
                total += loss
            return {"loss": total}

    with ENGINE.scope(multi):
        members = [small_model(seed) for seed in range(len(factories))]
        member_optimizers = [factory() for factory in factories.values()]
        for member, optimizer in zip(members, member_optimizers):
            optimizer.build(member.trainable_variables)  # as fit does, before tracing
        bundle = Bundle(members, member_optimizers)
        bundle.compile()
        bundle.fit(OPT_X, OPT_Y, batch_size=BATCH, epochs=EPOCHS, shuffle=False, verbose=0)
        results = {}
        for name, member, optimizer in zip(factories, members, member_optimizers):
            optimizer.finalize_variable_values(member.trainable_variables)  # EMA, as fit does
            results[name] = (values(member.weights), values(optimizer.variables))
    return results


def train_optimizers_jax(multi, factories):
    """JAX: one ordinary compile + fit per optimizer (a JAX fit is cheap to start)."""
    results = {}
    for seed, (name, factory) in enumerate(factories.items()):
        with ENGINE.scope(multi):
            model = small_model(seed)
            model.compile(optimizer=factory(), loss=losses.MeanSquaredError())
            model.fit(OPT_X, OPT_Y, batch_size=BATCH, epochs=EPOCHS, shuffle=False, verbose=0)
            results[name] = state(model)
    return results


def group_optimizers():
    train = train_optimizers_tf if ENGINE.name == "tensorflow" else train_optimizers_jax
    # The control shows the Keras bug the studykit optimizers work around; JAX has none.
    factories = {**OPTIMIZERS, **(CONTROLS if ENGINE.name == "tensorflow" else {})}
    one, many = train(False, factories), train(True, factories)
    out = {}
    for name in factories:
        (w1, s1), (w2, s2) = one[name], many[name]
        moved = max_diff(w1, values(small_model(list(factories).index(name)).weights))
        out[name] = {
            "weights": max_diff(w1, w2),
            "optimizer_variables": max_diff(s1, s2),
            "moved": moved,  # how far training moved the weights (so the check is not vacuous)
        }
    return out


# --- layers: Dropout, BatchNormalization, Maxout ---------------------------------------


def layers_model(synchronized):
    keras.utils.set_random_seed(1)
    return keras.Sequential(
        [
            keras.Input((4,)),
            keras.layers.Dense(6, activation="relu", name="dense_in"),
            layers.BatchNormalization(momentum=0.5, synchronized=synchronized, name="bn"),
            layers.Maxout(4, pieces=2, name="maxout"),
            layers.Dropout(0.5, seed=3, name="dropout"),  # one mask per example
            layers.BatchNormalization(momentum=0.8, synchronized=synchronized, name="bn_2"),
            keras.layers.Dense(1, name="dense_out"),
        ],
        name="layers_model",
    )


def probe_callbacks():
    return {
        "GradientNormLogger": callbacks.GradientNormLogger(X[:12], Y[:12]),
        "ActivationStatsLogger": callbacks.ActivationStatsLogger(X[:12], bins=8),
        "DeadUnitMonitor": callbacks.DeadUnitMonitor(X[:12]),
    }


def fit_layers_model(multi, synchronized, probes):
    """8 steps of studykit Adam on the layers model; fit runs inside the scope."""
    with ENGINE.scope(multi):
        model = layers_model(synchronized)
        model.compile(optimizer=optimizers.Adam(0.05, clipnorm=1.0), loss=losses.MeanSquaredError())
        model.fit(
            X,
            Y,
            batch_size=BATCH,
            epochs=EPOCHS,
            shuffle=False,
            verbose=0,
            callbacks=list(probes.values()),
        )
    return model, probes


FITTED = {}


def fitted(key):
    if key not in FITTED:
        multi, synchronized = key
        probes = probe_callbacks() if multi == synchronized else {}  # not on the control
        FITTED[key] = fit_layers_model(multi, synchronized, probes)
    return FITTED[key]


def bn_stats(model):
    return {
        name: values([model.get_layer(name).moving_mean, model.get_layer(name).moving_variance])
        for name in ("bn", "bn_2")
    }


def group_layers():
    one, _ = fitted((False, False))
    sync, _ = fitted((True, True))
    (w1, s1), (w2, s2) = state(one), state(sync)
    stats1, stats2 = bn_stats(one), bn_stats(sync)
    out = {
        "synchronized_weights": max_diff(w1, w2),
        "synchronized_optimizer_variables": max_diff(s1, s2),
        "synchronized_bn_stats": max(max_diff(stats1[k], stats2[k]) for k in stats1),
        "moved_bn_stats": max(float(np.max(np.abs(v[0]))) for v in stats1.values()),
        "synchronized_config": sync.get_layer("bn").get_config()["synchronized"],
    }
    if ENGINE.name == "tensorflow":  # on JAX synchronized=False runs the very same code
        plain, _ = fitted((True, False))
        stats3 = bn_stats(plain)
        out["plain_weights"] = max_diff(w1, state(plain)[0])
        out["plain_bn_stats"] = max(max_diff(stats1[k], stats3[k]) for k in stats1)
    return out


# --- callbacks ----------------------------------------------------------------------


def compare_records(a, b):
    """Largest difference of the numeric fields; count of differing non-numeric fields."""
    if len(a) != len(b):
        return {"rows": [len(a), len(b)], "max_abs_diff": math.inf, "other_mismatches": -1}
    worst, other = 0.0, 0
    for row_a, row_b in zip(a, b):
        if row_a.keys() != row_b.keys():
            other += 1
            continue
        for key, value_a in row_a.items():
            value_b = row_b[key]
            if isinstance(value_a, float) and isinstance(value_b, float):
                if math.isnan(value_a) and math.isnan(value_b):
                    continue
                worst = max(worst, abs(value_a - value_b))
            elif value_a != value_b:
                other += 1
    return {"rows": len(a), "max_abs_diff": worst, "other_mismatches": other}


def diverging_fit(multi):
    """A linear model and a far too large SGD step: the loss grows ~300x per step and passes
    max_loss at the third step (few steps, so rounding differences are not amplified)."""
    guard = callbacks.DivergenceGuard(max_loss=1e4)
    seen = []
    record = keras.callbacks.LambdaCallback(
        on_train_batch_end=lambda batch, logs: seen.append(float(logs["loss"]))
    )
    with ENGINE.scope(multi):
        keras.utils.set_random_seed(7)
        model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(1)])
        model.compile(optimizer=optimizers.SGD(1.0), loss=losses.MeanSquaredError())
        model.fit(
            X * 3,
            Y * 3,
            batch_size=BATCH,
            epochs=2,
            shuffle=False,
            verbose=0,
            callbacks=[guard, record],
        )
    return guard, seen


def group_callbacks():
    _, one = fitted((False, False))
    _, many = fitted((True, True))
    out = {name: compare_records(one[name].records, many[name].records) for name in one}
    out["ActivationStatsLogger.histograms"] = compare_records(
        one["ActivationStatsLogger"].histograms, many["ActivationStatsLogger"].histograms
    )
    out["GradientNormLogger"]["values"] = [
        r["grad_norm"] for r in one["GradientNormLogger"].records
    ]
    (guard1, seen1), (guard2, seen2) = diverging_fit(False), diverging_fit(True)
    out["DivergenceGuard"] = {
        "one": [guard1.diverged, guard1.epoch, guard1.batch, guard1.reason],
        "many": [guard2.diverged, guard2.epoch, guard2.batch, guard2.reason],
        "logged_loss_rel_diff": max(abs(a - b) / max(abs(a), 1e-12) for a, b in zip(seen1, seen2))
        if len(seen1) == len(seen2)
        else math.inf,
        "steps": [len(seen1), len(seen2)],
    }
    return out


# --- saving and loading --------------------------------------------------------------


def group_saving():
    tmp = Path(tempfile.mkdtemp())
    out = {}
    # Saved inside the scope, loaded outside it.
    trained, _ = fitted((True, True))
    with ENGINE.scope(True):
        trained.save(tmp / "multi.keras")
        expected = state(trained)
        prediction = keras.ops.convert_to_numpy(trained(X, training=False))
    loaded = keras.saving.load_model(tmp / "multi.keras")
    weights, slots = state(loaded)
    out["multi_to_one"] = {
        "weights": max_diff(expected[0], weights),
        "optimizer_variables": max_diff(expected[1], slots),
        "optimizer_variable_count": [len(expected[1]), len(slots)],
        "iterations": int(keras.ops.convert_to_numpy(loaded.optimizer.iterations)),
        "prediction": float(
            np.max(np.abs(prediction - keras.ops.convert_to_numpy(loaded(X, training=False))))
        ),
        "distributed": any(ENGINE.is_distributed(v) for v in loaded.weights),
        "synchronized": loaded.get_layer("bn").synchronized,
    }
    # Saved outside any scope (the model just loaded), loaded inside it; then both train on.
    loaded.save(tmp / "one.keras")
    expected = state(loaded)
    with ENGINE.scope(True):
        restored = keras.saving.load_model(tmp / "one.keras")
        weights, slots = state(restored)
        out["one_to_multi"] = {
            "weights": max_diff(expected[0], weights),
            "optimizer_variables": max_diff(expected[1], slots),
            "optimizer_variable_count": [len(expected[1]), len(slots)],
            "distributed": all(ENGINE.is_distributed(v) for v in restored.weights)
            and all(ENGINE.is_distributed(v) for v in restored.optimizer.variables),
        }
        restored.fit(X, Y, batch_size=BATCH, epochs=1, shuffle=False, verbose=0)
    # Both come from files: a .keras file does not hold the dropout seed state (Keras'
    # Dropout neither), so the in-memory `trained` would draw other masks from here on.
    loaded.fit(X, Y, batch_size=BATCH, epochs=1, shuffle=False, verbose=0)
    out["one_to_multi"]["after_more_training"] = max_diff(
        sum(state(loaded), []), sum(state(restored), [])
    )
    return out


# --- what cannot work: refused with a reason ------------------------------------------


def group_errors():
    """An optimizer created outside the strategy scope / before the distribution."""
    optimizer = optimizers.Adam(0.01)  # one-device variables
    try:
        with ENGINE.scope(True):
            model = small_model(0)
            model.compile(optimizer=optimizer, loss=losses.MeanSquaredError())
            model.fit(OPT_X, OPT_Y, batch_size=BATCH, epochs=1, verbose=0)
    except Exception as error:  # the type and message are what the test checks
        return {"optimizer_outside": [type(error).__name__, str(error)]}
    return {"optimizer_outside": [None, "no error"]}


GROUPS = {
    "optimizers": group_optimizers,
    "layers": group_layers,
    "callbacks": group_callbacks,
    "saving": group_saving,
    "errors": group_errors,
}


def main():
    target = Path(sys.argv[2]) if len(sys.argv) > 2 else None
    chosen = sys.argv[3].split(",") if len(sys.argv) > 3 else list(GROUPS)
    report = {"backend": ENGINE.name, "devices": ENGINE.devices, "seconds": {}, "cpu_seconds": {}}
    report["cpu_seconds"]["start-up"] = round(time.process_time(), 2)
    for name in chosen:
        group = GROUPS[name]
        start, cpu = time.perf_counter(), time.process_time()
        try:
            report[name] = group()
        except Exception:  # recorded; the test reading this group fails with the traceback
            report[name] = {"error": traceback.format_exc()}
        report["seconds"][name] = round(time.perf_counter() - start, 2)
        report["cpu_seconds"][name] = round(time.process_time() - cpu, 2)
    text = json.dumps(report, indent=1)
    if target:
        target.write_text(text, encoding="utf-8")
    print(text)


if __name__ == "__main__":
    main()
