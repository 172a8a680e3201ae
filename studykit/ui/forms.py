"""The experiment form: a preset chooser, one widget per bounded parameter, checks in Korean.

Every label shows the field's bounds. Number boxes take any number (the browser would
otherwise refuse an out-of-range value silently, with an English tooltip); pressing 실행
checks every value first and explains each bad one in Korean right under its field, starting
with the field's label ("층당 뉴런 수: 4 이상 256 이하의 정수여야 합니다 (입력값: 0)."), and
nothing runs until they are fixed. List fields accept full-width digits and commas (what a
Korean IME types: "０．１，０．２") and the ideographic comma "、".
"""

from __future__ import annotations

import re
import unicodedata
from typing import Any, Literal, get_args, get_origin

import streamlit as st

from studykit.experiments import Experiment, ParameterError
from studykit.experiments.base import bounds, label_of, number_text

PRESET_NAMES = {"default": "기본 설정", "tiny": "아주 작게 (빠른 확인용)"}
_SEPARATORS = re.compile(r"[,;、\s]+")


def short_label(experiment: Experiment, name: str) -> str:
    """The label without its parenthesised English term: "은닉층 수 (depth)" -> "은닉층 수"."""
    return label_of(experiment.params, name).split(" (")[0].split(";")[0].strip()


def read_numbers(text: str) -> tuple[float | str, ...]:
    """'0.1, 0.2' / '０．１，０．２' / '0.1、 −0.2' -> (0.1, 0.2); an entry that is not a number
    stays text, so that the check names the field, the position and the bad value."""
    normal = unicodedata.normalize("NFKC", str(text or "")).replace("−", "-").replace("–", "-")
    return tuple(_number_or_text(part) for part in _SEPARATORS.split(normal) if part)


def _number_or_text(part: str) -> float | str:
    try:
        return float(part)
    except ValueError:
        return part


def _kind(info) -> str:
    annotation = info.annotation
    if get_origin(annotation) is Literal:
        return "choice"
    if get_origin(annotation) is tuple:
        item = get_args(annotation)[0]
        return "choices" if get_origin(item) is Literal else "numbers"
    if annotation is bool:
        return "switch"
    if annotation is int:
        low, high = _field_bounds(info)
        small = low is not None and high is not None and high - low <= 100
        return "slider" if small else "integer"
    return "number"


def _field_bounds(info) -> tuple[Any, Any]:
    low = next((m.ge for m in info.metadata if getattr(m, "ge", None) is not None), None)
    high = next((m.le for m in info.metadata if getattr(m, "le", None) is not None), None)
    return low, high


def _label(experiment: Experiment, name: str, info) -> str:
    """The field's label with what it accepts: "층당 뉴런 수 (width) · 4~256"."""
    title = label_of(experiment.params, name)
    low, high = bounds(experiment.params, name)
    kind = _kind(info)
    span = f"{number_text(low)}~{number_text(high)}" if low is not None and high is not None else ""
    if kind in ("choices", "numbers"):
        most = next((m.max_length for m in info.metadata if getattr(m, "max_length", None)), None)
        parts = [f"값마다 {span}"] if span else []
        if most is not None:
            parts.append(f"최대 {most}개")
        if kind == "numbers":
            parts.append("쉼표로 구분")
        return f"{title} · {', '.join(parts)}" if parts else title
    if kind in ("slider", "integer", "number") and span:
        return f"{title} · {span}"
    return title


def _widget_value(kind: str, value: Any) -> Any:
    """A parameter value as its widget holds it."""
    if kind == "numbers":
        return ", ".join(f"{v:g}" for v in value)
    if kind == "choices":
        return list(value)
    if kind == "number":
        return float(value)
    return value


def _parameter_value(kind: str, value: Any) -> Any:
    """A widget's value as the parameter takes it."""
    if kind == "numbers":
        return read_numbers(value)
    if kind == "choices":
        return tuple(value)
    return value


def _widget(experiment: Experiment, name: str, info, widget_key: str) -> None:
    label = _label(experiment, name, info)
    kind = _kind(info)
    if kind == "choice":
        st.selectbox(label, list(get_args(info.annotation)), key=widget_key)
    elif kind == "choices":
        options = list(get_args(get_args(info.annotation)[0]))
        st.multiselect(label, options, key=widget_key, placeholder="하나 이상 고르세요")
    elif kind == "numbers":
        st.text_input(label, key=widget_key, placeholder="예: 0.1, 0.01, 0.001")
    elif kind == "switch":
        st.checkbox(label, key=widget_key)
    elif kind == "slider":
        low, high = _field_bounds(info)
        st.slider(label, int(low), int(high), key=widget_key)
    elif kind == "integer":
        st.number_input(label, step=1, key=widget_key)
    else:
        st.number_input(label, format="%g", key=widget_key)


def _load(experiment: Experiment, preset: str, key: str, *, overwrite: bool) -> None:
    """Put the preset's values into the widgets (only empty ones unless ``overwrite``)."""
    values = experiment.validate(experiment.preset(preset)).as_dict()
    for name, info in experiment.params.model_fields.items():
        widget_key = f"{key}-{name}"
        if overwrite or widget_key not in st.session_state:
            st.session_state[widget_key] = _widget_value(_kind(info), values[name])
    if overwrite:
        st.session_state.pop(f"{key}-problems", None)


def form_values(experiment: Experiment, key: str) -> dict[str, Any]:
    """The parameter values the form's widgets hold now."""
    return {
        name: _parameter_value(_kind(info), st.session_state.get(f"{key}-{name}"))
        for name, info in experiment.params.model_fields.items()
    }


def _submit(experiment: Experiment, key: str) -> None:
    """실행: check the values; keep them for the run, or the Korean problems for the form."""
    values = form_values(experiment, key)
    try:
        experiment.validate(values)
    except ParameterError as error:
        st.session_state[f"{key}-problems"] = error
        st.session_state.pop(f"{key}-submitted", None)
        return
    st.session_state.pop(f"{key}-problems", None)
    st.session_state[f"{key}-submitted"] = values


def preset_label(experiment: Experiment, preset: str) -> str:
    """ "tiny: 은닉층 수 4 · 층당 뉴런 수 8 …" (what the preset changes, by field label)."""
    overrides = experiment.presets.get(preset, {})
    changes = " · ".join(
        f"{short_label(experiment, name)} {_shown(value)}" for name, value in overrides.items()
    )
    name = PRESET_NAMES.get(preset, preset)
    return f"{name}: {changes}" if changes else name


def _shown(value: Any) -> str:
    if isinstance(value, list | tuple):
        return ", ".join(_shown(v) for v in value)
    return number_text(value) if isinstance(value, int | float) else str(value)


def params_form(experiment: Experiment, preset: str, key: str) -> dict[str, Any] | None:
    """Render the preset chooser and the form; the checked values when 실행 was pressed.

    ``preset`` is the one chosen at first (the question's own); the learner can pick another,
    which fills every field with its values. Bad values are explained under their fields.
    """
    names = list(experiment.presets)
    chooser = f"{key}-preset"
    if chooser not in st.session_state:
        st.session_state[chooser] = preset if preset in names else names[0]
    _load(experiment, st.session_state[chooser], key, overwrite=False)
    st.selectbox(
        "프리셋 (preset)",
        names,
        key=chooser,
        format_func=lambda name: preset_label(experiment, name),
        on_change=lambda: _load(experiment, st.session_state[chooser], key, overwrite=True),
        help="프리셋을 고르면 아래 칸이 그 값으로 바뀝니다. 값을 고친 뒤 실행할 수도 있습니다.",
    )
    problems: ParameterError | None = st.session_state.get(f"{key}-problems")
    with st.form(key=f"{key}-form", border=True):
        columns = st.columns(2)
        for index, (name, info) in enumerate(experiment.params.model_fields.items()):
            with columns[index % 2]:
                _widget(experiment, name, info, f"{key}-{name}")
                for message in problems.for_field(name) if problems else []:
                    st.error(f"{short_label(experiment, name)}: {message}", icon="⚠️")
        if problems:
            st.error(
                f"고쳐야 할 값이 {len(problems.problems)}개 있습니다. 표시된 칸을 고친 뒤 다시 "
                "실행하세요."
            )
        st.form_submit_button("실행", type="primary", on_click=_submit, args=(experiment, key))
    return st.session_state.pop(f"{key}-submitted", None)
