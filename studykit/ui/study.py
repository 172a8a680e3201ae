"""The 모의 면접 (mock interview) and 진도 (progress) pages."""

from __future__ import annotations

import random
import tempfile
from pathlib import Path

import altair as alt
import streamlit as st

from studykit.quiz import analyser, progress
from studykit.quiz.export import write_anki_package
from studykit.quiz.scheduling import now_utc
from studykit.ui import resources
from studykit.ui.badges import RATING_HEX
from studykit.ui.question import show_free_grade
from studykit.ui.text import plain

RATING_LABELS = {1: "다시", 2: "어려움", 3: "알맞음", 4: "쉬움"}


@resources.store_guarded
def interview_page() -> None:
    st.title("모의 면접 (mock interview)")
    st.caption("무작위 질문에 답하고, 이어지는 꼬리 질문에 답한 뒤 모범 답안과 비교합니다.")
    analyser.start_loading()
    bank = resources.bank()
    store = resources.store()
    state = st.session_state.setdefault("interview", {})
    if not state:
        free = [q for q in bank.questions if q.kind == "free"]
        minutes = st.number_input("답변 제한 시간 (분, 0이면 제한 없음)", 0, 30, 3, step=1)
        if st.button("면접 시작", type="primary", disabled=not free):
            question = random.choice(free)
            state.update(question=question.id, started=now_utc(), limit=int(minutes) * 60, step=0)
            st.rerun()
        return
    question = bank.question(state["question"])
    elapsed = (now_utc() - state["started"]).total_seconds()
    if state["limit"]:
        left = state["limit"] - elapsed
        st.caption(
            f"남은 시간 약 {max(0, int(left // 60))}분 {max(0, int(left % 60))}초"
            if left > 0
            else "⏰ 제한 시간이 지났습니다. 마무리해 주세요."
        )
    steps = [question.question, *question.follow_up_texts]
    answers: list[str] = state.setdefault("answers", [])
    for index, prompt in enumerate(steps[: state["step"] + 1]):
        st.markdown(f"**{'질문' if index == 0 else f'꼬리 질문 {index}'}.** {plain(prompt)}")
        if index < len(answers):
            st.text(answers[index] or "(답변 없음)")
        else:
            st.text_area("내 답변", key=f"interview-answer-{index}", height=110)
    if not state.get("done"):
        last = state["step"] == len(steps) - 1
        if st.button("답변 완료" if last else "다음 (꼬리 질문)", type="primary"):
            answers.append(st.session_state.get(f"interview-answer-{state['step']}", ""))
            if last:
                named = {("main" if i == 0 else f"follow_up_{i}"): a for i, a in enumerate(answers)}
                if store is not None:
                    store.save_interview(
                        question.id, named, state["started"], now_utc(), state["limit"] or None
                    )
                state["done"] = True
            else:
                state["step"] += 1
            st.rerun()
        return
    st.divider()
    show_free_grade(question, answers[0], "첫 답변")
    children = {child.question: child for child in question.answered_follow_ups()}
    for index, text in enumerate(question.follow_up_texts, start=1):
        child = children.get(text)
        if child is not None and index < len(answers):
            st.subheader(f"꼬리 질문 {index}")
            show_free_grade(child, answers[index], f"꼬리 질문 {index} 답변")
    st.success(
        "면접 기록을 저장했습니다."
        if store is not None
        else "기록 저장소를 쓸 수 없어 저장하지 못했습니다."
    )
    if st.button("새 면접 시작"):
        for key in [k for k in st.session_state if str(k).startswith("interview")]:
            del st.session_state[key]
        st.rerun()


@resources.store_guarded
def progress_page() -> None:
    st.title("진도 (progress)")
    bank = resources.bank()
    store = resources.store()
    if store is None:
        return
    now = now_utc()
    reviews = store.reviews()
    cards = store.fsrs_cards()
    summary = progress.topic_summary(bank, reviews, cards, now)
    total = int(summary["questions"].sum())
    studied = int(summary["studied"].sum())
    left, middle, right = st.columns(3)
    left.metric("학습한 문항", f"{studied} / {total}")
    middle.metric("총 복습 횟수", len(reviews))
    right.metric("지금 복습할 카드", int(summary["due_now"].sum()))
    st.subheader("주제별 정답률과 기억 유지율")
    st.caption("아직 평가하지 않은 주제는 비율 칸이 비어 있습니다.")
    table = summary.assign(
        studied=[f"{s} / {q}" for s, q in zip(summary["studied"], summary["questions"])]
    )
    ratio = "정답률 (알맞음·쉬움)"
    st.dataframe(
        table[
            ["title", "studied", "due_now", "reviews", "recall_rate", "mean_score", "retention"]
        ].rename(
            columns={
                "title": "주제",
                "studied": "학습 / 문항",
                "due_now": "복습 대기",
                "reviews": "복습 횟수",
                "recall_rate": ratio,
                "mean_score": "자동 확인 점수",
                "retention": "기억 유지율",
            }
        ),
        hide_index=True,
        column_config={
            "주제": st.column_config.TextColumn(width="large", pinned=True),
            "학습 / 문항": st.column_config.TextColumn(help="한 번 이상 평가한 문항 / 전체 문항"),
            "복습 대기": st.column_config.NumberColumn(help="지금 복습할 차례인 카드"),
            ratio: st.column_config.ProgressColumn(
                min_value=0,
                max_value=1,
                format="percent",
                color="auto",
                help="전체 평가 중 알맞음·쉬움의 비율",
            ),
            "자동 확인 점수": st.column_config.ProgressColumn(
                min_value=0,
                max_value=1,
                format="percent",
                color="auto",
                help="서술형 답변에서 찾은 핵심 포인트 비율의 평균 (채점이 아닌 참고값)",
            ),
            "기억 유지율": st.column_config.ProgressColumn(
                min_value=0,
                max_value=1,
                format="percent",
                color="auto",
                help="FSRS가 추정한, 지금 떠올릴 확률의 평균",
            ),
        },
    )
    per_day = progress.reviews_per_day(reviews)
    if not per_day.empty:
        per_day["평가"] = per_day["rating"].map(RATING_LABELS)
        st.altair_chart(
            alt.Chart(per_day, title="하루 복습 횟수")
            .mark_bar()
            .encode(
                x=alt.X("day:O", title="날짜"),
                y=alt.Y("count:Q", title="복습 횟수"),
                color=alt.Color(
                    "평가:N",
                    sort=list(RATING_LABELS.values()),
                    scale=alt.Scale(
                        domain=list(RATING_LABELS.values()), range=list(RATING_HEX.values())
                    ),
                ),
            )
        )
    upcoming = progress.upcoming_due(cards, now)
    st.altair_chart(
        alt.Chart(upcoming, title="앞으로 14일간 복습 예정 카드")
        .mark_bar()
        .encode(x=alt.X("day:O", title="날짜"), y=alt.Y("due:Q", title="카드 수"))
    )
    st.subheader("내보내기")
    st.download_button(
        "복습 기록 CSV 내려받기",
        store.export_reviews_csv().encode("utf-8-sig"),
        file_name="studykit_reviews.csv",
        mime="text/csv",
    )
    with tempfile.TemporaryDirectory() as folder:
        deck = write_anki_package(bank, Path(folder) / "studykit.apkg").read_bytes()
    st.download_button(
        "문제 은행 Anki 덱 (.apkg) 내려받기",
        deck,
        file_name="studykit.apkg",
        mime="application/octet-stream",
    )
