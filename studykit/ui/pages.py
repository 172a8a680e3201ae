"""Page bodies. Files in pages/ (and app.py) only call these."""

from __future__ import annotations

import streamlit as st

from studykit.quiz import queue
from studykit.quiz.bank import Bank
from studykit.quiz.scheduling import local_day, now_utc
from studykit.quiz.store import Store
from studykit.ui import resources
from studykit.ui.question import question_card
from studykit.ui.text import plain

QUESTION_PARAM = "q"  # ?q=<question id> on a topic page opens that question

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


def _continue(bank: Bank, store: Store) -> None:
    """이어서 학습: what is due today (local day) and new cards left, with links to study."""
    st.subheader("이어서 학습")
    due = queue.due_by_end_of_day(bank, store)
    today = queue.today(bank, store)
    left, right = st.columns(2)
    left.metric("오늘 복습할 카드", f"{len(due)}장", help="내 시간대 기준 오늘 자정까지 복습 예정")
    right.metric(
        "오늘 남은 새 문항", f"{len(today.new)}장", help=f"하루 {today.new_per_day}장 기준"
    )
    st.page_link("app_pages/review.py", label="복습 시작", icon="🔁")
    per_topic: dict[str, int] = {}
    first: dict[str, str] = {}  # the topic's most overdue card opens on arrival
    for qid in due:
        question = bank.question(qid)
        per_topic[question.topic] = per_topic.get(question.topic, 0) + 1
        first.setdefault(question.topic, question.parent or question.id)
    for topic in bank.topics:
        if topic.id in per_topic:
            st.page_link(
                f"app_pages/{topic.id}.py",
                label=f"{plain(topic.title)} · 오늘 복습 {per_topic[topic.id]}장",
                icon="📖",
                query_params={QUESTION_PARAM: first[topic.id]},
            )


@resources.store_guarded
def home_page() -> None:
    st.title("studykit · 딥러닝 면접 대비")
    bank = resources.bank()
    store = resources.store()
    if store is not None:
        _continue(bank, store)
    with st.expander("사용법", expanded=store is None or not store.cards()):
        st.markdown(HOW_TO)
    cards = store.cards() if store else {}
    _, end = local_day(now_utc())
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
                "오늘 복습할 문항": sum(qid in cards and cards[qid] < end for qid in ids),
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
    st.title(topic.title)
    st.caption(topic.summary)
    store = resources.store()
    statuses = store.card_status() if store is not None else {}
    target = st.query_params.get(QUESTION_PARAM)
    ids = {q.id for q in topic.questions}
    if target is not None and target not in ids:
        st.warning("링크한 문항을 이 주제에서 찾을 수 없습니다. 첫 문항을 펼쳐 둡니다.")
        target = None
    for number, question in enumerate(topic.questions, start=1):
        question_card(
            question,
            store,
            number,
            expanded=question.id == target if target else number == 1,
            status=statuses.get(question.id) if store is not None else False,
            statuses=statuses,
        )
    resources.start_answer_check_loading()  # after the cards: drawing the page comes first
