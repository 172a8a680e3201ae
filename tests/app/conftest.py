import pytest
import streamlit as st
from live_app import BROWSER_ARGS, CHROMIUM, start_server


@pytest.fixture
def db_path(tmp_path, monkeypatch):
    """A fresh progress database for each app test (the store is a cached resource)."""
    path = tmp_path / "progress.sqlite3"
    monkeypatch.setenv("STUDYKIT_DB", str(path))
    st.cache_resource.clear()
    yield path
    st.cache_resource.clear()


# Browser tests (test_browser.py, test_phone_layout.py): one streamlit server and one
# Chromium per module; each module skips itself when Chromium is missing.


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    db = tmp_path_factory.mktemp("browser") / "progress.sqlite3"
    try:
        process, url, _ = start_server(db)
    except RuntimeError as error:
        pytest.fail(str(error))
    yield url, db
    process.terminate()
    process.wait(timeout=20)


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=str(CHROMIUM),
            args=BROWSER_ARGS,
        )
        yield launched
        launched.close()
