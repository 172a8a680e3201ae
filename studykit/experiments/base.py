"""What every experiment shares: bounded parameters, the Result, the spec in the registry.

Nothing here imports Keras, so the registry (names, presets, parameter forms) is available
to the quiz and the app before TensorFlow has loaded.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pandas as pd
import pydantic

ProgressFn = Callable[[float, str], None]


class ParameterError(ValueError):
    """A parameter is missing, of the wrong type or out of range.

    ``str(error)`` is English for library users; ``korean`` is the message the app shows.
    """

    def __init__(self, experiment: str, problems: list[tuple[str, str, str]]):
        self.experiment = experiment
        self.problems = problems  # (parameter, english, korean)
        english = "; ".join(f"{name}: {text}" for name, text, _ in problems)
        super().__init__(f"invalid parameters for experiment {experiment!r}: {english}")

    @property
    def korean(self) -> str:
        return "\n".join(f"- `{name}`: {text}" for name, _, text in self.problems)


class Params(pydantic.BaseModel):
    """Base of every experiment's parameters: immutable, unknown names are errors."""

    model_config = pydantic.ConfigDict(frozen=True, extra="forbid")

    def as_dict(self) -> dict[str, Any]:
        return self.model_dump(mode="json")


def distinct(values: tuple, what: str) -> tuple:
    """``values`` unchanged if no entry repeats; else ValueError("<what> must not repeat").

    For the field validators of list parameters (activations, rates, optimizers, ...).
    """
    if len(set(values)) != len(values):
        raise ValueError(f"{what} must not repeat")
    return values


def _bounds(model: type[Params], name: str) -> tuple[Any, Any]:
    low = high = None
    info = model.model_fields.get(name)
    for meta in getattr(info, "metadata", []):
        low = getattr(meta, "ge", None) if getattr(meta, "ge", None) is not None else low
        high = getattr(meta, "le", None) if getattr(meta, "le", None) is not None else high
    return low, high


def _describe(model: type[Params], error: dict) -> tuple[str, str, str]:
    name = ".".join(str(part) for part in error["loc"]) or "(params)"
    field_name = str(error["loc"][0]) if error["loc"] else ""
    low, high = _bounds(model, field_name)
    given = error.get("input")
    kind = error["type"]
    if kind == "extra_forbidden":
        valid = ", ".join(model.model_fields)
        return (
            name,
            f"unknown parameter; valid parameters are {valid}",
            f"알 수 없는 매개변수입니다. 사용할 수 있는 매개변수: {valid}",
        )
    if (
        low is not None
        and high is not None
        and kind
        in {
            "greater_than_equal",
            "less_than_equal",
            "int_parsing",
            "float_parsing",
            "int_from_float",
            "int_type",
            "float_type",
        }
    ):
        return (
            name,
            f"must be in [{low}, {high}], got {given!r}",
            f"{low} 이상 {high} 이하의 값이어야 합니다 (입력값: {given!r}).",
        )
    return (
        name,
        f"{error['msg']} (got {given!r})",
        f"올바르지 않은 값입니다: {error['msg']} (입력값: {given!r})",
    )


@dataclass
class Result:
    """What an experiment returns.

    ``frames``: tidy long-format tables (one row per step/layer/series).
    ``findings``: named numbers the claim rests on (also graded by predict-then-run questions).
    ``summary``: one Korean sentence stating the measured finding.
    ``caption``: what to look at in the charts (Korean).
    """

    name: str
    params: dict[str, Any]
    frames: dict[str, pd.DataFrame]
    findings: dict[str, float]
    summary: str
    caption: str
    warnings: list[str] = field(default_factory=list)
    seconds: float = 0.0


@dataclass(frozen=True)
class Experiment:
    """A registered experiment: parameters, presets and the function that runs it."""

    name: str
    title: str
    caption: str
    params: type[Params]
    presets: dict[str, dict[str, Any]]
    runner: Callable[[Any, ProgressFn], Result]
    # Altair charts (Korean labels) of a Result, in display order; altair is imported lazily.
    charts: Callable[[Result], list[Any]]

    def validate(self, values: dict[str, Any]) -> Params:
        try:
            return self.params(**values)
        except pydantic.ValidationError as error:
            problems = [_describe(self.params, e) for e in error.errors()]
            raise ParameterError(self.name, problems) from None

    def preset(self, preset: str) -> dict[str, Any]:
        try:
            return dict(self.presets[preset])
        except KeyError:
            valid = ", ".join(self.presets)
            raise ValueError(
                f"experiment {self.name!r} has no preset {preset!r}; presets: {valid}"
            ) from None
