"""One question card: answer, reveal, key-point hits, rating, follow-ups, experiment.

Learner-written text is never rendered as Markdown/HTML: it stays inside input widgets or
``st.text``.
"""

from __future__ import annotations

from datetime import datetime

import streamlit as st

from studykit.quiz import grading
from studykit.quiz.bank import Question
from studykit.quiz.scheduling import now_utc
from studykit.quiz.store import Store
from studykit.ui.experiment import experiment_panel

DIFFICULTY = {1: "기초", 2: "중급", 3: "심화"}


def _when(due: datetime) -> str:
    days = (due - now_utc()).total_seconds() / 86400
    local = due.astimezone().strftime("%Y-%m-%d %H:%M")
    if days < 1:
        minutes = max(1, round(days * 24 * 60))
        return (
            f"{local} ({minutes}분 후)" if minutes < 120 else f"{local} ({round(days * 24)}시간 후)"
        )
    return f"{local} ({round(days)}일 후)"


def _rating_buttons(
    question: Question,
    store: Store | None,
    key: str,
    suggested: int,
    answer: str,
    score: float | None,
) -> None:
    st.markdown("**얼마나 잘 기억했나요?** (추천: " + grading.RATINGS[suggested] + ")")
    columns = st.columns(4)
    for column, (rating, label) in zip(columns, grading.RATINGS.items()):
        if column.button(
            label,
            key=f"{key}-rate-{rating}",
            type="primary" if rating == suggested else "secondary",
        ):
            if store is None:
                st.error("학습 기록 데이터베이스를 사용할 수 없어 평가를 저장하지 못했습니다.")
                return
            outcome = store.record_review(
                question.id, rating, topic=question.topic, answer=answer, score=score
            )
            st.session_state[f"{key}-saved"] = (label, outcome.due)
    saved = st.session_state.get(f"{key}-saved")
    if saved:
        st.success(f"'{saved[0]}'(으)로 저장했습니다. 다음 복습: {_when(saved[1])}")


def show_free_grade(question: Question, answer: str, whose: str) -> grading.Grade:
    """Model answer, the key points (✅ where ``answer`` mentions them) and the feedback."""
    grade = grading.grade_free(question, answer)
    _reveal_answer(question)
    st.markdown(f"**핵심 포인트** ({whose}에서 찾은 것은 ✅)")
    for point, hit in zip(question.key_points, grade.hits):
        st.markdown(f"- ✅ :green[**{point.point}**]" if hit else f"- ⬜ {point.point}")
    st.info(grade.feedback)
    return grade


def _reveal_answer(question: Question) -> None:
    st.markdown("**모범 답안**")
    st.markdown(question.answer)


def _follow_ups(question: Question) -> None:
    st.markdown("**꼬리 질문**")
    for follow_up in question.follow_ups:
        st.markdown(f"- {follow_up}")
    if question.common_mistake:
        st.warning("자주 하는 실수: " + question.common_mistake)


def _free(question: Question, store: Store | None, key: str) -> None:
    answer = st.text_area(
        "내 답변",
        key=f"{key}-answer",
        height=140,
        placeholder="면접에서 말하듯이 3~5문장으로 적어 보세요.",
    )
    if st.button("모범 답안 보기", key=f"{key}-reveal"):
        st.session_state[f"{key}-revealed"] = True
    if not st.session_state.get(f"{key}-revealed"):
        return
    grade = show_free_grade(question, answer or "", "내 답변")
    _follow_ups(question)
    _rating_buttons(question, store, key, grade.suggested_rating, answer or "", grade.score)


def _choice(question: Question, store: Store | None, key: str) -> None:
    options = question.options or []
    multiple = sum(option.correct for option in options) > 1
    labels = [option.text for option in options]
    if multiple:
        picked = st.multiselect(
            "정답을 모두 고르세요",
            range(len(labels)),
            format_func=lambda i: labels[i],
            key=f"{key}-pick",
        )
    else:
        one = st.radio(
            "정답을 고르세요",
            range(len(labels)),
            format_func=lambda i: labels[i],
            index=None,
            key=f"{key}-pick",
        )
        picked = [] if one is None else [one]
    if st.button("채점하기", key=f"{key}-check", disabled=not picked):
        st.session_state[f"{key}-revealed"] = True
    if not st.session_state.get(f"{key}-revealed") or not picked:
        return
    grade = grading.grade_choice(question, list(picked))
    (st.success if grade.correct else st.error)(grade.feedback)
    for index, option in enumerate(options):
        mark = "⭕" if option.correct else "❌"
        chosen = " (내 선택)" if index in picked else ""
        st.markdown(f"{mark} **{option.text}**{chosen} — {option.why}")
    _reveal_answer(question)
    _follow_ups(question)
    answer = ", ".join(labels[i] for i in picked)
    _rating_buttons(question, store, key, grade.suggested_rating, answer, grade.score)


def _numeric(question: Question, store: Store | None, key: str) -> None:
    unit = f" (단위: {question.unit})" if question.unit else ""
    answer = st.text_input("내 답" + unit, key=f"{key}-answer", placeholder="예: 0.25, 1/4, 25%")
    if st.button("채점하기", key=f"{key}-check", disabled=not answer):
        st.session_state[f"{key}-revealed"] = True
    if not st.session_state.get(f"{key}-revealed") or not answer:
        return
    try:
        grade = grading.grade_numeric(question, answer)
    except ValueError as error:
        st.error(str(error))
        return
    (st.success if grade.correct else st.error)(grade.feedback)
    _reveal_answer(question)
    _follow_ups(question)
    _rating_buttons(question, store, key, grade.suggested_rating, answer, grade.score)


def _predict(question: Question, store: Store | None, key: str) -> None:
    assert question.predict is not None and question.experiment is not None
    labels = [option.text for option in question.predict.options]
    locked = st.session_state.get(f"{key}-prediction")
    if locked is None:
        choice = st.radio(
            "실험 결과를 먼저 예측해 보세요",
            range(len(labels)),
            format_func=lambda i: labels[i],
            index=None,
            key=f"{key}-pick",
        )
        if st.button("예측 확정", key=f"{key}-lock", disabled=choice is None):
            st.session_state[f"{key}-prediction"] = choice
            st.rerun()
        st.caption("예측을 확정하면 실험 실행 버튼이 나타납니다.")
        return
    st.info(f"내 예측: {labels[locked]}")
    link = question.experiment
    result = experiment_panel(link.name, link.preset, f"{key}-exp", link.look_at)
    if result is None:
        return
    try:
        grade = grading.grade_prediction(question, locked, result.findings)
    except KeyError:
        st.error(
            "이 설정의 실험 결과에는 채점에 필요한 측정값이 없습니다. "
            "기본 설정으로 다시 실행해 보세요."
        )
        return
    (st.success if grade.correct else st.error)(grade.feedback)
    _reveal_answer(question)
    _follow_ups(question)
    _rating_buttons(question, store, key, grade.suggested_rating, labels[locked], grade.score)


_RENDERERS = {"free": _free, "choice": _choice, "numeric": _numeric, "predict": _predict}


def question_card(
    question: Question,
    store: Store | None,
    number: int,
    *,
    key_prefix: str = "q",
    in_expander: bool = True,
) -> None:
    """Render one question with its experiment (if any), in an expander by default."""
    title = (
        f"Q{number}. [{question.kind_label} · {DIFFICULTY[question.difficulty]}] "
        f"{question.question}"
    )
    key = f"{key_prefix}-{question.id}"
    if in_expander:
        with st.expander(title, expanded=number == 1):
            _body(question, store, key)
    else:
        st.subheader(title)
        _body(question, store, key)


def _body(question: Question, store: Store | None, key: str) -> None:
    _RENDERERS[question.kind](question, store, key)
    link = question.experiment
    if link is not None and question.kind != "predict":
        if st.toggle("실험으로 확인하기", key=f"{key}-show-exp"):
            experiment_panel(link.name, link.preset, f"{key}-exp", link.look_at)


def forget(key_prefix: str) -> None:
    """Drop the widget state of cards rendered with ``key_prefix`` (to show a card afresh)."""
    for name in [k for k in st.session_state if str(k).startswith(f"{key_prefix}-")]:
        del st.session_state[name]
