"""The experiment panel: parameter form, 실행 with a progress bar, charts and the finding."""

from __future__ import annotations

from typing import Any

import streamlit as st

from studykit import experiments
from studykit.experiments import ParameterError, Result
from studykit.ui.forms import params_form


def _run(name: str, params: dict[str, Any]) -> Result | None:
    bar = st.progress(
        0.0, text="실험 준비 중… (처음 실행할 때는 TensorFlow를 불러오느라 몇 초 걸립니다)"
    )

    def progress(fraction: float, message: str) -> None:
        bar.progress(min(max(fraction, 0.0), 1.0), text=message)

    try:
        result = experiments.run_cached(name, progress=progress, **params)
    except ParameterError as error:
        bar.empty()
        st.error(
            "실험 설정값이 올바르지 않습니다. 아래 항목을 범위 안으로 고쳐 주세요.\n\n"
            + error.korean
        )
        return None
    except Exception as error:  # the app must keep serving whatever the run raised
        bar.empty()
        st.error(
            "실험을 실행하는 중 문제가 생겼습니다. 설정을 바꾸거나(예: 학습률을 낮추기) 다시 "
            f"시도해 주세요.\n\n오류: {type(error).__name__}: {error}"
        )
        return None
    bar.empty()
    return result


def preset_result(name: str, preset: str) -> Result | None:
    """The run of ``preset`` itself (cached, so free when the learner kept its settings)."""
    return _run(name, experiments.get(name).preset(preset))


def show_result(result: Result) -> None:
    st.success(result.summary)
    for warning in result.warnings:
        st.warning(warning)
    st.caption("무엇을 보면 되는가: " + result.caption)
    for chart in experiments.get(result.name).charts(result):
        st.altair_chart(chart)
    with st.expander("측정값 (findings)"):
        st.dataframe([{"항목": k, "값": v} for k, v in result.findings.items()], hide_index=True)
    st.caption(
        f"실행 시간 {result.seconds:.1f}초 · 같은 설정으로 다시 실행하면 저장된 결과를 "
        "바로 보여 줍니다."
    )


def _single(name: str, preset: str, key: str, seed: int | None = None) -> Result | None:
    """One form and its result; ``seed`` (when given) overrides the form's seed."""
    experiment = experiments.get(name)
    state_key = f"{key}-params"
    submitted = params_form(experiment, preset, key)
    if submitted is not None:
        st.session_state[state_key] = submitted
    params = st.session_state.get(state_key)
    if params is None:
        return None
    if seed is not None and "seed" in params:
        params = {**params, "seed": seed}
    result = _run(name, params)
    if result is not None:
        show_result(result)
    return result


def experiment_panel(name: str, preset: str, key: str, look_at: str | None = None) -> Result | None:
    """Render the panel for experiment ``name``; return the latest Result shown, if any.

    With "A/B 비교" on, two forms run side by side with the same seed, so the only
    difference between the two results is the settings the learner changed.
    """
    experiment = experiments.get(name)
    st.markdown(f"**실험: {experiment.title}**")
    if look_at:
        st.caption(look_at)
    if not st.toggle("A/B 비교 (같은 시드로 두 설정을 나란히)", key=f"{key}-ab"):
        return _single(name, preset, key)
    left, right = st.columns(2)
    with left:
        st.markdown("**설정 A**")
        result_a = _single(name, preset, f"{key}-A")
    with right:
        st.markdown("**설정 B** (시드는 A와 같게 맞춥니다)")
        seed = (st.session_state.get(f"{key}-A-params") or {}).get("seed")
        _single(name, preset, f"{key}-B", seed=seed)
    return result_a
