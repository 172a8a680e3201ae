import pytest
import streamlit as st


@pytest.fixture
def db_path(tmp_path, monkeypatch):
    """A fresh progress database for each app test (the store is a cached resource)."""
    path = tmp_path / "progress.sqlite3"
    monkeypatch.setenv("STUDYKIT_DB", str(path))
    st.cache_resource.clear()
    yield path
    st.cache_resource.clear()
