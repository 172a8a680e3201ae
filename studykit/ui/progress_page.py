"""The 진도 (progress) page: statistics, charts and exports."""

from __future__ import annotations

import tempfile
from pathlib import Path

import altair as alt
import streamlit as st

from studykit.quiz import progress
from studykit.quiz.export import write_anki_package
from studykit.quiz.grading import RATINGS
from studykit.quiz.scheduling import now_utc
from studykit.ui import resources
from studykit.ui.badges import RATING_HEX


def _share_column(help_text: str):
    """A 0-100 % bar column for a share in [0, 1]."""
    return st.column_config.ProgressColumn(
        min_value=0, max_value=1, format="percent", color="auto", help=help_text
    )


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
            "주제": st.column_config.TextColumn(width="medium"),
            "학습 / 문항": st.column_config.TextColumn(help="한 번 이상 평가한 문항 / 전체 문항"),
            "복습 대기": st.column_config.NumberColumn(help="지금 복습할 차례인 카드"),
            ratio: _share_column("전체 평가 중 알맞음·쉬움의 비율"),
            "자동 확인 점수": _share_column(
                "서술형 답변에서 찾은 핵심 포인트 비율의 평균 (채점이 아닌 참고값)"
            ),
            "기억 유지율": _share_column("FSRS가 추정한, 지금 떠올릴 확률의 평균"),
        },
    )
    per_day = progress.reviews_per_day(reviews)
    if not per_day.empty:
        per_day["평가"] = per_day["rating"].map(RATINGS)
        st.altair_chart(
            alt.Chart(per_day, title="하루 복습 횟수")
            .mark_bar()
            .encode(
                x=alt.X("day:O", title="날짜"),
                y=alt.Y("count:Q", title="복습 횟수"),
                color=alt.Color(
                    "평가:N",
                    sort=list(RATINGS.values()),
                    scale=alt.Scale(domain=list(RATINGS.values()), range=list(RATING_HEX.values())),
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
        deck = write_anki_package(bank, Path(folder) / "studykit.apkg", store.cards()).read_bytes()
    st.download_button(
        "문제 은행 Anki 덱 (.apkg) 내려받기",
        deck,
        file_name="studykit.apkg",
        mime="application/octet-stream",
    )
