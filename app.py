"""studykit: streamlit entry point. Run with `streamlit run app.py`."""

from pathlib import Path

import streamlit as st

from studykit.ui import resources

st.set_page_config(page_title="studykit · 딥러닝 면접 대비", page_icon="📚", layout="wide")

PAGES = Path(__file__).parent / "app_pages"

topic_pages = [
    st.Page(f"app_pages/{topic.id}.py", title=f"{topic.order}. {topic.title}", url_path=topic.id)
    for topic in resources.loaded_bank().bank.topics
    if (PAGES / f"{topic.id}.py").exists()
]
navigation = st.navigation(
    {
        "시작": [
            st.Page("app_pages/home.py", title="홈", icon="🏠", default=True),
            st.Page("app_pages/review.py", title="복습", icon="🔁", url_path="review"),
            st.Page("app_pages/interview.py", title="모의 면접", icon="🎤", url_path="interview"),
            st.Page("app_pages/progress.py", title="진도", icon="📈", url_path="progress"),
            st.Page("app_pages/search.py", title="검색", icon="🔎", url_path="search"),
        ],
        "주제": topic_pages,
    }
)
navigation.run()
# Keras imports in the background once the first page is drawn (importing it alongside
# would slow that page down several times on a small CPU); pages never wait for it.
resources.start_keras_import()
