"""Registry of live experiments.

    >>> from studykit import experiments
    >>> experiments.names()
    >>> result = experiments.run("vanishing_gradient", depth=10, activations=["sigmoid"])

Experiment modules import Keras only inside their ``run`` function, so listing experiments,
their presets and their parameter forms is cheap. ``run`` owns what every run shares: it
validates the parameters, lends traced models (``_models.lending``), reports progress up to
1.0 and fills in the Result's name, parameters, caption and run time.
"""

from __future__ import annotations

import contextlib
import ctypes
import dataclasses
import importlib
import json
import os
import pkgutil
import threading
import time
from collections import OrderedDict
from collections.abc import Iterator
from typing import Any

from studykit.experiments import _models
from studykit.experiments.base import (
    Cancelled,
    Curves,
    Experiment,
    ParameterError,
    Params,
    Progress,
    ProgressFn,
    Result,
    as_progress,
    bounds,
)

__all__ = [
    "Cancelled",
    "Curves",
    "Experiment",
    "ParameterError",
    "Params",
    "Progress",
    "Result",
    "busy",
    "catalog",
    "charts",
    "get",
    "names",
    "presets",
    "run",
    "run_cached",
    "warm_up",
]

# Every public module of this package defines EXPERIMENT (an Experiment) named like the module.
_MODULES = tuple(
    sorted(
        info.name
        for info in pkgutil.iter_modules(__path__)
        if not info.name.startswith("_") and info.name != "base"
    )
)


def names() -> list[str]:
    """Names of all registered experiments."""
    return list(_MODULES)


def get(name: str) -> Experiment:
    """The registered experiment called ``name``."""
    if name not in _MODULES:
        raise ValueError(f"unknown experiment {name!r}; experiments: {', '.join(_MODULES)}")
    return importlib.import_module(f"studykit.experiments.{name}").EXPERIMENT


def presets(name: str) -> dict[str, dict[str, Any]]:
    """Preset name -> parameter overrides, for experiment ``name``."""
    return dict(get(name).presets)


def charts(result: Result) -> list:
    """Every chart of ``result``: the experiment's own, then its learning curves."""
    experiment = get(result.name)
    shown = list(experiment.charts(result))
    spec = experiment.curves
    history = result.frames.get(spec.frame) if spec else None
    if spec is not None and spec.shared and history is not None and len(history):
        from studykit.experiments._charts import learning_curves

        shown.append(
            learning_curves(
                history, spec.series, spec.names, series_title=spec.series_title, title=spec.title
            )
        )
    return shown


def catalog() -> dict[str, dict[str, dict[str, Any]]]:
    """Experiment name -> its presets (what the question bank's links are checked against)."""
    return {name: presets(name) for name in names()}


def _values(experiment: Experiment, preset: str | None, params: dict[str, Any]) -> dict:
    values = experiment.preset(preset) if preset else {}
    values.update(params)
    return values


def run(
    name: str,
    progress: Progress | ProgressFn | None = None,
    preset: str | None = None,
    **params: Any,
) -> Result:
    """Run experiment ``name`` with a preset's parameters, overridden by ``params``.

    ``progress``: a plain ``progress(fraction, message)`` function (fraction in [0, 1]) or a
    ``Progress`` (which also receives curve points and can cancel the run: ``Cancelled``).
    Raises ParameterError (a ValueError) naming each bad parameter and its range.
    """
    experiment = get(name)
    validated = experiment.validate(_values(experiment, preset, params))
    tracker = as_progress(progress)
    started = time.perf_counter()
    with _one_at_a_time(), _models.lending():
        result = experiment.runner(validated, tracker)
    _return_freed_memory()
    tracker(1.0, "완료")
    result.name = name
    result.params = validated.as_dict()
    result.caption = experiment.caption
    result.seconds = time.perf_counter() - started
    result.finished_at = time.time()
    return result


# One run at a time in a process: runs set the global random seeds (Python, NumPy, Keras,
# TensorFlow), so two at once would draw from each other's generators. A warm-up holds it too.
_RUNNING = threading.RLock()
_WAITING = [0]  # runs waiting for _RUNNING
_WAITING_LOCK = threading.Lock()
_WARMED: set[tuple[str, str]] = set()
_WARMING: list[threading.Thread] = []  # warm-up threads not yet seen finished (busy)
WARM_UP_ENV = "STUDYKIT_WARM_UP"  # "0" turns warm-ups off (the tests do)


@contextlib.contextmanager
def _one_at_a_time() -> Iterator[None]:
    """Hold ``_RUNNING`` for a run; a warm-up holding it gives way at its next report."""
    with _WAITING_LOCK:
        _WAITING[0] += 1
    try:
        _RUNNING.acquire()
    finally:
        with _WAITING_LOCK:
            _WAITING[0] -= 1
    try:
        yield
    finally:
        _RUNNING.release()


def busy() -> bool:
    """Whether a run or a warm-up is under way or waiting to start."""
    with _CACHE_LOCK:
        _WARMING[:] = [thread for thread in _WARMING if thread.is_alive()]
        if _WARMING:
            return True
    with _WAITING_LOCK:
        if _WAITING[0]:
            return True
    if not _RUNNING.acquire(blocking=False):
        return True
    _RUNNING.release()
    return False


def warm_up(name: str, preset: str | None = None, **params: Any) -> threading.Thread | None:
    """Trace ``name``'s models for these parameters in a background thread, so that the
    learner's first ``run`` with them finds traced twins (``_models.reuse``) instead of
    spending seconds tracing (the first run of an experiment takes 2-4 times as long).

    The thread imports Keras if needed, then runs the experiment once with the fewest epochs
    allowed (usually one): the models, batch size and data keep their shapes, so its traces
    are the ones the full run needs. Only on TensorFlow, where twins are lent. A learner's
    run started meanwhile stops it at its next progress report (and then reuses what it
    traced), so a warm-up never delays a run by more than one report. Returns the thread,
    or None where there is nothing to do: no ``epochs`` parameter, invalid parameters, the
    same parameters warmed before, or warm-ups turned off (``STUDYKIT_WARM_UP=0``).
    """
    experiment = get(name)
    if os.environ.get(WARM_UP_ENV, "1") == "0" or "epochs" not in experiment.params.model_fields:
        return None
    fewest = bounds(experiment.params, "epochs")[0] or 1
    try:
        values = experiment.validate({**_values(experiment, preset, params), "epochs": fewest})
    except ParameterError:
        return None
    key = (name, json.dumps(values.as_dict(), sort_keys=True))
    with _CACHE_LOCK:
        if key in _WARMED:
            return None
        _WARMED.add(key)

    def trace() -> None:
        try:
            import keras  # noqa: F401 - waits for an import already under way

            if not _models._reusable_backend() or _WAITING[0]:
                return
            with _RUNNING, _models.lending():
                experiment.runner(values, Progress(cancelled=lambda: _WAITING[0] > 0))
            _return_freed_memory()
        except Exception:  # the learner's own run will show what is wrong
            return

    thread = threading.Thread(target=trace, name=f"warm-up-{name}", daemon=True)
    with _CACHE_LOCK:
        _WARMING.append(thread)
    thread.start()
    return thread


def _return_freed_memory() -> None:
    """Hand the heap a run freed back to the OS (glibc keeps it otherwise: about 80 MB after
    every experiment has run once). A few ms; a no-op where glibc is not the C library."""
    try:
        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):
        pass


_CACHE: OrderedDict[tuple[str, str], Result] = OrderedDict()
_CACHE_SIZE = 32
_CACHE_LOCK = threading.Lock()


def run_cached(
    name: str,
    progress: Progress | ProgressFn | None = None,
    preset: str | None = None,
    **params: Any,
) -> Result:
    """Like ``run``, but returns the stored Result when the same parameters ran before.

    The key is the validated parameter set, so a preset and its values spelled out share one
    entry. The 32 most recently used results are kept. A stored Result comes back as a copy
    with ``cached=True`` (its ``seconds`` and ``finished_at`` are those of the original run);
    treat its frames as read-only.
    """
    experiment = get(name)
    values = experiment.validate(_values(experiment, preset, params)).as_dict()
    key = (name, json.dumps(values, sort_keys=True))
    with _CACHE_LOCK:
        if key in _CACHE:
            _CACHE.move_to_end(key)
            return dataclasses.replace(_CACHE[key], cached=True)
    result = run(name, progress=progress, **values)
    with _CACHE_LOCK:
        _CACHE[key] = result
        while len(_CACHE) > _CACHE_SIZE:
            _CACHE.popitem(last=False)
    return result
