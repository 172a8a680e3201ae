"""Shared, process-wide resources for the app: the question bank, the progress store, and
Keras, imported in a background thread as soon as the app starts (quiz pages never wait
for it; an experiment's first 실행 usually finds it loaded)."""

from __future__ import annotations

import contextlib
import functools
import gc
import importlib
import json
import os
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass

import streamlit as st

from studykit import experiments
from studykit.quiz.bank import Bank, load_bank_partial
from studykit.quiz.store import Store, StoreError


@dataclass(frozen=True)
class LoadedBank:
    bank: Bank
    problems: tuple[str, ...]


def experiment_catalog() -> dict[str, dict]:
    return experiments.catalog()


_BACKGROUND_LOCK = threading.Lock()  # starts each background load once
_KERAS_THREAD: list[threading.Thread] = []
_KERAS_SETTLED = threading.Event()  # the background import ended and lifted its blocks


def start_keras_import() -> threading.Thread:
    """Import Keras (and its backend), then Altair, in a daemon thread, once per process;
    then freeze the objects they left for the garbage collector (``gc.freeze``).

    Python's import lock makes an experiment that needs Keras meanwhile simply wait for
    this import instead of starting a second one.
    """
    with _BACKGROUND_LOCK:
        if not _KERAS_THREAD:
            thread = threading.Thread(target=_import_keras, name="studykit-keras", daemon=True)
            _KERAS_THREAD.append(thread)
            thread.start()
        return _KERAS_THREAD[0]


def _import_keras() -> None:
    try:
        with _blocked(_unused_by_the_app()):
            importlib.import_module("keras")
    except Exception:  # an experiment will import it again and show the error
        return
    finally:
        _KERAS_SETTLED.set()
    _warm_charts()
    # The import leaves about 420,000 long-lived objects. A full garbage collection walks
    # every one of them (up to 0.6 s, holding the GIL, at a random moment of an experiment);
    # frozen, they are left out of every collection (0.25 s at most over every experiment).
    gc.freeze()


def wait_for_keras_import() -> None:
    """Wait for the background Keras import, if one was started, to end.

    A run must not start before: while Keras imports, ``import sklearn`` fails on purpose
    (``_unused_by_the_app``), and the digits experiments import it before Keras."""
    if _KERAS_THREAD:
        _KERAS_SETTLED.wait()


def _warm_charts() -> None:
    """Import Altair and load its Vega-Lite schema, which validates every chart: about 0.7 s
    on a 2-core CPU that the first live chart of the first 실행 would otherwise wait for."""
    import altair as alt

    alt.Chart(alt.Data(values=[{"x": 0}])).mark_line().encode(x="x:Q").to_dict()


def _unused_by_the_app() -> list[str]:
    """What Keras' import pulls in only for parts of Keras the app never uses.

    ``keras.wrappers`` imports scikit-learn (with SciPy's statistics: about 1.3 s of CPU) for
    its scikit-learn estimators; without it they raise "scikit-learn is not installed" when
    used, which the app never does (its experiments import scikit-learn's datasets
    themselves, later, and that works as usual). TensorFlow's tf.lite imports JAX whenever
    it is installed (the tests install it): about 110 MB and a second of CPU for a backend
    that is not the one in use. Both catch the ImportError.
    """
    blocked = ["sklearn"]
    if _configured_backend() == "tensorflow":
        blocked.append("jax")
    return [name for name in blocked if name not in sys.modules]


@contextlib.contextmanager
def _blocked(names: list[str]) -> Iterator[None]:
    """Make ``import name`` fail (ImportError) for each of ``names`` until the block ends."""
    for name in names:
        sys.modules[name] = None  # type: ignore[assignment]  # Python's "import blocked" marker
    try:
        yield
    finally:
        for name in names:
            if sys.modules.get(name, 0) is None:
                del sys.modules[name]


def _configured_backend() -> str:
    """The backend Keras will load, read as Keras reads it: ``KERAS_BACKEND``, else the
    "backend" of keras.json in ``KERAS_HOME`` (default ~/.keras, or /tmp/.keras where the
    home folder is not writable), else TensorFlow."""
    if os.environ.get("KERAS_BACKEND"):
        return os.environ["KERAS_BACKEND"]
    base = os.path.expanduser("~")
    base = base if os.access(base, os.W_OK) else "/tmp"
    home = os.environ.get("KERAS_HOME") or os.path.join(base, ".keras")
    try:
        with open(os.path.join(home, "keras.json"), encoding="utf-8") as file:
            return str(json.load(file).get("backend", "tensorflow"))
    except (OSError, ValueError, AttributeError):
        return "tensorflow"


_KIWI_THREAD: list[threading.Thread] = []
IDLE_POLL_S = 0.5


def start_answer_check_loading() -> None:
    """Load Kiwi (the answer check's analyser) in the background once the app is idle.

    Kiwi holds the GIL for its whole load (about 2.5 s on a 2-core CPU, in two halves), so
    meanwhile the server can neither draw a page nor report an experiment's progress, and the
    Keras import stalls. It therefore loads after the Keras import, each half when no
    experiment runs or warms up.
    An answer checked before then does not wait for this: it loads Kiwi itself, at once.
    """
    from studykit.quiz import analyser

    with _BACKGROUND_LOCK:
        if _KIWI_THREAD or analyser.is_loaded():
            return
        thread = threading.Thread(target=_load_kiwi_when_idle, name="kiwi-loader", daemon=True)
        _KIWI_THREAD.append(thread)
    thread.start()


def _load_kiwi_when_idle() -> None:
    from studykit.quiz import analyser

    start_keras_import().join()
    time.sleep(IDLE_POLL_S)  # a warm-up woken by the same import starts first
    _wait_while_busy()
    analyser.load(between=_wait_while_busy)  # two GIL-holding halves, with a wait between


def _wait_while_busy() -> None:
    while experiments.busy():
        time.sleep(IDLE_POLL_S)


def keras_ready() -> bool:
    """Whether Keras has finished importing (in the background thread or elsewhere)."""
    return "keras" in sys.modules and (_KERAS_SETTLED.is_set() or not _KERAS_THREAD)


@st.cache_resource(show_spinner="문제 은행을 불러오는 중…")
def loaded_bank() -> LoadedBank:
    bank, problems = load_bank_partial(experiments=experiment_catalog())
    return LoadedBank(bank, tuple(problems))


def bank() -> Bank:
    """The valid part of the question bank; problems are shown once per page."""
    loaded = loaded_bank()
    if loaded.problems:
        with st.expander(
            f"⚠️ 문제 은행에서 오류 {len(loaded.problems)}건을 발견해 해당 문항을 제외했습니다"
        ):
            st.caption(
                "질문 파일(questions/*.yaml)을 고친 뒤 `studykit questions check`로 확인하세요."
            )
            for problem in loaded.problems:
                st.text(problem)
    return loaded.bank


@st.cache_resource(show_spinner=False)
def _store() -> Store:
    return Store()


def store() -> Store | None:
    """The progress database, or None (with a Korean error shown) when it cannot be opened."""
    try:
        opened = _store()
    except StoreError as error:
        show_store_error(error)
        return None
    if opened.recovered_from is not None and not st.session_state.get("_recovery_shown"):
        st.session_state["_recovery_shown"] = True
        st.warning(
            "학습 기록 파일이 손상되어 새 파일을 만들었습니다. 손상된 파일은 "
            f"`{opened.recovered_from}`에 보관했습니다."
        )
    return opened


def show_store_error(error: StoreError) -> None:
    from studykit.ui.text import plain

    st.error(f"학습 기록을 쓸 수 없습니다. {error.korean}  \n원인: {plain(str(error))}")


def store_guarded(page):
    """A page whose store calls fail shows the Korean reason instead of a traceback."""

    @functools.wraps(page)
    def wrapper(*args, **kwargs):
        try:
            return page(*args, **kwargs)
        except StoreError as error:
            show_store_error(error)
            if error.kind != "locked":
                _store.clear()  # the next page load opens (and recovers) the file afresh

    return wrapper
