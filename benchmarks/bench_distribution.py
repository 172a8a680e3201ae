"""Data-parallel training-step time: studykit's Adam vs Keras' Adam, per device count.

The same MLP (784-1024-256-10, 1,068,810 parameters) is compiled twice per device count, with
``studykit.optimizers.Adam`` and with ``keras.optimizers.Adam`` (same arguments), and timed
with ``train_on_batch`` on one global batch of 256:

- TensorFlow: 1 device (no strategy) and 2 devices (``tf.distribute.MirroredStrategy``);
- JAX: 1 device (no distribution), 2 and 4 devices (``keras.distribution.DataParallel``).

On the studykit side the step goes through ``_DistributedTraining`` (TensorFlow: one
all-reduce, then replica-local updates; Keras' optimizer all-reduces and updates through a
cross-replica ``merge_call``). Each backend runs in its own subprocess, because the devices
(CPU logical devices: ``tf.config.set_logical_device_configuration`` and
``XLA_FLAGS=--xla_force_host_platform_device_count``) must be set before the backend starts.
Within a run the studykit and Keras models take turns step by step; the table reports the
median of ``--runs`` runs of ``--steps`` steps, and a control row (Keras' Adam in both
columns) per device count shows the noise. A ratio above 1 means studykit is slower.

Logical CPU devices share the machine's cores, so more devices do not make a step faster
here: the ``vs 1 device`` column shows the cost of splitting the batch and summing the
gradients, not a speed-up.

Usage::

    python benchmarks/bench_distribution.py [--steps 20] [--runs 5] [--output PATH]
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

DEVICE_COUNTS = {"tensorflow": (1, 2), "jax": (1, 2, 4)}
ENGINES = {"tensorflow": "tf.distribute.MirroredStrategy", "jax": "keras.distribution.DataParallel"}
BATCH = 256
WARMUP_STEPS = 3


def setup_devices(backend):
    """Configure CPU logical devices; must run before the backend is imported."""
    os.environ["KERAS_BACKEND"] = backend
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    most = max(DEVICE_COUNTS[backend])
    if backend == "jax":
        flag = f"--xla_force_host_platform_device_count={most}"
        os.environ["XLA_FLAGS"] = f"{os.environ.get('XLA_FLAGS', '')} {flag}".strip()
        os.environ.setdefault("JAX_PLATFORMS", "cpu")
    else:
        import tensorflow as tf

        cpu = tf.config.list_physical_devices("CPU")[0]
        tf.config.set_logical_device_configuration(
            cpu, [tf.config.LogicalDeviceConfiguration()] * most
        )


def engine_scope(backend, devices):
    """Context in which the models are built, compiled and trained on ``devices`` devices."""
    import keras

    if devices == 1:
        return contextlib.nullcontext()
    if backend == "tensorflow":
        import tensorflow as tf

        names = [d.name for d in tf.config.list_logical_devices("CPU")][:devices]
        return tf.distribute.MirroredStrategy(names).scope()
    import jax

    return keras.distribution.DataParallel(devices=jax.devices()[:devices]).scope()


def measure_backend(backend, steps, runs):
    """Run in the subprocess: time both optimizers at each device count; return rows."""
    setup_devices(backend)
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    import keras
    import numpy as np

    from studykit import optimizers

    def build_model():
        return keras.Sequential(
            [
                keras.Input((784,)),
                keras.layers.Dense(1024, activation="relu"),
                keras.layers.Dense(256, activation="relu"),
                keras.layers.Dense(10),
            ]
        )

    keras.utils.set_random_seed(0)
    weights = build_model().get_weights()
    rng = np.random.default_rng(0)
    x = rng.normal(size=(BATCH, 784)).astype("float32")
    y = rng.integers(0, 10, size=(BATCH,)).astype("int32")

    def compiled(make_optimizer):
        model = build_model()
        model.set_weights(weights)
        model.compile(
            optimizer=make_optimizer(),
            loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
        )
        for _ in range(WARMUP_STEPS):
            model.train_on_batch(x, y)
        return model

    def time_step(model):
        start = time.perf_counter()
        model.train_on_batch(x, y)  # waits for the loss value
        return (time.perf_counter() - start) * 1000

    def paired(models):
        """Median ms/step of each model and median per-run ratio a/b, taking turns."""
        per_run = [[], []]
        for _ in range(runs):
            total = [0.0, 0.0]
            for step in range(steps):
                for index in (0, 1) if step % 2 == 0 else (1, 0):
                    total[index] += time_step(models[index])
            for index in (0, 1):
                per_run[index].append(total[index] / steps)
        ratios = [a / b for a, b in zip(*per_run)]
        return (
            statistics.median(per_run[0]),
            statistics.median(per_run[1]),
            statistics.median(ratios),
        )

    rows = []
    for devices in DEVICE_COUNTS[backend]:
        with engine_scope(backend, devices):
            ours = compiled(optimizers.Adam)
            theirs = compiled(keras.optimizers.Adam)
            control = compiled(keras.optimizers.Adam)
            ours_ms, keras_ms, ratio = paired([ours, theirs])
            _, _, control_ratio = paired([control, theirs])
        rows.append(
            {
                "backend": backend,
                "devices": devices,
                "studykit_ms": ours_ms,
                "keras_ms": keras_ms,
                "ratio": ratio,
                "control_ratio": control_ratio,
            }
        )
        print(
            f"{backend} {devices} device(s): studykit {ours_ms:.2f} ms, Keras {keras_ms:.2f} ms, "
            f"ratio {ratio:.3f} (control {control_ratio:.3f})",
            file=sys.stderr,
            flush=True,
        )
    versions = {"keras": keras.__version__}
    if backend == "tensorflow":
        import tensorflow as tf

        versions["tensorflow"] = tf.__version__
    else:
        import jax

        versions["jax"] = jax.__version__
    return {"rows": rows, "versions": versions}


def table(results):
    lines = [
        "| backend | engine | devices | studykit ms/step | Keras ms/step | ratio | control ratio "
        "| studykit vs 1 device |",
        "|---|---|---:|---:|---:|---:|---:|---:|",
    ]
    for result in results:
        rows = result["rows"]
        single = rows[0]["studykit_ms"]
        for row in rows:
            engine = "one device" if row["devices"] == 1 else ENGINES[row["backend"]]
            lines.append(
                f"| {row['backend']} | {engine} | {row['devices']} | {row['studykit_ms']:.2f} "
                f"| {row['keras_ms']:.2f} | {row['ratio']:.3f} | {row['control_ratio']:.3f} "
                f"| {row['studykit_ms'] / single:.2f} |"
            )
    return lines


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=20, help="timed steps per run")
    parser.add_argument("--runs", type=int, default=5, help="runs; the median is reported")
    parser.add_argument(
        "--backends", default="tensorflow,jax", help="comma-separated: tensorflow, jax"
    )
    parser.add_argument(
        "--output",
        type=Path,
        default=Path(__file__).parent / "results" / "distribution.md",
        help="markdown file to write the table to",
    )
    parser.add_argument("--worker", help=argparse.SUPPRESS)  # backend, in the subprocess
    parser.add_argument("--json", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    if args.worker:
        result = measure_backend(args.worker, args.steps, args.runs)
        args.json.write_text(json.dumps(result), encoding="utf-8")
        return result

    backends = [b.strip() for b in args.backends.split(",") if b.strip()]
    for backend in backends:
        if backend not in DEVICE_COUNTS:
            parser.error(f"--backends: {backend!r} is not one of {', '.join(DEVICE_COUNTS)}")
    load_before = os.getloadavg()[0]
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        for backend in backends:
            path = Path(tmp) / f"{backend}.json"
            command = [sys.executable, __file__, "--worker", backend, "--json", str(path)]
            command += ["--steps", str(args.steps), "--runs", str(args.runs)]
            subprocess.run(command, check=True)
            results.append(json.loads(path.read_text(encoding="utf-8")))

    versions = {name: v for result in results for name, v in result["versions"].items()}
    versions = ", ".join(f"{name} {version}" for name, version in versions.items())
    command = " ".join(["python benchmarks/bench_distribution.py", *argv])
    report = "\n".join(
        [
            "# Data-parallel training-step time: studykit Adam vs Keras Adam",
            "",
            f"Command: `{command}`",
            "",
            f"MLP 784-1024-256-10 (1,068,810 parameters), global batch {BATCH} split over the "
            f"devices, `train_on_batch`, {WARMUP_STEPS} warm-up steps, median of {args.runs} "
            f"runs of {args.steps} steps; studykit and Keras models take turns step by step and "
            "the ratio (studykit ÷ Keras) is the median of the per-run ratios. The control "
            "ratio times Keras' Adam against a second Keras Adam model: the noise level. "
            "Devices are CPU logical devices on one machine "
            f"({os.cpu_count()} CPU cores, shared by all devices), so more devices cannot be "
            "faster; `studykit vs 1 device` is the cost of splitting the batch and summing "
            f"gradients. {versions}, Python {platform.python_version()}.",
            "",
            *table(results),
            "",
            f"The CPU was shared with other jobs (1-minute load average {load_before:.1f} "
            f"before the run, {os.getloadavg()[0]:.1f} after), so wall-clock times are noisy "
            "and single ratios can be off by several percent either way.",
            "",
        ]
    )
    print(report)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(report, encoding="utf-8")
    return results


if __name__ == "__main__":
    main()
