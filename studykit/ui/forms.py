"""A Streamlit form built from an experiment's bounded pydantic parameters."""

from __future__ import annotations

import types
import typing
from typing import Any, Literal, get_args, get_origin

import streamlit as st

from studykit.experiments import Experiment


def _bounds(info) -> tuple[Any, Any]:
    low = next((m.ge for m in info.metadata if getattr(m, "ge", None) is not None), None)
    high = next((m.le for m in info.metadata if getattr(m, "le", None) is not None), None)
    return low, high


def _numbers(text: str) -> tuple[float, ...] | str:
    """'1, 2.5, -3' -> (1.0, 2.5, -3.0); anything unreadable is returned as is, so that
    validation reports it with the parameter's name."""
    try:
        return tuple(float(part) for part in text.split(",") if part.strip())
    except ValueError:
        return text


def _widget(name: str, info, value: Any, key: str) -> Any:
    label = info.title or name
    annotation = info.annotation
    widget_key = f"{key}-{name}"
    if get_origin(annotation) is Literal:
        options = list(get_args(annotation))
        return st.selectbox(
            label,
            options,
            index=options.index(value),
            placeholder="하나를 고르세요",
            key=widget_key,
        )
    if get_origin(annotation) is tuple:
        item = get_args(annotation)[0]
        if get_origin(item) is Literal:
            options = list(get_args(item))
            return tuple(
                st.multiselect(
                    label,
                    options,
                    default=list(value),
                    placeholder="하나 이상 고르세요",
                    key=widget_key,
                )
            )
        text = st.text_input(
            label + " (쉼표로 구분)",
            ", ".join(f"{v:g}" for v in value),
            placeholder="예: 0.1, 0.01, 0.001",
            key=widget_key,
        )
        return _numbers(text)
    if annotation is bool:
        return st.checkbox(label, value=bool(value), key=widget_key)
    low, high = _bounds(info)
    if annotation is int:
        if low is not None and high is not None and high - low <= 100:
            return st.slider(label, int(low), int(high), int(value), key=widget_key)
        return st.number_input(label, low, high, int(value), step=1, key=widget_key)
    if annotation is float:
        return st.number_input(
            label,
            float(low) if low is not None else None,
            float(high) if high is not None else None,
            float(value),
            format="%g",
            key=widget_key,
        )
    if isinstance(annotation, types.UnionType) or get_origin(annotation) is typing.Union:
        return (
            st.text_input(
                label,
                "" if value is None else str(value),
                placeholder="비워 두면 쓰지 않음",
                key=widget_key,
            )
            or None
        )
    return st.text_input(label, str(value), key=widget_key)


def params_form(experiment: Experiment, preset: str, key: str) -> dict[str, Any] | None:
    """Render the form; return the chosen values when 실행 is pressed, else None."""
    values = experiment.validate(experiment.preset(preset)).as_dict()
    with st.form(key=f"{key}-form"):
        columns = st.columns(2)
        chosen = {}
        for index, (name, info) in enumerate(experiment.params.model_fields.items()):
            with columns[index % 2]:
                chosen[name] = _widget(name, info, values[name], key)
        submitted = st.form_submit_button("실행", type="primary")
    return chosen if submitted else None
