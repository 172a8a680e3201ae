"""Time every experiment's default preset: training steps, µs per step and seconds, before
and after a change, in one table.

    .venv/bin/python benchmarks/bench_experiments.py [--before DIR] [--repeats 3] [NAME ...]

Each code version runs in its own worker process (``--before DIR``: a checkout of the
earlier code, e.g. ``git worktree add /tmp/before HEAD``, imported through PYTHONPATH).
A worker imports TensorFlow as the app does (``ui.resources.start_keras_import``, where the
code has it) and runs one tiny experiment before it is timed, so the one-off import is not
charged to the first experiment. The two workers take turns, one
experiment at a time, so that both see the same machine load. Every experiment runs
``--repeats`` times in a row; the table shows the median, and for the current code also
the first of those runs, which traces its models (later runs reuse the traced models,
``studykit.experiments._models.reuse``). "steps" counts optimizer updates (every
``model.fit`` adds its optimizer's iterations); µs per step is the run's whole time divided
by them. "first progress" is the time until the run first reports a fraction above 0 (what
moves the app's progress bar). Writes benchmarks/results/experiments.md.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TARGET_EACH, TARGET_MEDIAN, TARGET_FIRST_PROGRESS = 2.0, 1.0, 0.5

WORKER = r"""
import json, os, sys, time
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
try:  # import Keras as the app does: in the background, then gc.freeze() the import's objects
    from studykit.ui.resources import start_keras_import
    start_keras_import().join()
except ImportError:  # code from before the app imported Keras in the background
    pass
import keras
from studykit import experiments

steps = [0]
fit = keras.Model.fit

def counted(self, *args, **kwargs):
    before = int(keras.ops.convert_to_numpy(self.optimizer.iterations))
    try:
        return fit(self, *args, **kwargs)
    finally:
        steps[0] += int(keras.ops.convert_to_numpy(self.optimizer.iterations)) - before

keras.Model.fit = counted
experiments.run("vanishing_gradient", preset="tiny")  # import and first trace
print(json.dumps({"ready": True}), flush=True)
for line in sys.stdin:
    name, preset, repeats = json.loads(line)
    seconds, first_progress = [], []
    for _ in range(repeats):
        steps[0] = 0
        started = time.perf_counter()
        first = []

        def report(fraction, message):
            if fraction > 0 and not first:
                first.append(time.perf_counter() - started)

        experiments.run(name, progress=report, preset=preset)
        seconds.append(time.perf_counter() - started)
        first_progress.append(first[0] if first else seconds[-1])
    print(json.dumps({"seconds": seconds, "steps": steps[0], "first": first_progress}), flush=True)
"""


class Worker:
    """One Python process running ``WORKER`` against the code in ``path``."""

    def __init__(self, path: Path):
        env = {**os.environ, "PYTHONPATH": str(path), "TF_CPP_MIN_LOG_LEVEL": "2"}
        env.setdefault("KERAS_BACKEND", "tensorflow")
        self.process = subprocess.Popen(
            [sys.executable, "-c", WORKER],
            cwd=path,
            env=env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
        )
        self._read()

    def _read(self) -> dict:
        line = self.process.stdout.readline()
        if not line:
            raise RuntimeError("the benchmark worker stopped (run it alone to see why)")
        return json.loads(line)

    def time(self, name: str, preset: str, repeats: int) -> dict:
        self.process.stdin.write(json.dumps([name, preset, repeats]) + "\n")
        self.process.stdin.flush()
        return self._read()

    def close(self) -> None:
        self.process.stdin.close()
        self.process.wait(timeout=60)


def _names(path: Path) -> list[str]:
    code = "from studykit import experiments; print(' '.join(experiments.names()))"
    env = {**os.environ, "PYTHONPATH": str(path)}
    out = subprocess.run([sys.executable, "-c", code], cwd=path, env=env, capture_output=True)
    return out.stdout.decode().split()


def _cells(measured: dict | None) -> tuple[str, str, str]:
    """(steps, median seconds, µs per step) of one version's runs."""
    if measured is None:
        return "—", "—", "—"
    median = statistics.median(measured["seconds"])
    steps = measured["steps"]
    per_step = f"{median / steps * 1e6:,.0f}" if steps else "—"
    return (f"{steps:,}" if steps else "0"), f"{median:.2f}", per_step


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("names", nargs="*")
    parser.add_argument("--before", type=Path, help="checkout of the code to compare with")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--preset", default="default")
    args = parser.parse_args()
    names = args.names or _names(ROOT)
    earlier = set(_names(args.before)) if args.before else set()
    started = time.perf_counter()
    after = Worker(ROOT)
    before = Worker(args.before) if args.before else None
    rows, medians, firsts, progress = [], [], [], []
    for name in names:
        old = before.time(name, args.preset, args.repeats) if before and name in earlier else None
        new = after.time(name, args.preset, args.repeats)
        new_median = statistics.median(new["seconds"])
        medians.append(new_median)
        firsts.append(new["seconds"][0])
        progress.append(statistics.median(new["first"]))
        speedup = (
            f"{statistics.median(old['seconds']) / new_median:.1f}×" if old and new_median else "—"
        )
        old_steps, old_s, old_us = _cells(old)
        new_steps, new_s, new_us = _cells(new)
        flag = " ⚠" if new_median > TARGET_EACH else ""
        rows.append(
            f"| {name} | {new_steps} | {old_s} | {old_us} | {new['seconds'][0]:.2f} | "
            f"{new_s}{flag} | {new_us} | {speedup} | {progress[-1]:.2f} |"
        )
        if old and old["steps"] != new["steps"]:
            rows[-1] += f" steps before: {old_steps}"
        print(rows[-1], file=sys.stderr, flush=True)
    after.close()
    if before:
        before.close()
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    over = [n for n, m in zip(names, medians) if m > TARGET_EACH]
    table = "\n".join(
        [
            f"Preset `{args.preset}`, median of {args.repeats} runs in a row, TensorFlow already "
            f"imported; {os.cpu_count()} CPU cores, {platform.processor() or platform.machine()}, "
            f"KERAS_BACKEND={os.environ.get('KERAS_BACKEND', 'tensorflow')}; load average "
            f"{load:.1f} at the end; {time.perf_counter() - started:.0f} s in all.",
            "",
            "| experiment | steps | before (s) | before (µs/step) | after, 1st run (s) | "
            "after (s) | after (µs/step) | speed-up | after: first progress (s) |",
            "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
            *rows,
            "",
            f"After: median over experiments {statistics.median(medians):.2f} s (target ≤ "
            f"{TARGET_MEDIAN:g} s), slowest {max(medians):.2f} s (target ≤ {TARGET_EACH:g} s"
            f"{'; over: ' + ', '.join(over) if over else ''}); first runs: median "
            f"{statistics.median(firsts):.2f} s, slowest {max(firsts):.2f} s; first progress "
            f"(the bar's first move after the run starts, median of the runs): slowest "
            f"{max(progress):.2f} s (target ≤ {TARGET_FIRST_PROGRESS:g} s).",
        ]
    )
    print(table)
    out = ROOT / "benchmarks" / "results" / "experiments.md"
    command = " ".join(["python", "benchmarks/bench_experiments.py", *sys.argv[1:]])
    out.write_text(f"Command: `{command}`\n\n{table}\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
