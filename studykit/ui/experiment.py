"""The experiment panel: preset and parameter form, 실행 with live curves and 실행 취소,
then the finding, the charts and a findings table (A/B: both runs overlaid, side by side).

While a run trains, its learning curves are redrawn after every epoch from the points the
run reports (``experiments.Progress``). 실행 취소 stops it: clicking any widget makes
Streamlit stop the running script at its next update (every epoch), and the button's own
callback then clears the pending run, so the page shows "취소했습니다" and the curves so far.
"""

from __future__ import annotations

import time
from datetime import datetime
from typing import Any

import pandas as pd
import streamlit as st

from studykit import experiments
from studykit.experiments import Cancelled, ParameterError, Progress, Result
from studykit.experiments._charts import ab_curves, learning_curves
from studykit.experiments._labels import difference, finding_label, format_value
from studykit.ui import resources
from studykit.ui.charts import show_chart
from studykit.ui.forms import params_form

LIVE_EVERY = 0.25  # seconds between two redraws of the live chart


def _cancel(key: str) -> None:
    st.session_state.pop(f"{key}-params", None)
    st.session_state[f"{key}-cancelled"] = True


def _live_chart(rows: list[dict]):
    frame = pd.DataFrame(rows)
    if frame.empty or "metric" not in frame:
        return None
    return learning_curves(
        frame, "series", title="학습 중… (에폭마다 다시 그립니다)", series_title="모델", width=200
    )


def _run(name: str, params: dict[str, Any], key: str | None = None) -> Result | None:
    """Run (or fetch) ``name`` with ``params``, showing progress, live curves and a cancel
    button while it trains; None (with a Korean message shown) if it failed or was cancelled.
    """
    status = st.empty()
    if not resources.keras_ready():
        status.info("TensorFlow를 불러오는 중입니다… (앱을 연 뒤 한 번만 기다리면 됩니다)")
    bar = st.progress(0.0, text="실험 준비 중…")
    chart = st.empty()
    stop = st.empty()
    if key is not None:
        stop.button("실행 취소", key=f"{key}-cancel", on_click=_cancel, args=(key,))
    rows: list[dict] = []
    drawn = [0.0]
    live_key = f"{key}-live" if key else None

    def report(fraction: float, message: str) -> None:
        status.empty()
        bar.progress(min(max(fraction, 0.0), 1.0), text=message)

    def live(points: list[dict]) -> None:
        rows.extend(points)
        if live_key:
            st.session_state[live_key] = rows
        now = time.monotonic()
        if now - drawn[0] >= LIVE_EVERY:
            drawn[0] = now
            shown = _live_chart(rows)
            if shown is not None:
                show_chart(shown, chart.container())

    cancelled = (lambda: bool(st.session_state.get(f"{key}-cancelled"))) if key else None
    tracker = Progress(report, live=live, cancelled=cancelled)
    resources.wait_for_keras_import()
    try:
        result = experiments.run_cached(name, progress=tracker, **params)
    except ParameterError as error:
        _clear(status, bar, chart, stop)
        st.error(
            "실험 설정값이 올바르지 않습니다. 아래 항목을 범위 안으로 고쳐 주세요.\n\n"
            + error.korean
        )
        return None
    except Cancelled:
        _clear(status, bar, stop)
        st.info("실행을 취소했습니다. 설정을 고친 뒤 다시 실행할 수 있습니다.")
        return None
    except Exception as error:  # the app must keep serving whatever the run raised
        _clear(status, bar, chart, stop)
        st.error(
            "실험을 실행하는 중 문제가 생겼습니다. 설정을 바꾸거나(예: 학습률을 낮추기) 다시 "
            f"시도해 주세요.\n\n오류: {type(error).__name__}: {error}"
        )
        return None
    _clear(status, bar, chart, stop)
    if live_key:
        st.session_state.pop(live_key, None)
    return result


def _clear(*slots) -> None:
    for slot in slots:
        slot.empty()


def preset_result(name: str, preset: str) -> Result | None:
    """The run of ``preset`` itself (cached, so free when the learner kept its settings)."""
    return _run(name, experiments.get(name).preset(preset))


def findings_table(result: Result) -> pd.DataFrame:
    """항목 (Korean label) and 값 (in its unit) of every finding."""
    experiment = experiments.get(result.name)
    rows = []
    for key, value in result.findings.items():
        label, unit = finding_label(key, experiment.findings, experiment.series)
        rows.append({"항목": label, "값": format_value(value, unit), "키": key})
    return pd.DataFrame(rows, columns=["항목", "값", "키"])


def ab_table(a: Result, b: Result) -> pd.DataFrame:
    """Findings of A and B side by side with B − A (keys in either run)."""
    experiment = experiments.get(a.name)
    rows = []
    for key in list(dict.fromkeys([*a.findings, *b.findings])):
        label, unit = finding_label(key, experiment.findings, experiment.series)
        va, vb = a.findings.get(key), b.findings.get(key)
        rows.append(
            {
                "항목": label,
                "A": format_value(va, unit) if va is not None else "—",
                "B": format_value(vb, unit) if vb is not None else "—",
                "차이 (B − A)": difference(va, vb, unit) if None not in (va, vb) else "—",
            }
        )
    return pd.DataFrame(rows, columns=["항목", "A", "B", "차이 (B − A)"])


def run_note(result: Result) -> str:
    """ "실행 시간 2.3초" or, for a stored result, that it is stored and when it ran."""
    if result.cached:
        when = datetime.fromtimestamp(result.finished_at).strftime("%H:%M:%S")
        return (
            f"저장된 결과입니다 (같은 설정을 {when}에 실행, 그때 {result.seconds:.1f}초 걸림). "
            "설정을 바꾸면 새로 실행합니다."
        )
    return (
        f"실행 시간 {result.seconds:.1f}초 · 같은 설정으로 다시 실행하면 저장된 결과를 "
        "바로 보여 줍니다."
    )


def show_summary(result: Result) -> None:
    st.success(result.summary)
    for warning in result.warnings:
        st.warning(warning)


def show_result(result: Result, *, charts: list | None = None) -> None:
    show_summary(result)
    st.caption("관찰 포인트: " + result.caption)
    for chart in experiments.charts(result) if charts is None else charts:
        show_chart(chart)
    with st.expander("측정값 (findings)"):
        st.dataframe(findings_table(result).drop(columns="키"), hide_index=True)
    st.caption(run_note(result))


def _single(name: str, preset: str, key: str, seed: int | None = None) -> Result | None:
    """One form and its run; ``seed`` (when given) overrides the form's seed."""
    experiment = experiments.get(name)
    state_key = f"{key}-params"
    submitted = params_form(experiment, preset, key)
    if submitted is not None:
        st.session_state[state_key] = submitted
        st.session_state.pop(f"{key}-cancelled", None)
    if st.session_state.get(f"{key}-cancelled"):
        st.info("실행을 취소했습니다. 설정을 고친 뒤 다시 실행할 수 있습니다.")
        partial = _live_chart(st.session_state.get(f"{key}-live") or [])
        if partial is not None:
            show_chart(partial.properties(title="취소하기 전까지의 학습 곡선"))
        return None
    params = st.session_state.get(state_key)
    if params is None:
        return None
    if seed is not None and "seed" in params:
        params = {**params, "seed": seed}
    return _run(name, params, key)


def experiment_panel(name: str, preset: str, key: str, look_at: str | None = None) -> Result | None:
    """Render the panel for experiment ``name``; return the latest Result shown, if any.

    With "A/B 비교" on, two forms run side by side with the same seed, so the only
    difference between the two results is the settings the learner changed; their curves
    are drawn in one chart per metric and their findings in one table.
    """
    experiment = experiments.get(name)
    resources.start_keras_import()
    experiments.warm_up(name, preset)  # traces its models while the learner reads the form
    st.markdown(f"**실험: {experiment.title}**")
    if look_at:
        st.caption(look_at)
    if not st.toggle("A/B 비교 (같은 시드로 두 설정을 나란히)", key=f"{key}-ab"):
        result = _single(name, preset, key)
        if result is not None:
            show_result(result)
        return result
    left, right = st.columns(2)
    with left:
        st.markdown("**설정 A**")
        result_a = _single(name, preset, f"{key}-A")
        if result_a is not None:
            show_summary(result_a)
    with right:
        seed = (st.session_state.get(f"{key}-A-params") or {}).get("seed")
        same = f" (시드는 A와 같은 {seed})" if seed is not None else " (시드는 A와 같게 맞춥니다)"
        st.markdown(f"**설정 B**{same}")
        result_b = _single(name, preset, f"{key}-B", seed=seed)
        if result_b is not None:
            show_summary(result_b)
    if result_a is not None and result_b is not None:
        _comparison(result_a, result_b)
    return result_a


def _comparison(a: Result, b: Result) -> None:
    """Both runs: the learning curves overlaid, the findings side by side, then each run's
    own charts in a tab of its own (full width, so nothing overflows a half column)."""
    experiment = experiments.get(a.name)
    st.markdown("#### A/B 비교")
    spec = experiment.curves
    own_a, own_b = experiment.charts(a), experiment.charts(b)
    if spec is not None and spec.frame in a.frames and spec.frame in b.frames:
        overlaid = ab_curves(a.frames[spec.frame], b.frames[spec.frame], spec.series, spec.names)
        for column, chart in zip(st.columns(len(overlaid) or 1), overlaid):
            with column:
                st.altair_chart(chart, width="stretch")
    st.dataframe(ab_table(a, b), hide_index=True, width="stretch")
    tab_a, tab_b = st.tabs(["설정 A의 그래프", "설정 B의 그래프"])
    for tab, result, own in ((tab_a, a, own_a), (tab_b, b, own_b)):
        with tab:
            st.caption("관찰 포인트: " + result.caption)
            for chart in own:
                show_chart(chart)
            st.caption(run_note(result))
