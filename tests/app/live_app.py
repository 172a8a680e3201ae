"""The app served for real, shared by the browser tests (conftest.py) and
benchmarks/bench_app.py: a Streamlit server on a free port, Chromium's flags, and the
page check for an experiment's first progress."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).parents[2]
CHROMIUM = Path("/usr/bin/chromium")
BROWSER_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
# True once the experiment panel shows progress beyond its start, or a chart (a run can
# finish between two polls).
FIRST_PROGRESS = """() => {
  const bar = document.querySelector('[data-testid="stProgress"] [role="progressbar"]');
  const value = bar ? Number(bar.getAttribute('aria-valuenow')) : 0;
  return value > 0 || document.querySelector('.vega-embed canvas, .vega-embed svg') !== null;
}"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_server(
    db: Path, timeout_s: float = 60, app: Path = ROOT / "app.py"
) -> tuple[subprocess.Popen, str, float]:
    """``streamlit run app.py`` (or another ``app``) with its progress in ``db``; returns
    (process, url, the perf_counter time it was started) once the server answers its health
    check. Raises RuntimeError (and stops the server) when it does not answer within
    ``timeout_s``."""
    port = free_port()
    env = {**os.environ, "STUDYKIT_DB": str(db), "TF_CPP_MIN_LOG_LEVEL": "2"}
    command = [
        sys.executable,
        "-m",
        "streamlit",
        "run",
        str(app),
        "--server.headless",
        "true",
        "--server.port",
        str(port),
        "--server.address",
        "127.0.0.1",
        "--server.fileWatcherType",
        "none",
        "--browser.gatherUsageStats",
        "false",
    ]
    started = time.perf_counter()
    process = subprocess.Popen(
        command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    url = f"http://127.0.0.1:{port}"
    while time.perf_counter() < started + timeout_s:
        try:
            urllib.request.urlopen(f"{url}/_stcore/health", timeout=1)
            return process, url, started
        except OSError:
            time.sleep(0.05)
    process.kill()
    raise RuntimeError(f"streamlit did not start within {timeout_s:g} s")
