"""The Streamlit user interface: the only studykit package that imports streamlit."""

from studykit.ui.coach import interview_page
from studykit.ui.pages import home_page, topic_page
from studykit.ui.progress_page import progress_page
from studykit.ui.review import review_page
from studykit.ui.search import search_page

__all__ = [
    "home_page",
    "interview_page",
    "progress_page",
    "review_page",
    "search_page",
    "topic_page",
]
