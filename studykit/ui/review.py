"""The 복습 (review) page: due cards, a daily ration of new cards, study ahead, last answer."""

from __future__ import annotations

import streamlit as st

from studykit.quiz import grading, queue
from studykit.quiz.bank import Bank
from studykit.quiz.store import Store, StoreError
from studykit.ui import resources
from studykit.ui.question import DIFFICULTY, forget, question_card
from studykit.ui.text import plain

AHEAD = "ahead-filter"  # session key: the study-ahead filter, while studying ahead
AHEAD_DONE = "ahead-done"  # session key: cards already shown while studying ahead
LIMIT_KEY = "new-per-day"


def _save_limit(store: Store) -> None:
    value = st.session_state.get(LIMIT_KEY)
    try:
        queue.set_new_per_day(store, int(value))
    except (TypeError, ValueError):
        st.session_state["new-per-day-error"] = (
            f"하루 새 문항 수는 0에서 {queue.MAX_NEW_PER_DAY} 사이의 정수로 입력하세요."
        )
    except StoreError as error:
        st.session_state["new-per-day-error"] = "설정을 저장하지 못했습니다. " + error.korean


def _limit_control(store: Store) -> None:
    with st.expander(f"하루 새 문항 수: {queue.new_per_day(store)}장"):
        st.number_input(
            "하루에 새로 시작할 문항 수 (new cards per day)",
            min_value=0,
            max_value=queue.MAX_NEW_PER_DAY,
            value=queue.new_per_day(store),
            step=5,
            key=LIMIT_KEY,
            on_change=_save_limit,
            args=(store,),
            help="오늘(내 시간대 기준 자정부터) 처음 평가한 문항이 이 수에 이르면 새 문항을 "
            "더 내지 않습니다. 복습 예정 카드는 한도와 상관없이 모두 나옵니다.",
        )
    error = st.session_state.pop("new-per-day-error", None)
    if error:
        st.error(error)


def _ahead_label(bank: Bank, chosen: dict) -> str:
    parts = []
    if chosen.get("topic"):
        parts.append(bank.topic(chosen["topic"]).title)
    if chosen.get("difficulty"):
        parts.append(DIFFICULTY[chosen["difficulty"]])
    return " · ".join(parts) or "모든 문항"


def _study_ahead_form(bank: Bank, store: Store) -> None:
    st.subheader("미리 학습 (study ahead)")
    st.caption("아직 복습 날짜가 오지 않은 카드를 빠른 순서로, 이어서 새 문항을 풉니다.")
    topics = {None: "모든 주제", **{t.id: t.title for t in bank.topics}}
    levels = {None: "모든 난이도", **DIFFICULTY}
    left, right = st.columns(2)
    topic = left.selectbox("주제", list(topics), format_func=lambda t: topics[t], key="ahead-topic")
    difficulty = right.selectbox(
        "난이도", list(levels), format_func=lambda d: levels[d], key="ahead-level"
    )
    count = len(queue.ahead(bank, store, topic, difficulty))
    st.caption(f"조건에 맞는 카드 {count}장")
    if st.button("미리 학습 시작", type="primary", disabled=count == 0):
        st.session_state[AHEAD] = {"topic": topic, "difficulty": difficulty}
        st.session_state[AHEAD_DONE] = []
        st.session_state.pop("review-current", None)
        st.rerun()


def _nothing_left(bank: Bank, store: Store, today: queue.Queue) -> None:
    st.success("지금 복습할 카드가 없습니다. 🎉")
    known = {q.id for q in bank.all_questions}
    upcoming = sorted(when for qid, when in store.cards().items() if qid in known)
    if upcoming:
        st.caption("다음 복습 예정: " + upcoming[0].astimezone().strftime("%Y-%m-%d %H:%M"))
    if today.new_per_day and today.new_today >= today.new_per_day:
        st.info(
            f"오늘의 새 문항 {today.new_per_day}장을 모두 시작했습니다. 위에서 한도를 늘리거나 "
            "아래에서 미리 학습을 할 수 있습니다."
        )
    _study_ahead_form(bank, store)


def _previous_answer(store: Store, question_id: str, key: str) -> None:
    """After the reveal: what the learner answered the last time this card was rated."""
    if not st.session_state.get(f"{key}-revealed"):
        return
    saved = st.session_state.get(f"{key}-saved")
    previous = store.previous_answer(question_id, saved[2] if saved else None)
    with st.container(border=True):
        if previous is None:
            st.caption("지난번 내 답변: 이 카드에 저장된 답변이 아직 없습니다.")
            return
        when = previous["reviewed_at"].astimezone().strftime("%Y-%m-%d %H:%M")
        st.caption(f"지난번 내 답변 ({when} · 평가 {grading.RATINGS[previous['rating']]})")
        st.markdown(plain(previous["answer"]))


@resources.store_guarded
def review_page() -> None:
    st.title("복습 (review)")
    resources.start_answer_check_loading()
    bank = resources.bank()
    store = resources.store()
    if store is None:
        return
    _limit_control(store)
    chosen = st.session_state.get(AHEAD)
    today = queue.today(bank, store)
    current = st.session_state.get("review-current")
    if chosen is not None:
        done = st.session_state.setdefault(AHEAD_DONE, [])
        ahead = queue.ahead(bank, store, **chosen)
        ids = [qid for qid in ahead if qid not in done or qid == current]
        st.caption(f"미리 학습 중: {_ahead_label(bank, chosen)} · 남은 카드 {len(ids)}장")
        if st.button("미리 학습 끝내기"):
            for name in (AHEAD, AHEAD_DONE, "review-current"):
                st.session_state.pop(name, None)
            forget("review")
            st.rerun()
    else:
        ids = list(today.ids)
        st.caption(
            f"복습할 카드 {len(today.due)}장 · 오늘의 새 문항 {len(today.new)}장 "
            f"(오늘 시작 {today.new_today} / 하루 {today.new_per_day}장)"
        )
    if current is None or current not in {q.id for q in bank.all_questions}:
        if not ids:
            if chosen is not None:
                st.success("미리 학습할 카드를 모두 풀었습니다. 🎉")
                return
            _nothing_left(bank, store, today)
            return
        current = ids[0]
        st.session_state["review-current"] = current
        st.session_state["review-current-new"] = current not in store.cards()
        if chosen is not None:
            st.session_state[AHEAD_DONE].append(current)
    question = bank.question(current)
    status = "새 문항" if st.session_state.get("review-current-new") else "복습"
    st.caption(f"주제: {bank.topic(question.topic).title} · {status}")
    if question.parent is not None:
        st.caption("꼬리 질문 · 원래 질문: " + bank.question(question.parent).question)
    question_card(question, store, 1, key_prefix="review", in_expander=False, shortcuts=True)
    _previous_answer(store, current, f"review-{current}")
    if st.session_state.get(f"review-{current}-saved") and st.button("다음 카드", type="primary"):
        forget("review")
        st.session_state.pop("review-current", None)
        st.rerun()
