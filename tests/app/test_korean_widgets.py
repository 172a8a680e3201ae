"""The app's own input widgets speak Korean: labels and placeholders, never Streamlit's English."""

import re
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from studykit.quiz import queue
from studykit.quiz.store import Store

APP = str(Path(__file__).parents[2] / "app.py")
HANGUL = re.compile(r"[가-힣]")


def _inputs(at: AppTest):
    for kind in ("text_area", "text_input", "multiselect", "selectbox", "number_input"):
        yield from at.get(kind)


@pytest.mark.parametrize(
    "page",
    ["app_pages/basics.py", "app_pages/interview.py", "app_pages/search.py", "app_pages/review.py"],
)
def test_every_input_has_a_korean_label_and_placeholder(db_path, page):
    queue.set_new_per_day(Store(db_path), 0)  # the review page shows its study-ahead form
    at = AppTest.from_file(APP, default_timeout=60)
    at.switch_page(page).run()
    assert not at.exception
    widgets = list(_inputs(at))
    assert widgets
    for widget in widgets:
        assert HANGUL.search(widget.label), widget.label
        placeholder = getattr(widget.proto, "placeholder", "")
        if widget.type in ("text_area", "text_input", "multiselect"):
            assert HANGUL.search(placeholder), (widget.label, placeholder)
        assert placeholder not in ("Choose an option", "Choose options")
