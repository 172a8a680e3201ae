"""The 모의 면접 (mock interview) page: a timed coach with follow-ups, reports and history.

Session state ``coach`` holds the running session: the plan ([question, follow-up] ids), where
the learner is (question ``index``, ``part`` 0 = the question, 1 = the follow-up), the deadline
of the current answer, and the report so far. Each finished question is graded, fed to the
review schedule and saved, so leaving midway loses nothing that was answered.
"""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta

import streamlit as st

from studykit.quiz import grading, interview
from studykit.quiz.bank import Bank
from studykit.quiz.scheduling import now_utc
from studykit.quiz.store import Store, StoreError
from studykit.ui import resources
from studykit.ui.question import DIFFICULTY, grade_free_answer
from studykit.ui.text import plain

STATE = "coach"
GRACE_S = 2  # seconds after the deadline before the countdown reruns the page itself
HISTORY_SHOWN = 20
_STATUS = {grading.STATED: "✅", grading.DENIED: "🚫", grading.CONTRADICTED: "❗"}


def _answer_key(state: dict) -> str:
    return f"coach-answer-{state['token']}-{state['index']}-{state['part']}"


def _start(bank: Bank, settings: interview.Settings) -> None:
    now = now_utc()
    st.session_state[STATE] = {
        "token": secrets.token_hex(4),
        "settings": settings.as_dict(),
        "plan": interview.plan(bank, settings),
        "index": 0,
        "part": 0,
        "phase": "answer",
        "started_at": now,
        "part_started": now,
        "answers": [],
        "report": [],
        "session_id": None,
        "saved": True,
    }


def _setup(bank: Bank) -> None:
    st.caption(
        "주제·난이도·질문 수·답변 시간을 정하면 면접관이 질문하고, 답하면 꼬리 질문을 이어서 "
        "묻습니다. 두 답변 모두 자동 확인으로 핵심 포인트와 오개념을 찾아 보고서로 남깁니다."
    )
    titles = {t.id: t.title for t in bank.topics}
    topics = st.multiselect(
        "주제 (비우면 모든 주제)",
        list(titles),
        format_func=lambda t: titles[t],
        placeholder="모든 주제",
        key="coach-topics",
    )
    difficulties = st.multiselect(
        "난이도",
        list(DIFFICULTY),
        default=list(DIFFICULTY),
        format_func=lambda d: DIFFICULTY[d],
        placeholder="난이도를 고르세요",
        key="coach-levels",
    )
    left, right = st.columns(2)
    count = left.number_input(
        "질문 수", min_value=1, max_value=interview.MAX_QUESTIONS, value=3, key="coach-count"
    )
    seconds = right.number_input(
        "답변당 제한 시간 (초, 0이면 제한 없음)",
        min_value=0,
        max_value=interview.MAX_SECONDS,
        value=120,
        step=30,
        key="coach-seconds",
    )
    if st.button("면접 시작", type="primary"):
        try:
            settings = interview.Settings(
                tuple(topics), tuple(difficulties), int(count), int(seconds)
            )
            _start(bank, settings)
        except interview.SettingsError as error:
            st.error(str(error))
            return
        st.rerun()


def _deadline(state: dict) -> datetime | None:
    seconds = state["settings"]["seconds"]
    return state["part_started"] + timedelta(seconds=seconds) if seconds else None


@st.fragment(run_every=1)
def _countdown(deadline: datetime, widget_key: str) -> None:
    left = (deadline - now_utc()).total_seconds()
    if left <= -GRACE_S:
        st.rerun()  # the whole page: it closes the answer and submits what was typed
    if left <= 0:
        _blur_answer(widget_key, at_ms=None)  # a second chance if the timed blur came late
    left = max(0.0, left)
    st.caption(f"⏱️ 남은 시간 {int(left // 60)}:{int(left % 60):02d}")


def _commit_at(deadline: datetime, widget_key: str) -> None:
    """At the deadline, take the focus off the answer box in the browser.

    A Streamlit text area sends its text only when it loses focus (or on Ctrl+Enter), so
    text typed up to the last second would otherwise never reach the server. The blur sends
    it and reruns the page, which finds the time up and submits it; the countdown blurs
    again once time is up, and its own rerun, ``GRACE_S`` later, is the last resort.
    """
    _blur_answer(widget_key, at_ms=int(deadline.timestamp() * 1000) + 300)


def _blur_answer(widget_key: str, at_ms: int | None) -> None:
    """Blur the answer box at ``at_ms`` (Unix ms) or at once (None).

    The timer is set from the deadline itself, not from a delay computed here: on a busy
    machine the page can reach the browser seconds after the server drew it, and a delay
    would then blur after the countdown's rerun had already submitted without the text.
    A browser clock more than 10 s off the server's falls back to the server's delay. The
    script is fixed code and numbers.
    """
    blur = (
        f"var box = document.querySelector('.st-key-{widget_key} textarea');"
        "if (box && document.activeElement === box) { box.blur(); }"
    )
    if at_ms is None:
        script = f"<script>{blur}</script>"
    else:
        server_delay = max(0, at_ms - int(now_utc().timestamp() * 1000))
        script = (
            "<script>clearTimeout(window.studykitCoachTimer);"
            f"var delay = {at_ms} - Date.now();"
            f"if (Math.abs(delay - {server_delay}) > 10000) {{ delay = {server_delay}; }}"
            "window.studykitCoachTimer = setTimeout(function () {"
            f"{blur}}}, Math.max(0, delay));</script>"
        )
    st.html(script, unsafe_allow_javascript=True)


def _submit(bank: Bank, store: Store | None, state: dict, timed_out: bool) -> None:
    now = now_utc()
    deadline = _deadline(state)
    used = (min(now, deadline) if deadline else now) - state["part_started"]
    text = st.session_state.get(_answer_key(state)) or ""
    state["answers"].append((text, used.total_seconds(), timed_out))
    if state["part"] == 0:
        state["part"], state["part_started"] = 1, now
        return
    _finish_question(bank, store, state)


def _finish_question(bank: Bank, store: Store | None, state: dict) -> None:
    """Grade both answers, feed the schedule, add the question to the report and save it."""
    parts = []
    for number, (qid, (text, used, timed_out)) in enumerate(
        zip(state["plan"][state["index"]], state["answers"])
    ):
        question = bank.question(qid)
        grade = grade_free_answer(question, text)
        rating = None
        if store is not None:
            try:
                rating = store.record_review(
                    qid,
                    grade.suggested_rating,
                    topic=question.topic,
                    answer=text,
                    score=grade.score,
                    reveal_id=f"coach-{state['token']}-{state['index']}-{number}",
                ).rating
            except StoreError as error:
                resources.show_store_error(error)
        parts.append(interview.part(question, text, grade, used, timed_out, rating))
    state["report"].append({"parts": parts})
    state["answers"] = []
    state["phase"] = "report"
    _save(store, state, finished=state["index"] == len(state["plan"]) - 1)


def _save(store: Store | None, state: dict, finished: bool) -> None:
    if store is None:
        state["saved"] = False
        return
    try:
        state["session_id"] = store.save_mock_interview(
            state["settings"],
            state["report"],
            state["started_at"],
            finished_at=now_utc() if finished else None,
            session_id=state["session_id"],
        )
        state["saved"] = True
    except StoreError as error:
        resources.show_store_error(error)
        state["saved"] = False


def _ask(bank: Bank, store: Store | None, state: dict) -> None:
    if st.session_state.pop("coach-timed-out", False):
        st.warning("⏰ 시간이 다 되어 앞 답변을 적은 데까지 제출했습니다.")
    qid = state["plan"][state["index"]][state["part"]]
    question = bank.question(qid)
    total = len(state["plan"])
    if state["part"] == 0:
        st.subheader(f"질문 {state['index'] + 1} / {total}")
        st.markdown(f"**면접관:** {plain(question.question)}")
    else:
        first = state["answers"][0]
        st.subheader(f"질문 {state['index'] + 1} / {total} · 꼬리 질문")
        parent = bank.question(state["plan"][state["index"]][0])
        st.caption("앞 질문: " + parent.question)
        with st.expander("내 첫 답변"):
            st.markdown(plain(first[0]) or "(답변 없음)")
        st.markdown(f"**면접관:** {plain(question.question)}")
    deadline = _deadline(state)
    if deadline is not None and now_utc() >= deadline:
        _submit(bank, store, state, timed_out=True)
        st.session_state["coach-timed-out"] = True
        st.rerun()
    if deadline is not None:
        _countdown(deadline, _answer_key(state))
        _commit_at(deadline, _answer_key(state))
    st.text_area(
        "내 답변",
        key=_answer_key(state),
        height=150,
        placeholder="면접에서 말하듯이 답해 보세요. 시간이 다 되면 적은 데까지 제출됩니다.",
    )
    if st.button("답변 제출", type="primary", key=f"coach-submit-{state['part']}"):
        _submit(bank, store, state, timed_out=False)
        st.rerun()


def _show_part(entry_part: dict, label: str) -> None:
    limit = " (시간 초과로 자동 제출)" if entry_part["timed_out"] else ""
    rating = entry_part.get("rating")
    scheduled = f" · 복습 일정 반영: {grading.RATINGS[rating]}" if rating else ""
    st.markdown(f"**{label}:** {plain(entry_part['question'])}")
    st.caption(
        f"걸린 시간 {entry_part['seconds']:.0f}초{limit} · 핵심 포인트 "
        f"{len(interview.found(entry_part))}/{len(entry_part['points'])}{scheduled}"
    )
    st.markdown(plain(entry_part["answer"]) if entry_part["answer"] else "_(답변 없음)_")
    for point in entry_part["points"]:
        mark = _STATUS.get(point["status"], "⬜")
        line = f"- {mark} {plain(point['point'])}"
        if point["evidence"]:
            line += f" — “{plain(point['evidence'])}”"
        st.markdown(line)
    for found in entry_part["misconceptions"]:
        st.error(
            f"오개념 (misconception): {plain(found['claim'])}  \n"
            f"내 답변: “{plain(found['evidence'])}”  \n바로잡기: {plain(found['correction'])}"
        )


def show_entry(entry: dict, bank: Bank | None = None) -> None:
    """One question of a report: both answers, points found, misconceptions, time used."""
    for number, entry_part in enumerate(entry["parts"]):
        _show_part(entry_part, "질문" if number == 0 else "꼬리 질문")
        if bank is not None:
            try:
                answer = bank.question(entry_part["question_id"]).answer
            except KeyError:
                continue
            with st.expander("모범 답안"):
                st.markdown(plain(answer))


def _report(bank: Bank, state: dict) -> None:
    if st.session_state.pop("coach-timed-out", False):
        st.warning("⏰ 시간이 다 되어 적은 데까지 제출했습니다.")
    st.subheader(f"질문 {state['index'] + 1} 보고서")
    show_entry(state["report"][-1], bank)
    if not state["saved"]:
        st.warning("학습 기록을 쓸 수 없어 이 보고서를 저장하지 못했습니다.")
    last = state["index"] == len(state["plan"]) - 1
    if st.button("면접 마치기" if last else "다음 질문", type="primary"):
        if last:
            state["phase"] = "done"
        else:
            state.update(index=state["index"] + 1, part=0, phase="answer", part_started=now_utc())
        st.rerun()


def _summary(state: dict) -> None:
    st.subheader("면접 결과")
    rows = [
        {
            "질문": entry["parts"][0]["question"],
            "핵심 포인트 (질문)": _ratio(entry["parts"][0]),
            "핵심 포인트 (꼬리)": _ratio(entry["parts"][1]),
            "오개념": sum(len(p["misconceptions"]) for p in entry["parts"]),
            "걸린 시간 (초)": round(sum(p["seconds"] for p in entry["parts"])),
        }
        for entry in state["report"]
    ]
    st.dataframe(rows, hide_index=True)
    st.success(
        "면접 기록을 저장했고, 답변마다 자동 확인의 추천 평가로 복습 일정에 넣었습니다."
        if state["saved"]
        else "학습 기록을 쓸 수 없어 저장하지 못했습니다."
    )
    if st.button("새 면접 시작"):
        del st.session_state[STATE]
        st.rerun()


def _ratio(entry_part: dict) -> str:
    return f"{len(interview.found(entry_part))}/{len(entry_part['points'])}"


def _earlier_version_sessions(bank: Bank, store: Store) -> None:
    """Single-question interviews saved by earlier versions of studykit (schema 2)."""
    rows = store.interviews()
    if not rows:
        return
    with st.expander(f"이전 버전의 면접 기록 {len(rows)}회"):
        for row in reversed(rows[-HISTORY_SHOWN:]):
            when = datetime.fromisoformat(row["started_at"]).astimezone().strftime("%Y-%m-%d %H:%M")
            try:
                question = bank.question(row["question_id"]).question
            except KeyError:
                question = row["question_id"]
            st.markdown(f"**{when}** · {plain(question)}")
            for name, answer in row["answers"].items():
                who = "첫 답변" if name == "main" else name.replace("follow_up_", "꼬리 질문 ")
                st.caption(who)
                st.markdown(plain(str(answer)) if answer else "_(답변 없음)_")


def _history(bank: Bank, store: Store) -> None:
    sessions = store.mock_interviews()
    st.subheader("지난 면접 기록")
    _earlier_version_sessions(bank, store)
    if not sessions:
        st.caption("아직 저장된 모의 면접이 없습니다.")
        return
    if len(sessions) > HISTORY_SHOWN:
        st.caption(f"최근 {HISTORY_SHOWN}회만 보여 줍니다 (전체 {len(sessions)}회).")
    for session in sessions[:HISTORY_SHOWN]:
        when = session["started_at"].astimezone().strftime("%Y-%m-%d %H:%M")
        done = "" if session["finished_at"] else " · 중단됨"
        label = f"{when} · 질문 {len(session['report'])}개{done}"
        with st.expander(label, key=f"coach-history-{session['id']}"):
            for number, entry in enumerate(session["report"], start=1):
                st.markdown(f"##### 질문 {number}")
                try:
                    show_entry(entry)
                except (KeyError, TypeError, ValueError):
                    st.warning("이 질문의 기록은 형식이 맞지 않아 보여 줄 수 없습니다.")


@resources.store_guarded
def interview_page() -> None:
    st.title("모의 면접 (mock interview)")
    resources.start_answer_check_loading()
    bank = resources.bank()
    store = resources.store()
    state = st.session_state.get(STATE)
    if state is None:
        _setup(bank)
        if store is not None:
            _history(bank, store)
        return
    if state["phase"] == "done":
        _summary(state)
        return
    if state["phase"] == "answer":
        _ask(bank, store, state)
    else:
        _report(bank, state)
    st.divider()
    if st.button("면접 그만두기", help="끝낸 질문의 보고서는 지난 면접 기록에 남습니다."):
        del st.session_state[STATE]
        st.rerun()
