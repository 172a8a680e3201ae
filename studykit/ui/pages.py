"""Page bodies. Files in pages/ (and app.py) only call these."""

from __future__ import annotations

import streamlit as st

from studykit.quiz import analyser
from studykit.quiz.scheduling import now_utc
from studykit.ui import resources
from studykit.ui.question import question_card

HOW_TO = """
1. 왼쪽 메뉴에서 주제를 고릅니다.
2. 질문마다 **면접에서 말하듯이** 답을 먼저 적고 **모범 답안 보기**를 누릅니다.
   자동 확인이 내 답변에서 핵심 포인트를 말한 문장(✅), 부정한 문장(🚫), 흔한 오개념을
   찾아 보여 줍니다. 채점이 아니라 근거이니, 모범 답안과 비교해 직접 평가하세요.
3. **다시 / 어려움 / 알맞음 / 쉬움** 중 하나로 얼마나 잘 기억했는지 평가하면, 간격 반복
   (spaced repetition, FSRS) 스케줄러가 다음 복습 날짜를 정해 줍니다.
4. **실험으로 확인하기**를 켜고 **실행**을 누르면 답의 근거를 작은 신경망 실험으로 직접 확인할 수
   있습니다. 처음 실행할 때만 TensorFlow를 불러오느라 몇 초 더 걸립니다.
"""


@resources.store_guarded
def home_page() -> None:
    st.title("studykit · 딥러닝 면접 대비")
    st.markdown(HOW_TO)
    bank = resources.bank()
    store = resources.store()
    cards = store.cards() if store else {}
    now = now_utc()
    rows = []
    for topic in bank.topics:
        follow_ups = [q.id for q in topic.follow_up_questions]
        ids = [q.id for q in topic.questions] + follow_ups
        rows.append(
            {
                "주제": topic.title,
                "문항 수": len(topic.questions),
                "꼬리 질문": len(follow_ups),
                "학습한 문항": sum(qid in cards for qid in ids),
                "오늘 복습할 문항": sum(qid in cards and cards[qid] <= now for qid in ids),
                "설명": topic.summary,
            }
        )
    follow_ups = len(bank.all_questions) - len(bank.questions)
    st.subheader(
        f"주제 {len(bank.topics)}개 · 문항 {len(bank.questions)}개 · "
        f"답이 있는 꼬리 질문 {follow_ups}개"
    )
    st.dataframe(rows, hide_index=True)


@resources.store_guarded
def topic_page(topic_id: str) -> None:
    bank = resources.bank()
    try:
        topic = bank.topic(topic_id)
    except KeyError:
        st.error(
            f"주제 '{topic_id}'를 문제 은행에서 찾을 수 없습니다. questions/{topic_id}.yaml 파일이 "
            "있는지, 오류가 없는지 확인하세요."
        )
        return
    analyser.start_loading()
    st.title(topic.title)
    st.caption(topic.summary)
    store = resources.store()
    for number, question in enumerate(topic.questions, start=1):
        question_card(question, store, number)
