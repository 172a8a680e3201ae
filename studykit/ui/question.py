"""One question card: answer, reveal, the answer check's evidence, rating, follow-ups.

Bank text and learner text are never rendered as Markdown or HTML: they pass through
``plain()`` or stay inside input widgets.
"""

from __future__ import annotations

import uuid
from datetime import datetime

import streamlit as st

from studykit.quiz import analyser, grading
from studykit.quiz.bank import Question
from studykit.quiz.scheduling import interval_text, now_utc
from studykit.quiz.store import MAX_DRAFT_CHARS, CardStatus, Store, StoreError
from studykit.ui.badges import RATING_DOT, status_badges
from studykit.ui.experiment import experiment_panel, preset_result
from studykit.ui.resources import show_store_error
from studykit.ui.text import plain

DIFFICULTY = {1: "기초", 2: "중급", 3: "심화"}
# Keyboard shortcuts of the one card on the review page (Streamlit's ``shortcut=``): bare
# digits only fire outside text fields; Ctrl+Enter (⌘+Enter on a Mac) fires while typing.
RATING_KEYS = {rating: str(rating) for rating in grading.RATINGS}
REVEAL_KEY = "Ctrl+Enter"
REVEAL_HELP = "단축키: 답을 적다가 Ctrl+Enter(맥은 ⌘+Enter)를 누르면 모범 답안을 봅니다."
RATING_HELP = "단축키 (입력란 밖에서): " + " · ".join(
    f"{RATING_KEYS[rating]} {label}" for rating, label in grading.RATINGS.items()
)


def _when(due: datetime) -> str:
    days = (due - now_utc()).total_seconds() / 86400
    local = due.astimezone().strftime("%Y-%m-%d %H:%M")
    if days < 1:
        minutes = max(1, round(days * 24 * 60))
        return (
            f"{local} ({minutes}분 후)" if minutes < 120 else f"{local} ({round(days * 24)}시간 후)"
        )
    return f"{local} ({round(days)}일 후)"


def _reveal(key: str) -> None:
    """A new reveal: it may be rated once (a repeated or stale click writes nothing more)."""
    st.session_state[f"{key}-revealed"] = True
    st.session_state[f"{key}-reveal-id"] = uuid.uuid4().hex
    st.session_state.pop(f"{key}-saved", None)


def _rating_buttons(
    question: Question,
    store: Store | None,
    key: str,
    suggested: int,
    answer: str,
    score: float | None,
    shortcuts: bool = False,
) -> None:
    st.markdown(
        "**얼마나 잘 기억했나요?** (자동 확인 기준 추천: " + grading.RATINGS[suggested] + ")"
    )
    saved = st.session_state.get(f"{key}-saved")
    try:
        due = store.preview(question.id) if store is not None else {}
    except StoreError:
        due = {}
    now = now_utc()
    if shortcuts:
        st.caption(RATING_HELP)
    columns = st.columns(4)
    for column, (rating, label) in zip(columns, grading.RATINGS.items()):
        interval = f" · {interval_text(now, due[rating])}" if rating in due else ""
        if column.button(
            f"{RATING_DOT[rating]} {label}{interval}",
            key=f"{key}-rate-{rating}",
            type="primary" if rating == suggested else "secondary",
            disabled=saved is not None,
            help="누르면 다음 복습이 이만큼 뒤로 잡힙니다 (FSRS).",
            shortcut=RATING_KEYS[rating] if shortcuts else None,
        ):
            if store is None:
                st.error("학습 기록 데이터베이스를 사용할 수 없어 평가를 저장하지 못했습니다.")
                return
            reveal_id = st.session_state.setdefault(f"{key}-reveal-id", uuid.uuid4().hex)
            try:
                outcome = store.record_review(
                    question.id,
                    rating,
                    topic=question.topic,
                    answer=answer,
                    score=score,
                    reveal_id=reveal_id,
                )
            except StoreError as error:
                show_store_error(error)
                st.warning(
                    "평가를 저장하지 못했습니다. 답변은 그대로 있으니 잠시 후 다시 눌러 주세요."
                )
                return
            saved = (grading.RATINGS[outcome.rating], outcome.due, outcome.review_id)
            st.session_state[f"{key}-saved"] = saved
            st.rerun()
    if saved:
        st.success(f"'{saved[0]}'(으)로 저장했습니다. 다음 복습: {_when(saved[1])}")
        if store is not None and st.button("평가 취소 (되돌리기)", key=f"{key}-undo"):
            if store.undo_review(saved[2]):
                st.session_state.pop(f"{key}-saved", None)
                st.session_state[f"{key}-reveal-id"] = uuid.uuid4().hex
                st.rerun()
            st.warning("이 카드는 그 뒤에 다시 평가되어 되돌릴 수 없습니다.")


_STATUS = {
    grading.STATED: "✅",
    grading.DENIED: "🚫",
    grading.CONTRADICTED: "❗",
    grading.MISSING: "⬜",
}
_STATUS_NOTE = {
    grading.STATED: "내 답변",
    grading.DENIED: "부정함",
    grading.CONTRADICTED: "값이 다름",
}


def grade_free_answer(question: Question, answer: str) -> grading.Grade:
    """Grade with the Korean analyser, with a spinner while it loads for the first time."""
    if analyser.is_loaded():
        return grading.grade_free(question, answer)
    with st.spinner("답변 분석기(Kiwi)를 불러오는 중… (처음 한 번만, 몇 초)"):
        return grading.grade_free(question, answer)


def show_free_grade(question: Question, answer: str, whose: str) -> grading.Grade:
    """Model answer, then the evidence: points stated, denied or missing, and misconceptions."""
    grade = grade_free_answer(question, answer)
    _reveal_answer(question)
    st.markdown(f"**핵심 포인트 확인** ({whose}에서 찾은 문장과 함께)")
    for check in grade.points:
        line = f"- {_STATUS[check.status]} **{plain(check.point)}**"
        if check.evidence:
            line += f"  \n  {_STATUS_NOTE[check.status]}: “{plain(check.evidence)}”"
        st.markdown(line)
    for found in grade.misconceptions:
        st.error(
            f"오개념 (misconception): {plain(found.claim)}  \n"
            f"{whose}: “{plain(found.evidence)}”  \n"
            f"바로잡기: {plain(found.correction)}"
        )
    (st.warning if grade.flagged else st.info)(
        grade.feedback + " 자동 확인은 핵심 포인트를 찾아 줄 뿐 채점이 아닙니다."
        " 모범 답안과 비교해 직접 평가하세요."
    )
    return grade


def _reveal_answer(question: Question) -> None:
    st.markdown("**모범 답안**")
    st.markdown(plain(question.answer))


def _follow_ups(question: Question, store: Store | None, key: str) -> None:
    if question.follow_ups:
        st.markdown("**꼬리 질문**")
    children = {child.question: child for child in question.answered_follow_ups()}
    for number, text in enumerate(question.follow_up_texts, start=1):
        child = children.get(text)
        st.markdown(f"{number}. {plain(text)}")
        if child is not None and st.toggle("답해 보기", key=f"{key}-fu{number}"):
            with st.container(border=True):
                _free(child, store, f"{key}-fu{number}")
    if question.common_mistake:
        st.warning("자주 하는 실수: " + plain(question.common_mistake))


def _restore_draft(question: Question, store: Store | None, widget: str) -> None:
    """Put the saved draft into the text area the first time the card is shown."""
    if store is None or widget in st.session_state:
        return
    try:
        text = store.draft(question.id)
    except StoreError:
        return
    if text:
        st.session_state[widget] = text


def _save_draft(question_id: str, store: Store, widget: str) -> None:
    try:
        store.save_draft(question_id, st.session_state.get(widget) or "")
    except (StoreError, ValueError):
        st.session_state[f"{widget}-draft-error"] = True


def _free(question: Question, store: Store | None, key: str, shortcuts: bool = False) -> None:
    widget = f"{key}-answer"
    _restore_draft(question, store, widget)
    answer = st.text_area(
        "내 답변",
        key=widget,
        height=140,
        max_chars=MAX_DRAFT_CHARS,
        placeholder="면접에서 말하듯이 3~5문장으로 적어 보세요.",
        on_change=_save_draft if store is not None else None,
        args=(question.id, store, widget) if store is not None else None,
        help="적는 동안 초안이 학습 기록에 저장되어 새로고침해도 남습니다. 평가하면 지워집니다.",
    )
    if st.session_state.pop(f"{widget}-draft-error", False):
        st.warning("초안을 저장하지 못했습니다. 답변은 화면에 그대로 있습니다.")
    if shortcuts:
        st.caption(REVEAL_HELP)
    if st.button("모범 답안 보기", key=f"{key}-reveal", shortcut=REVEAL_KEY if shortcuts else None):
        _reveal(key)
    if not st.session_state.get(f"{key}-revealed"):
        return
    grade = show_free_grade(question, answer or "", "내 답변")
    _follow_ups(question, store, key)
    _rating_buttons(
        question, store, key, grade.suggested_rating, answer or "", grade.score, shortcuts
    )


def _choice(question: Question, store: Store | None, key: str, shortcuts: bool = False) -> None:
    options = question.options or []
    multiple = sum(option.correct for option in options) > 1
    labels = [option.text for option in options]
    if multiple:
        picked = st.multiselect(
            "정답을 모두 고르세요",
            range(len(labels)),
            format_func=lambda i: labels[i],
            placeholder="보기를 하나 이상 고르세요",
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
        _reveal(key)
    if not st.session_state.get(f"{key}-revealed") or not picked:
        return
    grade = grading.grade_choice(question, list(picked))
    (st.success if grade.correct else st.error)(grade.feedback)
    for index, option in enumerate(options):
        mark = "⭕" if option.correct else "❌"
        chosen = " (내 선택)" if index in picked else ""
        st.markdown(f"{mark} **{plain(option.text)}**{chosen} — {plain(option.why)}")
    _reveal_answer(question)
    _follow_ups(question, store, key)
    answer = ", ".join(labels[i] for i in picked)
    _rating_buttons(question, store, key, grade.suggested_rating, answer, grade.score, shortcuts)


def _numeric(question: Question, store: Store | None, key: str, shortcuts: bool = False) -> None:
    unit = f" (단위: {question.unit})" if question.unit else ""
    answer = st.text_input("내 답" + unit, key=f"{key}-answer", placeholder="예: 0.25, 1/4, 25%")
    if st.button("채점하기", key=f"{key}-check", disabled=not answer):
        _reveal(key)
    if not st.session_state.get(f"{key}-revealed") or not answer:
        return
    try:
        grade = grading.grade_numeric(question, answer)
    except ValueError as error:
        st.error(plain(str(error)))
        return
    (st.success if grade.correct else st.error)(plain(grade.feedback))
    _reveal_answer(question)
    _follow_ups(question, store, key)
    _rating_buttons(question, store, key, grade.suggested_rating, answer, grade.score, shortcuts)


def _predict(question: Question, store: Store | None, key: str, shortcuts: bool = False) -> None:
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
            _reveal(key)
            st.rerun()
        st.caption("예측을 확정하면 실험 실행 버튼이 나타납니다.")
        return
    st.info(f"내 예측: {plain(labels[locked])}")
    link = question.experiment
    result = experiment_panel(link.name, link.preset, f"{key}-exp", link.look_at)
    if result is None:
        return
    # The prediction is about the question's own preset: a run with changed settings is shown
    # above as it is, but the grade comes from the preset's run.
    graded = preset_result(link.name, link.preset)
    if graded is None:
        return
    if graded.params != result.params:
        st.caption(
            f"예측은 이 질문의 기본 설정(프리셋 '{link.preset}') 실행 결과로 채점합니다. "
            "바꾼 설정의 결과는 위 그래프에 그대로 보입니다."
        )
    try:
        grade = grading.grade_prediction(question, locked, graded.findings)
    except KeyError:
        st.error("이 실험 결과에는 채점에 필요한 측정값이 없습니다. 문제 은행을 확인해 주세요.")
        return
    (st.success if grade.correct else st.error)(plain(grade.feedback))
    _reveal_answer(question)
    _follow_ups(question, store, key)
    _rating_buttons(
        question, store, key, grade.suggested_rating, labels[locked], grade.score, shortcuts
    )


_RENDERERS = {"free": _free, "choice": _choice, "numeric": _numeric, "predict": _predict}


def question_card(
    question: Question,
    store: Store | None,
    number: int,
    *,
    key_prefix: str = "q",
    in_expander: bool = True,
    expanded: bool | None = None,
    status: CardStatus | None | bool = False,
    statuses: dict[str, CardStatus] | None = None,
    shortcuts: bool = False,
) -> None:
    """Render one question with its experiment (if any), in an expander by default.

    ``status`` (a card's status, or None for a new card) adds badges to the title; False
    (default) shows none. ``statuses`` (every card's) counts the follow-ups that are due.
    ``expanded`` defaults to opening the first card only. ``shortcuts`` gives its reveal and
    rating buttons keyboard shortcuts (one card per page: the review page).
    """
    title = (
        f"Q{number}. [{question.kind_label} · {DIFFICULTY[question.difficulty]}] "
        f"{plain(question.question)}"
    )
    if status is not False:
        now = now_utc()
        due = sum(
            1
            for child in question.answered_follow_ups()
            if (child_status := (statuses or {}).get(child.id)) and child_status.due <= now
        )
        title += "  " + status_badges(status, now, due)
    key = f"{key_prefix}-{question.id}"
    if in_expander:
        opened = number == 1 if expanded is None else expanded
        with st.expander(title, expanded=opened, key=f"{key}-card"):
            _body(question, store, key, shortcuts)
    else:
        st.subheader(title)
        _body(question, store, key, shortcuts)


def _body(question: Question, store: Store | None, key: str, shortcuts: bool = False) -> None:
    _RENDERERS[question.kind](question, store, key, shortcuts)
    link = question.experiment
    if link is not None and question.kind != "predict":
        if st.toggle("실험으로 확인하기", key=f"{key}-show-exp"):
            experiment_panel(link.name, link.preset, f"{key}-exp", link.look_at)


def forget(key_prefix: str) -> None:
    """Drop the widget state of cards rendered with ``key_prefix`` (to show a card afresh)."""
    for name in [k for k in st.session_state if str(k).startswith(f"{key_prefix}-")]:
        del st.session_state[name]
