"""Shared, process-wide resources for the app: the question bank, the progress store, and
Keras, imported in a background thread as soon as the app starts (quiz pages never wait
for it; an experiment's first 실행 usually finds it loaded)."""

from __future__ import annotations

import contextlib
import functools
import importlib
import json
import os
import sys
import threading
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


_KERAS_LOCK = threading.Lock()
_KERAS_THREAD: list[threading.Thread] = []


def start_keras_import() -> threading.Thread:
    """Import Keras (and its backend) in a daemon thread, once per process.

    Python's import lock makes an experiment that needs Keras meanwhile simply wait for
    this import instead of starting a second one.
    """
    with _KERAS_LOCK:
        if not _KERAS_THREAD:
            thread = threading.Thread(target=_import_keras, name="studykit-keras", daemon=True)
            _KERAS_THREAD.append(thread)
            thread.start()
        return _KERAS_THREAD[0]


def _import_keras() -> None:
    try:
        with _without_jax_for_tensorflow():
            importlib.import_module("keras")
    except Exception:  # an experiment will import it again and show the error
        return


@contextlib.contextmanager
def _without_jax_for_tensorflow() -> Iterator[None]:
    """While Keras imports its TensorFlow backend, make ``import jax`` fail.

    TensorFlow's tf.lite imports JAX whenever it is installed (the tests install it), which
    costs the app about 110 MB of memory and a second of CPU for a backend it never uses;
    tf.lite catches the ImportError. Does nothing when Keras is set up for another backend
    (``KERAS_BACKEND`` or keras.json) or JAX is already imported.
    """
    if "jax" in sys.modules or _configured_backend() != "tensorflow":
        yield
        return
    sys.modules["jax"] = None  # type: ignore[assignment]  # Python's "import blocked" marker
    try:
        yield
    finally:
        if sys.modules.get("jax", 0) is None:
            del sys.modules["jax"]


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


def keras_ready() -> bool:
    """Whether Keras has finished importing (in the background thread or elsewhere)."""
    if "keras" in sys.modules and not (_KERAS_THREAD and _KERAS_THREAD[0].is_alive()):
        return True
    return False


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
