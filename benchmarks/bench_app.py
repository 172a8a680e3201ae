"""App start-up and memory: time to an interactive page, and peak RSS over 50 reruns.

    .venv/bin/python benchmarks/bench_app.py [--repeats 3] [--reruns 50]

1. Start `streamlit run app.py` on a free port, open the home page in Debian's Chromium
   (Playwright) and time from process start until the topic table is shown; the same for a
   deep link to a topic page (until its first question's answer box is shown). Median of
   --repeats fresh servers. Keras must not be needed for either.
2. In one server: run the vanishing-gradient experiment once, then reload the page and press
   실행 with the same settings --reruns times (cached result); report the server's RSS before,
   after the first run, and its peak and last values over the reruns (memory growth).
Writes benchmarks/results/app.md.
"""

from __future__ import annotations

import argparse
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).parents[1]
BROWSER_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_server(db: Path) -> tuple[subprocess.Popen, str, float]:
    port = free_port()
    env = {**os.environ, "STUDYKIT_DB": str(db), "TF_CPP_MIN_LOG_LEVEL": "2"}
    started = time.perf_counter()
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "streamlit",
            "run",
            str(ROOT / "app.py"),
            "--server.headless",
            "true",
            "--server.port",
            str(port),
            "--server.fileWatcherType",
            "none",
            "--browser.gatherUsageStats",
            "false",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    while True:
        try:
            urllib.request.urlopen(f"{url}/_stcore/health", timeout=1)
            return process, url, started
        except OSError:
            time.sleep(0.05)


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def time_to_interactive(browser, path: str, ready_text: str | None, ready_role: str | None):
    with tempfile.TemporaryDirectory() as folder:
        process, url, started = start_server(Path(folder) / "db.sqlite3")
        try:
            page = browser.new_page()
            page.goto(url + path)
            if ready_text:
                page.get_by_text(ready_text).first.wait_for(timeout=120_000)
            else:
                page.get_by_role(ready_role).first.wait_for(timeout=120_000)
            elapsed = time.perf_counter() - started
            page.close()
            return elapsed
        finally:
            process.terminate()
            process.wait()


def memory_over_reruns(browser, reruns: int) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as folder:
        process, url, _ = start_server(Path(folder) / "db.sqlite3")
        try:
            page = browser.new_page()
            before = rss_mb(process.pid)
            samples = []
            for _ in range(reruns + 1):
                page.goto(f"{url}/activation")
                card = page.get_by_test_id("stExpander").first
                card.get_by_text("실험으로 확인하기").click()
                form = card.get_by_test_id("stForm")
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
        finally:
            process.terminate()
            process.wait()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--reruns", type=int, default=50)
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", args=BROWSER_ARGS)
        home = [time_to_interactive(browser, "/", "주제 19개", None) for _ in range(args.repeats)]
        topic = [
            time_to_interactive(browser, "/activation", None, "textbox")
            for _ in range(args.repeats)
        ]
        memory = memory_over_reruns(browser, args.reruns)
        browser.close()
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
        f"| server RSS before any experiment | {memory['before']:.0f} MB |",
        f"| RSS after the first experiment run (TensorFlow loaded) | "
        f"{memory['first_run']:.0f} MB |",
        f"| peak RSS over {args.reruns} reruns with the same settings | {memory['peak']:.0f} MB |",
        f"| RSS after the last rerun | {memory['last']:.0f} MB |",
    ]
    table = "\n".join(lines)
    print(table)
    (ROOT / "benchmarks" / "results" / "app.md").write_text(table + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
