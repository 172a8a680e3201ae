"""The Streamlit user interface: the only studykit package that imports streamlit."""

from studykit.ui.pages import home_page, topic_page

__all__ = ["home_page", "topic_page"]
