"""App start-up and memory: time to an interactive page, and peak RSS over 50 reruns.

    .venv/bin/python benchmarks/bench_app.py [--repeats 3] [--reruns 50]

1. Start `streamlit run app.py` on a free port, open the home page in Debian's Chromium
   (Playwright) and time from process start until the topic table is shown; the same for a
   deep link to a topic page (until its first question's answer box is shown). Median of
   --repeats fresh servers. Keras must not be needed for either. The floor: the same for a
   one-line Streamlit page (what Streamlit and Chromium alone take here). Then, in a warm
   server, the topic page reached from the home page's sidebar.
2. The first 실행 on a fresh server (Keras imports in the background from server start): open
   the 활성화 함수 page's ReLU card and its experiment (vanishing_gradient, default preset),
   press 실행 10 s after the server started, as soon as the button is shown, or 40 s after
   (Keras imported and the panel's warm-up done); time from the click to the first progress
   and to the chart. Median of --repeats fresh servers each.
3. In one server: run the vanishing-gradient experiment once, then reload the page and press
   실행 with the same settings --reruns times (cached result); report the server's RSS before,
   after the first run, and its peak and last values over the reruns (memory growth).
4. The app's memory after every experiment has run once, in one process doing what the
   server does: Kiwi (the answer check) loaded, then every experiment's default preset
   through the app's cached runner; resident and peak RSS.
Writes benchmarks/results/app.md.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).parents[1]
sys.path.insert(0, str(ROOT / "tests" / "app"))
from live_app import BROWSER_ARGS, CHROMIUM, FIRST_PROGRESS, start_server  # noqa: E402


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


# The floor: a Streamlit app that only writes the text the home page is timed by.
FLOOR_APP = 'import streamlit as st\nst.write("주제 20개")\n'


@contextlib.contextmanager
def fresh_server(app_source: str | None = None) -> Iterator[tuple[subprocess.Popen, str, float]]:
    """A new server with an empty progress database, serving app.py (or ``app_source``);
    yields (process, url, start time) and stops the server afterwards."""
    with tempfile.TemporaryDirectory() as folder:
        app = {}
        if app_source is not None:
            app["app"] = Path(folder) / "app.py"
            app["app"].write_text(app_source, encoding="utf-8")
        process, url, started = start_server(Path(folder) / "db.sqlite3", **app)
        try:
            yield process, url, started
        finally:
            process.terminate()
            process.wait()


def time_to_interactive(browser, path: str, ready_text, ready_role: str | None, floor=False):
    with fresh_server(FLOOR_APP if floor else None) as (_, url, started):
        page = browser.new_page()
        page.goto(url + path)
        if ready_text:
            page.get_by_text(ready_text).first.wait_for(timeout=120_000)
        else:
            page.get_by_role(ready_role).first.wait_for(timeout=120_000)
        elapsed = time.perf_counter() - started
        page.close()
        return elapsed


def topic_after_home(browser) -> float:
    """Seconds from clicking the 활성화 함수 topic in the sidebar of a loaded home page until
    its first answer box is shown (the server already warm, as when a learner browses)."""
    with fresh_server() as (_, url, _):
        page = browser.new_page()
        page.goto(url)
        page.get_by_text(re.compile(r"주제 \d+개")).first.wait_for(timeout=120_000)
        time.sleep(3)  # the first page's background imports settle
        clicked = time.perf_counter()
        page.get_by_test_id("stSidebarNav").get_by_text("활성화 함수").first.click()
        page.get_by_role("textbox").first.wait_for(timeout=120_000)
        elapsed = time.perf_counter() - clicked
        page.close()
        return elapsed


def open_experiment(page, url: str):
    """The 활성화 함수 page's ReLU card with its experiment form open; returns the form."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    page.goto(f"{url}/activation", timeout=120_000)
    card = page.get_by_test_id("stExpander").filter(has_text="ReLU를 많이 쓰는").first
    card.locator("summary").wait_for(timeout=120_000)
    if card.locator("details").get_attribute("open") is None:
        card.locator("summary").click()  # only the topic's first question starts open
    form = card.get_by_test_id("stForm")
    try:  # a reloaded page keeps its session, and with it an experiment already open
        form.wait_for(timeout=3_000)
    except PlaywrightTimeout:
        card.get_by_text("실험으로 확인하기").click()
        form.wait_for(timeout=120_000)
    return form


def first_run(browser, press_after_s: float | None) -> tuple[float, float]:
    """(click → first progress, click → chart) of the first 실행 on a fresh server, pressed
    ``press_after_s`` after the server started (None: as soon as the button is shown)."""
    with fresh_server() as (_, url, started):
        page = browser.new_page(viewport={"width": 1400, "height": 1100})
        form = open_experiment(page, url)
        if press_after_s is not None:
            time.sleep(max(0.0, started + press_after_s - time.perf_counter()))
        clicked = time.perf_counter()
        form.get_by_role("button", name="실행").click()
        page.wait_for_function(FIRST_PROGRESS, timeout=180_000, polling=20)
        progress = time.perf_counter() - clicked
        page.get_by_text("검증 정확도").first.wait_for(timeout=180_000)
        page.locator(".vega-embed canvas, .vega-embed svg").first.wait_for(timeout=60_000)
        chart = time.perf_counter() - clicked
        page.close()
        print(
            f"first 실행 after {press_after_s} s: {progress:.2f} s, {chart:.2f} s", file=sys.stderr
        )
        return progress, chart


def memory_over_reruns(browser, reruns: int) -> dict[str, float]:
    with fresh_server() as (process, url, _):
        page = browser.new_page()
        before = rss_mb(process.pid)
        samples = []
        for _ in range(reruns + 1):
            form = open_experiment(page, url)
            form.get_by_label("층당 뉴런 수 (width)").fill("8")
            form.get_by_label("데이터 수 (samples)").fill("128")
            form.get_by_role("button", name="실행").click()
            page.get_by_text("검증 정확도").first.wait_for(timeout=180_000)
            samples.append(rss_mb(process.pid))
        return {
            "before": before,
            "first_run": samples[0],
            "peak": max(samples[1:]),
            "last": samples[-1],
        }


EVERY_EXPERIMENT = """
import os, resource, sys
from studykit import experiments
from studykit.quiz import analyser
from studykit.ui import resources
resources.start_keras_import().join()  # as the server imports Keras
analyser.load()
for name in experiments.names():
    experiments.run_cached(name, preset="default")
rss = next(int(l.split()[1]) for l in open("/proc/self/status") if l.startswith("VmRSS:"))
print(rss / 1024, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
"""


def memory_after_every_experiment() -> tuple[float, float]:
    """(RSS, peak RSS) in MB of one process that ran every default preset, Kiwi loaded."""
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2"}
    done = subprocess.run(
        [sys.executable, "-c", EVERY_EXPERIMENT], cwd=ROOT, env=env, capture_output=True, text=True
    )
    rss, peak = done.stdout.split()[-2:]
    return float(rss), float(peak)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--reruns", type=int, default=50)
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=BROWSER_ARGS)
        home = [
            time_to_interactive(browser, "/", re.compile(r"주제 \d+개"), None)
            for _ in range(args.repeats)
        ]
        topic = [
            time_to_interactive(browser, "/activation", None, "textbox")
            for _ in range(args.repeats)
        ]
        floor = [
            time_to_interactive(browser, "/", re.compile(r"주제 \d+개"), None, floor=True)
            for _ in range(args.repeats)
        ]
        browsing = [topic_after_home(browser) for _ in range(args.repeats)]
        after_10s = [first_run(browser, 10.0) for _ in range(args.repeats)]
        at_once = [first_run(browser, None) for _ in range(args.repeats)]
        after_40s = [first_run(browser, 40.0) for _ in range(args.repeats)]
        memory = memory_over_reruns(browser, args.reruns)
        browser.close()
    every_rss, every_peak = memory_after_every_experiment()
    lines = [
        f"Command: `python benchmarks/bench_app.py --repeats {args.repeats} --reruns {args.reruns}`"
        f" ({os.cpu_count()} CPU cores)",
        "",
        "| measurement | value |",
        "|---|---|",
        f"| server start → interactive home page (median of {args.repeats}) | "
        f"{statistics.median(home):.2f} s |",
        f"| server start → interactive topic page, deep link (median of {args.repeats}) | "
        f"{statistics.median(topic):.2f} s |",
        f"| floor: server start → a one-line Streamlit page (median of {args.repeats}) | "
        f"{statistics.median(floor):.2f} s |",
        f"| topic page from the home page's sidebar, server warm (median of {args.repeats}) | "
        f"{statistics.median(browsing):.2f} s |",
        *(
            f"| first 실행, pressed {when}: click → {what} (median of {args.repeats}) | "
            f"{statistics.median(run[index] for run in runs):.2f} s |"
            for when, runs in (
                ("10 s after server start", after_10s),
                ("at once", at_once),
                ("40 s after server start (Keras imported, warm-up done)", after_40s),
            )
            for index, what in enumerate(("first progress", "chart"))
        ),
        f"| server RSS before any experiment | {memory['before']:.0f} MB |",
        f"| RSS after the first experiment run (TensorFlow loaded) | "
        f"{memory['first_run']:.0f} MB |",
        f"| peak RSS over {args.reruns} reruns with the same settings | {memory['peak']:.0f} MB |",
        f"| RSS after the last rerun | {memory['last']:.0f} MB |",
        f"| RSS after every experiment's default ran once, Kiwi loaded (peak) | "
        f"{every_rss:.0f} MB ({every_peak:.0f} MB) |",
    ]
    table = "\n".join(lines)
    print(table)
    (ROOT / "benchmarks" / "results" / "app.md").write_text(table + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
