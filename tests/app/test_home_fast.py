"""The home page does no heavy work: no Kiwi, no search index, no TensorFlow."""

import sys
import threading
from pathlib import Path

from streamlit.testing.v1 import AppTest

from studykit.quiz import analyser, search
from studykit.ui import resources

APP = str(Path(__file__).parents[2] / "app.py")


def test_home_renders_without_kiwi_index_or_tensorflow(db_path, monkeypatch):
    calls = []
    monkeypatch.setattr(resources, "start_answer_check_loading", lambda: calls.append("kiwi"))

    real_load = analyser._load

    def load():  # a search index still being built by an earlier test may load Kiwi too
        if threading.current_thread().name not in ("search-index", "kiwi-loader"):
            calls.append("kiwi-load")
        return real_load()

    monkeypatch.setattr(analyser, "_load", load)
    monkeypatch.setattr(search, "start_indexing", lambda bank: calls.append("index"))
    tensorflow_before = "tensorflow" in sys.modules
    at = AppTest.from_file(APP, default_timeout=60).run()
    assert not at.exception
    assert any(s.value == "이어서 학습" for s in at.subheader)
    assert calls == []
    if not tensorflow_before:
        assert "tensorflow" not in sys.modules
