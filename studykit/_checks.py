"""Argument checks shared by components: every error names the argument and its valid range."""

from __future__ import annotations

import math


def check_range(
    name: str,
    value: float,
    low: float | None = None,
    high: float | None = None,
    *,
    low_inclusive: bool = True,
    high_inclusive: bool = True,
) -> float:
    """Return ``value`` as a float, or raise ValueError naming ``name`` and the range."""
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be a number, got {value!r}.") from None
    if math.isnan(number):
        raise ValueError(f"{name} must be a number, got NaN.")
    too_low = low is not None and (number < low if low_inclusive else number <= low)
    too_high = high is not None and (number > high if high_inclusive else number >= high)
    if too_low or too_high:
        left = "-inf" if low is None else f"{low:g}"
        right = "inf" if high is None else f"{high:g}"
        bracket_l = "[" if low_inclusive and low is not None else "("
        bracket_r = "]" if high_inclusive and high is not None else ")"
        raise ValueError(f"{name} must be in {bracket_l}{left}, {right}{bracket_r}, got {value!r}.")
    return number


def check_int(name: str, value: int, low: int | None = None, high: int | None = None) -> int:
    """Return ``value`` as an int, or raise ValueError naming ``name`` and the range."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(f"{name} must be an integer, got {value!r}.")
    check_range(name, value, low, high)
    return value
