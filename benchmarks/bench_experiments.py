"""Time every experiment's default preset: cold (a fresh run) and cached (run_cached again).

    .venv/bin/python benchmarks/bench_experiments.py [--repeats 3] [--preset default] [NAME ...]

Each run happens in this one process after a warm-up run of a tiny experiment, so the
one-off TensorFlow import and first graph trace are not charged to the first experiment.
Prints a markdown table (median of --repeats runs) and writes benchmarks/results/experiments.md.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from studykit import experiments  # noqa: E402

TARGET_SECONDS = 5.0


def _time(fn) -> float:
    started = time.perf_counter()
    fn()
    return time.perf_counter() - started


def measure(name: str, preset: str, repeats: int) -> tuple[float, float]:
    cold = [_time(lambda: experiments.run(name, preset=preset)) for _ in range(repeats)]
    experiments.run_cached(name, preset=preset)
    cached = [_time(lambda: experiments.run_cached(name, preset=preset)) for _ in range(repeats)]
    return statistics.median(cold), statistics.median(cached)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("names", nargs="*", default=experiments.names())
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--preset", default="default")
    args = parser.parse_args()
    experiments.run("vanishing_gradient", preset="tiny")  # warm-up: imports, first trace
    rows = []
    for name in args.names:
        cold, cached = measure(name, args.preset, args.repeats)
        flag = "" if cold <= TARGET_SECONDS else " (over 5 s)"
        rows.append(f"| {name} | {cold:.2f}{flag} | {cached * 1000:.3f} |")
        print(rows[-1], file=sys.stderr, flush=True)
    table = "\n".join(
        [
            f"Preset `{args.preset}`, median of {args.repeats} runs, "
            f"{os.cpu_count()} CPU cores, {platform.processor() or platform.machine()}, "
            f"KERAS_BACKEND={os.environ.get('KERAS_BACKEND', 'tensorflow')}.",
            "",
            "| experiment | cold run (s) | cached run (ms) |",
            "|---|---|---|",
            *rows,
        ]
    )
    print(table)
    out = Path(__file__).parent / "results" / "experiments.md"
    out.write_text(f"Command: `{' '.join(['python', *sys.argv])}`\n\n{table}\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
