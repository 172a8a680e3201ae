"""studykit components under data-parallel training, on CPU logical devices.

The devices must be configured before TensorFlow or JAX starts, so one subprocess
(``distribution_worker.py``) per backend trains everything twice, on one device and on all,
and reports the differences as JSON; the tests below check that report. The engine is the
one KERAS_BACKEND selects: ``tf.distribute.MirroredStrategy`` over 2 logical CPUs for
TensorFlow, ``keras.distribution.DataParallel`` over 4 XLA host devices for JAX.
"""

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import keras
import numpy as np
import pytest

from studykit import layers

BACKEND = keras.backend.backend()
WORKER = Path(__file__).with_name("distribution_worker.py")
DEVICES = {"tensorflow": 2, "jax": 4}
ENGINE = {"tensorflow": "MirroredStrategy", "jax": "DataParallel"}.get(BACKEND)
TOL = 1e-5  # float32 sums in another order on each device, over 6-8 steps

needs_engine = pytest.mark.skipif(
    BACKEND not in DEVICES,
    reason=f"multi-device tests cover TensorFlow and JAX, not the {BACKEND} backend",
)


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    path = tmp_path_factory.mktemp("distribution") / f"{BACKEND}.json"
    env = {**os.environ, "KERAS_BACKEND": BACKEND, "TF_CPP_MIN_LOG_LEVEL": "2"}
    done = subprocess.run(
        [sys.executable, str(WORKER), BACKEND, str(path)],
        capture_output=True,
        text=True,
        env=env,
        timeout=900,
    )
    if done.returncode != 0 or not path.exists():
        pytest.fail(
            f"{WORKER.name} {BACKEND} exited with {done.returncode}:\n{done.stderr[-6000:]}"
        )
    result = json.loads(path.read_text(encoding="utf-8"))
    print(f"distribution worker ({BACKEND}): wall {result['seconds']}, cpu {result['cpu_seconds']}")
    return result


def group(report, name):
    result = report[name]
    if "error" in result:
        pytest.fail(f"the {name} group raised under {ENGINE}:\n{result['error']}")
    return result


@needs_engine
def test_worker_ran_on_several_devices(report):
    assert report["backend"] == BACKEND
    assert report["devices"] == DEVICES[BACKEND]


# --- optimizers ---------------------------------------------------------------------


@needs_engine
def test_every_optimizer_matches_one_device(report):
    results = group(report, "optimizers")
    ours = {name: r for name, r in results.items() if not name.startswith("keras.")}
    # Every studykit optimizer, and every feature of the base class, is in the list.
    names = " ".join(ours)
    for feature in [
        "SGD(",
        "Momentum",
        "Nesterov",
        "AdaGrad",
        "RMSProp(centered, momentum",
        "amsgrad",
        "weight_decay",
        "clipnorm",
        "clipvalue",
        "global_clipnorm",
        "use_ema",
        "gradient_accumulation_steps",
        "schedule",
    ]:
        assert feature in names, feature
    for name, r in ours.items():
        assert r["moved"] > 0.01, f"{name}: training hardly moved the weights ({r['moved']})"
        assert r["weights"] <= TOL, f"{name}: weights differ from one device by {r['weights']}"
        assert r["optimizer_variables"] <= TOL, (
            f"{name}: optimizer variables differ by {r['optimizer_variables']}"
        )


@pytest.mark.skipif(BACKEND != "tensorflow", reason="the Keras clipping bug is TensorFlow's")
def test_keras_own_clipping_differs_under_mirrored_strategy(report):
    # Why studykit's optimizers sum the gradients before clipping (_DistributedTraining):
    # Keras' TensorFlow optimizer clips each replica's share. If this starts failing, Keras
    # clips after the all-reduce and the override could go.
    control = group(report, "optimizers")["keras.optimizers.SGD(momentum, clipnorm)"]
    assert control["weights"] > 1e-3


# --- layers ---------------------------------------------------------------------------


@needs_engine
def test_dropout_batchnorm_maxout_model_matches_one_device(report):
    r = group(report, "layers")
    # Reference: the same model with synchronized=False on one device. Dropout draws one
    # mask per example, so this also checks that each replica used one device's masks.
    assert r["synchronized_config"] is True
    assert r["moved_bn_stats"] > 0.1
    assert r["synchronized_weights"] <= TOL
    assert r["synchronized_optimizer_variables"] <= TOL
    assert r["synchronized_bn_stats"] <= TOL


@pytest.mark.skipif(
    BACKEND != "tensorflow",
    reason="on JAX keras.distribution compiles one program over the global batch, and "
    "synchronized=False runs the same code as True",
)
def test_unsynchronized_batchnorm_differs_under_mirrored_strategy(report):
    # Each replica normalizes with the statistics of its half of the batch (Keras' own
    # BatchNormalization too): why synchronized=True exists.
    r = group(report, "layers")
    assert r["plain_weights"] > 1e-2
    assert r["plain_bn_stats"] > 1e-2


# --- callbacks ----------------------------------------------------------------------


@needs_engine
@pytest.mark.parametrize(
    "name",
    [
        "GradientNormLogger",
        "ActivationStatsLogger",
        "ActivationStatsLogger.histograms",
        "DeadUnitMonitor",
    ],
)
def test_probe_callbacks_report_one_device_values(report, name):
    r = group(report, "callbacks")[name]
    assert r["rows"] > 0
    assert r["other_mismatches"] == 0  # epochs, layer names, bins, activations
    assert r["max_abs_diff"] <= TOL


@needs_engine
def test_gradient_norms_are_not_scaled_by_the_replica_count(report):
    # Inside a replica Keras' losses are divided by the number of replicas; a halved norm
    # would still be "consistent", so compare with one device's values.
    values = group(report, "callbacks")["GradientNormLogger"]["values"]
    assert len(values) == 9 and min(values) > 0.1


@needs_engine
def test_divergence_guard_stops_at_the_same_batch(report):
    r = group(report, "callbacks")["DivergenceGuard"]
    one, many = r["one"], r["many"]
    assert one[:3] == many[:3] == [True, 0, 2]  # diverged, epoch, batch
    number = re.compile(r"loss (\S+) exceeded")
    loss_one, loss_many = (float(number.match(x[3]).group(1)) for x in (one, many))
    assert loss_many == pytest.approx(loss_one, rel=1e-3)
    assert r["steps"][0] == r["steps"][1] and r["logged_loss_rel_diff"] <= 1e-4


# --- saving -----------------------------------------------------------------------------


@needs_engine
def test_model_saved_in_the_scope_loads_outside(report):
    r = group(report, "saving")["multi_to_one"]
    assert r["distributed"] is False and r["synchronized"] is True
    assert r["optimizer_variable_count"][0] == r["optimizer_variable_count"][1] > 10
    assert r["iterations"] == 8
    assert r["weights"] == r["optimizer_variables"] == r["prediction"] == 0.0


@needs_engine
def test_model_saved_outside_loads_in_the_scope(report):
    r = group(report, "saving")["one_to_multi"]
    assert r["distributed"] is True  # weights and optimizer variables on every device
    assert r["optimizer_variable_count"][0] == r["optimizer_variable_count"][1]
    assert r["weights"] == r["optimizer_variables"] == 0.0
    # Training goes on under the engine as it does on one device from the same file.
    assert r["after_more_training"] <= TOL


# --- what cannot work -----------------------------------------------------------------


@needs_engine
def test_optimizer_created_outside_the_scope_is_refused(report):
    kind, message = group(report, "errors")["optimizer_outside"]
    assert kind == "ValueError"
    assert ENGINE in message and "Adam was created" in message and "scope()" in message


# --- synchronized BatchNormalization on one device (this process) ------------------------


def test_synchronized_is_in_the_config():
    layer = layers.BatchNormalization(synchronized=True)
    config = layer.get_config()
    assert config["synchronized"] is True
    assert layers.BatchNormalization.from_config(config).synchronized is True
    assert layers.BatchNormalization().get_config()["synchronized"] is False


def test_synchronized_must_be_a_bool():
    with pytest.raises(ValueError, match="synchronized must be True or False"):
        layers.BatchNormalization(synchronized="yes")


def test_synchronized_is_refused_on_other_backends(monkeypatch):
    monkeypatch.setattr(keras.backend, "backend", lambda: "torch")
    with pytest.raises(ValueError, match="synchronized=True is supported on the TensorFlow"):
        layers.BatchNormalization(synchronized=True)
    layers.BatchNormalization(synchronized=False)  # still fine


def test_synchronized_equals_plain_on_one_device_even_for_a_large_mean():
    # The synchronized variance is taken around the global mean: a mean of 1000 with a
    # spread of 0.05 loses nothing (E[x²] - E[x]² in float32 would be rounding noise).
    rng = np.random.default_rng(5)
    x = (1000.0 + rng.normal(scale=0.05, size=(64, 3))).astype("float32")
    sync = layers.BatchNormalization(momentum=0.0, synchronized=True)  # moving = batch
    plain = layers.BatchNormalization(momentum=0.0)
    out_sync, out_plain = sync(x, training=True), plain(x, training=True)
    moving = keras.ops.convert_to_numpy(sync.moving_variance)
    np.testing.assert_allclose(moving, x.astype("float64").var(axis=0), rtol=1e-3)
    np.testing.assert_allclose(moving, keras.ops.convert_to_numpy(plain.moving_variance), rtol=1e-4)
    np.testing.assert_allclose(
        keras.ops.convert_to_numpy(out_sync), keras.ops.convert_to_numpy(out_plain), atol=1e-4
    )
