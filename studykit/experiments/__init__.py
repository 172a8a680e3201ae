"""Registry of live experiments.

    >>> from studykit import experiments
    >>> experiments.names()
    >>> result = experiments.run("vanishing_gradient", depth=10, activations=["sigmoid"])

Experiment modules import Keras only inside their ``run`` function, so listing experiments,
their presets and their parameter forms is cheap.
"""

from __future__ import annotations

import importlib
import json
import pkgutil
import threading
import time
from collections import OrderedDict
from typing import Any

from studykit.experiments.base import (
    Experiment,
    ParameterError,
    Params,
    ProgressFn,
    Result,
)

__all__ = [
    "Experiment",
    "ParameterError",
    "Params",
    "Result",
    "get",
    "names",
    "presets",
    "run",
    "run_cached",
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


def _silent(fraction: float, message: str) -> None:
    return None


def run(
    name: str, progress: ProgressFn | None = None, preset: str | None = None, **params: Any
) -> Result:
    """Run experiment ``name`` with a preset's parameters, overridden by ``params``.

    ``progress(fraction, message)`` is called as training advances (fraction in [0, 1]).
    Raises ParameterError (a ValueError) naming each bad parameter and its range.
    """
    experiment = get(name)
    values = experiment.preset(preset) if preset else {}
    values.update(params)
    validated = experiment.validate(values)
    started = time.perf_counter()
    result = experiment.runner(validated, progress or _silent)
    result.seconds = time.perf_counter() - started
    return result


_CACHE: OrderedDict[tuple[str, str], Result] = OrderedDict()
_CACHE_SIZE = 32
_CACHE_LOCK = threading.Lock()


def run_cached(
    name: str, progress: ProgressFn | None = None, preset: str | None = None, **params: Any
) -> Result:
    """Like ``run``, but returns the stored Result when the same parameters ran before.

    The key is the validated parameter set, so a preset and its values spelled out share one
    entry. The 32 most recently used results are kept; treat a returned Result as read-only.
    """
    experiment = get(name)
    values = experiment.preset(preset) if preset else {}
    values.update(params)
    key = (name, json.dumps(experiment.validate(values).as_dict(), sort_keys=True))
    with _CACHE_LOCK:
        if key in _CACHE:
            _CACHE.move_to_end(key)
            return _CACHE[key]
    result = run(name, progress=progress, **json.loads(key[1]))
    with _CACHE_LOCK:
        _CACHE[key] = result
        while len(_CACHE) > _CACHE_SIZE:
            _CACHE.popitem(last=False)
    return result
