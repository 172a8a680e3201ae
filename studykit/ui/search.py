"""The 검색 (search) page: the whole bank, each hit linking to its question on its topic page."""

from __future__ import annotations

import streamlit as st

from studykit.quiz import search
from studykit.ui import resources
from studykit.ui.pages import QUESTION_PARAM
from studykit.ui.text import plain


def search_page() -> None:
    st.title("검색 (search)")
    bank = resources.bank()
    search.start_indexing(bank)
    query = st.text_input(
        "찾을 말",
        key="search-query",
        max_chars=search.MAX_QUERY_CHARS,
        placeholder="예: 기울기 소실, 드롭아웃 추론, Adam 편향 보정",
        help="질문, 모범 답안, 핵심 포인트에서 찾습니다. 모든 낱말이 들어 있는 문항이 나옵니다.",
    )
    if not search.index_ready(bank):
        st.caption(
            "형태소 색인(Kiwi)을 준비하는 중입니다. 그동안은 입력한 글자 그대로 찾고, "
            "준비되면 '소실되는'으로 '소실'을 찾는 것처럼 기본형으로도 찾습니다."
        )
    if not query.strip():
        return
    hits = search.search(bank, query)
    if not hits:
        st.info("찾는 말이 들어 있는 문항이 없습니다. 낱말을 줄이거나 다른 말로 찾아 보세요.")
        return
    st.caption(f"문항 {len(hits)}개 (질문에 나온 문항부터)")
    for hit in hits:
        topic = bank.topic(hit.question.topic)
        with st.container(border=True):
            follow = " · 꼬리 질문" if hit.question.parent else ""
            st.page_link(
                f"app_pages/{topic.id}.py",
                label=f"{plain(topic.title)}{follow} · {plain(hit.question.question)}",
                query_params={QUESTION_PARAM: hit.link_question},
                icon="📖",
            )
            where = ", ".join(search.FIELD_LABELS[name] for name in hit.fields)
            snippet = f" — {plain(hit.snippet)}" if hit.snippet else ""
            st.caption(f"찾은 곳: {where}{snippet}")
