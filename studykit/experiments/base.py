"""What every experiment shares: bounded parameters, the Result, the spec in the registry.

Nothing here imports Keras, so the registry (names, presets, parameter forms) is available
to the quiz and the app before TensorFlow has loaded.
"""

from __future__ import annotations

import copy
import math
import threading
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Annotated, Any, get_args, get_origin

import pandas as pd
import pydantic

ProgressFn = Callable[[float, str], None]
LiveFn = Callable[[list[dict]], None]


class Cancelled(Exception):
    """The run was stopped on request (``Progress.cancel``) before it finished."""


class Progress:
    """Where a run is: a fraction of the whole run, curve points as they are measured, and
    whether the learner asked it to stop.

    ``report(fraction, message)`` is what the caller passes to ``experiments.run`` (a
    progress bar, the CLI's status line). A Progress maps its own [0, 1] onto a slice of the
    whole run: ``progress.part(i, n, label)`` is the i-th of n equal slices, so training
    the i-th of n models reports ``part(...)(epoch / epochs, ...)`` without any arithmetic at
    the call site. Reported fractions never go down. ``live(rows)`` receives learning-curve
    rows (series, epoch, split, metric, value) every epoch, for a chart drawn while training.
    Every report first checks ``cancelled()`` and raises ``Cancelled`` when it is true.
    """

    def __init__(
        self,
        report: ProgressFn | None = None,
        *,
        live: LiveFn | None = None,
        cancelled: Callable[[], bool] | None = None,
    ):
        self._report = report or _silent
        self._live = live
        self._stop = threading.Event()
        self._cancelled = cancelled or (lambda: False)
        self._reached = [0.0]  # shared by every slice of this run
        self.start, self.span, self.label = 0.0, 1.0, ""

    def __call__(self, fraction: float, message: str = "") -> None:
        self.check()
        value = min(max(self.start + self.span * min(max(fraction, 0.0), 1.0), 0.0), 1.0)
        value = max(value, self._reached[0])
        self._reached[0] = value
        self._report(value, message)

    def part(self, index: int, count: int, label: str = "", *, within=(0.0, 1.0)) -> Progress:
        """The ``index``-th (from 0) of ``count`` equal slices of ``within`` (of this slice)."""
        low, high = within
        width = (high - low) / max(count, 1)
        return self.slice(low + index * width, low + (index + 1) * width, label)

    def slice(self, low: float, high: float, label: str = "") -> Progress:
        """The part [low, high] of this progress (fractions of this slice), named ``label``."""
        child = copy.copy(self)  # shares the report, the live sink and the stop flag
        child.start = self.start + self.span * low
        child.span = self.span * (high - low)
        child.label = label or self.label
        return child

    def parts(self, items: Iterable, label: Callable[[Any], str] = str, *, within=(0.0, 1.0)):
        """(item, its Progress part) for each item, in order."""
        items = list(items)
        for index, item in enumerate(items):
            yield item, self.part(index, len(items), label(item), within=within)

    def curve(self, rows: list[dict]) -> None:
        """Send learning-curve rows (``series`` defaults to this slice's label) to ``live``."""
        if self._live is not None and rows:
            self._live([{"series": self.label, **row} for row in rows])

    @property
    def wants_curves(self) -> bool:
        return self._live is not None

    def cancel(self) -> None:
        """Ask the run to stop at its next report (from any thread)."""
        self._stop.set()

    def check(self) -> None:
        """Raise Cancelled if the run was asked to stop."""
        if self._stop.is_set() or self._cancelled():
            raise Cancelled("the run was cancelled")


def as_progress(progress: Progress | ProgressFn | None) -> Progress:
    """``progress`` itself, or a Progress reporting to the plain function ``progress``."""
    if isinstance(progress, Progress):
        return progress
    return Progress(progress)


def _silent(fraction: float, message: str) -> None:
    return None


@dataclass(frozen=True)
class Problem:
    """One bad parameter: its name, its form label, and the English and Korean explanations.

    ``korean`` does not repeat the label (the form shows it under the field); ``item`` is
    the 0-based position in a list parameter, or None.
    """

    name: str
    label: str
    english: str
    korean: str
    item: int | None = None


class ParameterError(ValueError):
    """A parameter is missing, of the wrong type or out of range.

    ``str(error)`` is English for library users; ``korean`` is the message the app shows
    (one line per problem, naming the field by its label); ``problems`` says which field
    each problem belongs to, for a form that explains it next to the field.
    """

    def __init__(self, experiment: str, problems: list[Problem]):
        self.experiment = experiment
        self.problems = problems
        english = "; ".join(f"{p.name}: {p.english}" for p in problems)
        super().__init__(f"invalid parameters for experiment {experiment!r}: {english}")

    @property
    def korean(self) -> str:
        return "\n".join(f"- {p.label} (`{p.name}`): {p.korean}" for p in self.problems)

    def for_field(self, name: str) -> list[str]:
        """The Korean explanations of the problems of field ``name``."""
        return [p.korean for p in self.problems if p.name == name]


class Invalid(ValueError):
    """Raised by a parameter validator: English for ``str``, Korean for the form.

    ``field``: the parameter the learner should change (for checks across several fields).
    """

    def __init__(self, english: str, korean: str, field: str | None = None):
        super().__init__(english)
        self.korean = korean
        self.field = field


class Params(pydantic.BaseModel):
    """Base of every experiment's parameters: immutable, unknown names are errors."""

    model_config = pydantic.ConfigDict(frozen=True, extra="forbid")

    def as_dict(self) -> dict[str, Any]:
        return self.model_dump(mode="json")


def distinct(values: tuple, what: str) -> tuple:
    """``values`` unchanged if no entry repeats; else Invalid("<what> must not repeat").

    For the field validators of list parameters (activations, rates, optimizers, ...).
    """
    if len(set(values)) != len(values):
        repeated = sorted({str(v) for v in values if list(values).count(v) > 1})
        raise Invalid(
            f"{what} must not repeat",
            f"같은 값을 두 번 넣을 수 없습니다 (겹친 값: {', '.join(repeated)}).",
        )
    return values


def label_of(model: type[Params], name: str) -> str:
    """The form label of field ``name`` (its title), or the name itself."""
    info = model.model_fields.get(name)
    return (info.title if info is not None and info.title else None) or name


def bounds(model: type[Params], name: str) -> tuple[Any, Any]:
    """(lowest, highest) allowed value of field ``name`` (or of each item of a list field);
    None where there is no bound."""
    info = model.model_fields.get(name)
    if info is None:
        return None, None
    metadata = list(info.metadata)
    annotation = info.annotation
    if get_origin(annotation) is tuple and get_args(annotation):
        item = get_args(annotation)[0]
        if get_origin(item) is Annotated:
            for extra in get_args(item)[1:]:
                metadata += list(getattr(extra, "metadata", [extra]))
    low = next((m.ge for m in metadata if getattr(m, "ge", None) is not None), None)
    high = next((m.le for m in metadata if getattr(m, "le", None) is not None), None)
    return low, high


def number_text(value: Any) -> str:
    """A bound or an input as the learner would write it: 20, 0.0001, 2,147,483,647."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return repr(value) if isinstance(value, str) else str(value)
    if isinstance(value, int) or float(value).is_integer() and abs(value) < 1e15:
        return f"{int(value):,}" if abs(value) >= 10_000 else str(int(value))
    return f"{value:g}"


_RANGE_KINDS = {
    "greater_than_equal",
    "less_than_equal",
    "greater_than",
    "less_than",
    "int_parsing",
    "float_parsing",
    "int_from_float",
    "int_type",
    "float_type",
}


_PARSE_KINDS = {"int_parsing", "float_parsing", "int_type", "float_type"}


def _range_korean(low, high, kind: str) -> str:
    whole = "정수" if kind in {"int_parsing", "int_from_float", "int_type"} else "값"
    if low is not None and high is not None:
        return f"{number_text(low)} 이상 {number_text(high)} 이하의 {whole}이어야 합니다"
    if low is not None:
        return f"{number_text(low)} 이상의 {whole}이어야 합니다"
    if high is not None:
        return f"{number_text(high)} 이하의 {whole}이어야 합니다"
    return "정수여야 합니다" if whole == "정수" else "숫자여야 합니다"


def _describe(model: type[Params], error: dict) -> Problem:
    loc = error["loc"]
    kind = error["type"]
    given = error.get("input")
    context = error.get("ctx") or {}
    cause = context.get("error")
    name = str(loc[0]) if loc else ""
    if isinstance(cause, Invalid) and cause.field:
        name = cause.field
    item = loc[1] if len(loc) > 1 and isinstance(loc[1], int) else None
    full = ".".join(str(part) for part in loc) or name or "(params)"
    label = label_of(model, name) if name else "설정"
    low, high = bounds(model, name)
    shown = number_text(given)
    if kind == "extra_forbidden":
        valid = ", ".join(model.model_fields)
        return Problem(
            full,
            full,
            f"unknown parameter; valid parameters are {valid}",
            f"알 수 없는 매개변수입니다. 사용할 수 있는 매개변수: {valid}",
        )
    if isinstance(cause, Invalid):
        english, korean = str(cause), cause.korean
    elif isinstance(given, float) and not math.isfinite(given):
        english = f"must be a finite number, got {given!r}"
        korean = "유한한 숫자여야 합니다 (nan, inf는 쓸 수 없습니다)."
    elif kind in _RANGE_KINDS:
        low = context.get("ge", context.get("gt", low))
        high = context.get("le", context.get("lt", high))
        english = (
            f"must be in [{low}, {high}], got {given!r}"
            if low is not None and high is not None
            else f"{error['msg']} (got {given!r})"
        )
        korean = f"{_range_korean(low, high, kind)} (입력값: {shown})."
        if kind in _PARSE_KINDS and isinstance(given, str):
            korean = f"숫자여야 합니다 (입력값: {shown}). " + korean
    elif kind == "finite_number":
        english = f"must be a finite number, got {given!r}"
        korean = "유한한 숫자여야 합니다 (nan, inf는 쓸 수 없습니다)."
    elif kind == "too_short":
        least = context.get("min_length", 1)
        english = f"needs at least {least} value(s)"
        korean = "하나 이상 고르거나 입력하세요." if least == 1 else f"{least}개 이상 필요합니다."
    elif kind == "too_long":
        most = context.get("max_length")
        count = context.get("actual_length")
        english = f"at most {most} value(s), got {count}"
        korean = f"최대 {most}개까지 넣을 수 있습니다 (지금 {count}개)."
    elif kind == "literal_error":
        expected = context.get("expected", "")
        english = f"must be one of {expected}, got {given!r}"
        korean = f"고를 수 없는 값입니다 (입력값: {shown}). 고를 수 있는 값: {expected}."
    elif kind == "missing":
        english, korean = "missing", "값이 필요합니다."
    elif kind in {"bool_parsing", "bool_type"}:
        english, korean = f"must be true or false, got {given!r}", "켜기/끄기 값이어야 합니다."
    else:
        english = f"{error['msg']} (got {given!r})"
        korean = f"올바르지 않은 값입니다 (입력값: {shown})."
    if item is not None:
        english = f"item {item + 1}: {english}"
        korean = f"{item + 1}번째 값: {korean}"
    return Problem(name or full, label, english, korean, item)


def _problems(model: type[Params], errors: list[dict]) -> list[Problem]:
    problems = [_describe(model, e) for e in errors]
    # A list whose items failed also fails its length check (no valid items are left): the
    # item messages already say what is wrong.
    with_items = {p.name for p in problems if p.item is not None}
    return [
        p
        for p, e in zip(problems, errors, strict=True)
        if not (e["type"] == "too_short" and p.name in with_items)
    ]


@dataclass
class Result:
    """What an experiment returns.

    ``frames``: tidy long-format tables (one row per step/layer/series).
    ``findings``: named numbers the claim rests on (also graded by predict-then-run questions).
    ``summary``: one Korean sentence stating the measured finding.
    ``warnings``: Korean notes about the run (divergence, a setting that makes no sense).

    The registry fills in the rest: ``name``, the validated ``params``, the experiment's
    ``caption`` (what to look at in the charts), ``seconds`` (how long the run took),
    ``finished_at`` (a Unix time) and ``cached`` (True when ``run_cached`` returned a stored
    run instead of running it).
    """

    frames: dict[str, pd.DataFrame]
    findings: dict[str, float]
    summary: str
    warnings: list[str] = field(default_factory=list)
    name: str = ""
    params: dict[str, Any] = field(default_factory=dict)
    caption: str = ""
    seconds: float = 0.0
    finished_at: float = 0.0
    cached: bool = False


@dataclass(frozen=True)
class Curves:
    """Where a Result keeps its learning curves, for the shared chart (``_charts``): the
    frame (long: epoch, split, metric, value), the column telling the models apart, the
    Korean names of its values, the legend title and the chart title. ``shared=False``:
    the experiment draws its curves itself; the shared chart only overlays A/B runs."""

    frame: str = "history"
    series: str | None = None
    names: Mapping[str, str] | None = None
    series_title: str = "모델"
    title: str = "학습 곡선 (추론 모드로 측정한 손실과 정확도)"
    shared: bool = True


@dataclass(frozen=True)
class Experiment:
    """A registered experiment: parameters, presets and the function that runs it.

    ``charts(result)``: the experiment's own Altair charts, in display order (altair is
    imported lazily); ``curves``: its learning curves, drawn by the shared chart (and live
    while it trains); ``findings``: Korean label and unit of its own finding stems (see
    ``_labels.finding_label``); ``series``: Korean names of the series in finding keys.
    """

    name: str
    title: str
    caption: str
    params: type[Params]
    presets: dict[str, dict[str, Any]]
    runner: Callable[[Any, Progress], Result]
    charts: Callable[[Result], list[Any]]
    curves: Curves | None = None
    findings: Mapping[str, tuple[str, str]] = field(default_factory=dict)
    series: Mapping[str, str] = field(default_factory=dict)

    def validate(self, values: dict[str, Any]) -> Params:
        try:
            return self.params(**values)
        except pydantic.ValidationError as error:
            raise ParameterError(self.name, _problems(self.params, error.errors())) from None

    def preset(self, preset: str) -> dict[str, Any]:
        try:
            return dict(self.presets[preset])
        except KeyError:
            valid = ", ".join(self.presets)
            raise ValueError(
                f"experiment {self.name!r} has no preset {preset!r}; presets: {valid}"
            ) from None
