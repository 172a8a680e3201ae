"""Training-step time of studykit optimizers relative to their Keras built-ins.

For each optimizer, two copies of the same MLP (784-1024-256-10, 1,068,810 parameters) are
compiled, one with the studykit optimizer and one with the Keras built-in with identical
arguments, and timed with ``train_on_batch`` on one batch of 256 random samples, with
``jit_compile`` on and off, in the same process. Each run times ``--steps`` steps after a
warm-up; within a run the custom and built-in models take turns step by step, and the
table reports the median of ``--runs`` runs. A ratio above 1 means the studykit optimizer
is slower.

Usage::

    python benchmarks/bench_optimizers.py [--steps 20] [--runs 5] [--output PATH]

The backend is the one Keras picks (``KERAS_BACKEND``, TensorFlow by default here).
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import time
from pathlib import Path

os.environ.setdefault("KERAS_BACKEND", "tensorflow")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras  # noqa: E402
import numpy as np  # noqa: E402

from studykit import optimizers as so  # noqa: E402

PAIRS = [
    # Control: the Keras built-in against itself shows how much of a ratio is noise.
    ("control: Keras SGD", keras.optimizers.SGD, lambda: keras.optimizers.SGD()),
    ("SGD", so.SGD, lambda: keras.optimizers.SGD()),
    ("Momentum", so.Momentum, lambda: keras.optimizers.SGD(momentum=0.9)),
    ("Nesterov", so.Nesterov, lambda: keras.optimizers.SGD(momentum=0.9, nesterov=True)),
    ("AdaGrad", so.AdaGrad, lambda: keras.optimizers.Adagrad()),
    ("RMSProp", so.RMSProp, lambda: keras.optimizers.RMSprop()),
    ("Adam", so.Adam, lambda: keras.optimizers.Adam()),
]
BATCH = 256
WARMUP_STEPS = 3


def build_model():
    return keras.Sequential(
        [
            keras.Input((784,)),
            keras.layers.Dense(1024, activation="relu"),
            keras.layers.Dense(256, activation="relu"),
            keras.layers.Dense(10),
        ]
    )


def compiled(optimizer, weights, jit_compile):
    model = build_model()
    model.set_weights(weights)
    model.compile(
        optimizer=optimizer,
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
        jit_compile=jit_compile,
    )
    return model


def time_step(model, x, y):
    """Milliseconds for one ``train_on_batch`` call (it waits for the loss value)."""
    start = time.perf_counter()
    model.train_on_batch(x, y)
    return (time.perf_counter() - start) * 1000


def measure(custom_cls, builtin_factory, weights, x, y, jit_compile, steps, runs):
    """Return (custom ms/step, Keras ms/step, ratio), each the median over ``runs``.

    Within a run the two models take turns step by step (the first mover alternates), so
    both see the same load from other processes on a shared machine; the ratio is the
    median of the per-run ratios of these paired measurements.
    """
    models = {
        "custom": compiled(custom_cls(), weights, jit_compile),
        "keras": compiled(builtin_factory(), weights, jit_compile),
    }
    for model in models.values():
        for _ in range(WARMUP_STEPS):
            model.train_on_batch(x, y)
    per_run = {"custom": [], "keras": []}
    for _ in range(runs):
        total = {"custom": 0.0, "keras": 0.0}
        for step in range(steps):
            order = ["custom", "keras"] if step % 2 == 0 else ["keras", "custom"]
            for key in order:
                total[key] += time_step(models[key], x, y)
        for key in total:
            per_run[key].append(total[key] / steps)
    ratios = [c / k for c, k in zip(per_run["custom"], per_run["keras"])]
    return (
        statistics.median(per_run["custom"]),
        statistics.median(per_run["keras"]),
        statistics.median(ratios),
    )


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=20, help="timed steps per run")
    parser.add_argument("--runs", type=int, default=5, help="runs; the median is reported")
    parser.add_argument(
        "--output",
        type=Path,
        default=Path(__file__).parent / "results" / "optimizers.md",
        help="markdown file to write the table to",
    )
    args = parser.parse_args(argv)

    keras.utils.set_random_seed(0)
    weights = build_model().get_weights()
    n_params = sum(w.size for w in weights)
    rng = np.random.default_rng(0)
    x = rng.normal(size=(BATCH, 784)).astype("float32")
    y = rng.integers(0, 10, size=(BATCH,)).astype("int32")

    load_before = os.getloadavg()[0]
    rows = []
    for name, custom_cls, builtin_factory in PAIRS:
        for jit_compile in (True, False):
            custom_ms, keras_ms, ratio = measure(
                custom_cls, builtin_factory, weights, x, y, jit_compile, args.steps, args.runs
            )
            rows.append((name, jit_compile, custom_ms, keras_ms, ratio))
            print(f"{name} jit={jit_compile}: {custom_ms:.2f} / {keras_ms:.2f} ms", flush=True)

    table = [
        "| optimizer | jit_compile | studykit ms/step | Keras ms/step | ratio |",
        "|---|---|---:|---:|---:|",
    ]
    table += [
        f"| {name} | {jit} | {custom:.2f} | {builtin:.2f} | {ratio:.3f} |"
        for name, jit, custom, builtin, ratio in rows
    ]
    command = " ".join(["python benchmarks/bench_optimizers.py", *argv])
    report = "\n".join(
        [
            "# Optimizer training-step time: studykit vs Keras built-in",
            "",
            f"Command: `KERAS_BACKEND={keras.backend.backend()} {command}`",
            "",
            f"MLP 784-1024-256-10 ({n_params:,} parameters), batch {BATCH}, "
            f"`train_on_batch`, {WARMUP_STEPS} warm-up steps, median of {args.runs} runs "
            f"of {args.steps} steps; studykit and Keras models take turns step by step and the "
            "ratio is the median of the per-run ratios. The control row times Keras' SGD in "
            "both columns. "
            f"Keras {keras.__version__}, backend {keras.backend.backend()}, "
            f"Python {platform.python_version()}, {os.cpu_count()} CPU cores.",
            "",
            *table,
            "",
            f"The CPU was shared with other jobs (1-minute load average {load_before:.1f} "
            f"before the run, {os.getloadavg()[0]:.1f} after), so wall-clock times are noisy "
            "and single ratios can be off by several percent either way.",
            "",
        ]
    )
    print()
    print(report)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(report, encoding="utf-8")
    return rows


if __name__ == "__main__":
    main()
