"""Progress where you study: card badges, 이어서 학습 on home, drafts kept, the progress table."""

import json
import os
import time
from datetime import timedelta
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from studykit.quiz.scheduling import now_utc
from studykit.quiz.store import Store
from studykit.ui.badges import RATING_HEX

APP = str(Path(__file__).parents[2] / "app.py")
QUESTION = "activation-relu-vs-sigmoid"
KEY = f"q-{QUESTION}"


def _page(path: str | None = None) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=60)
    if path:
        at.switch_page(path)
    return at.run()


@pytest.fixture
def midday():
    """A local zone where it is about noon now: 'later today' is hours away, not minutes."""
    old = os.environ.get("TZ")
    offset = (12 - now_utc().hour + 12) % 24 - 12  # -12..11 hours east of UTC
    os.environ["TZ"] = f"Etc/GMT{-offset:+d}"
    time.tzset()
    yield
    if old is None:
        del os.environ["TZ"]
    else:
        os.environ["TZ"] = old
    time.tzset()


def _card_label(at: AppTest, text: str) -> str:
    (label,) = [e.label for e in at.expander if text in e.label]
    return label


def test_topic_cards_show_new_due_and_last_rating_badges(db_path):
    Store(db_path).record_review(QUESTION, 3, topic="activation")
    at = _page("app_pages/activation.py")
    assert not at.exception
    rated = _card_label(at, "ReLU를 많이 쓰는")
    assert ":yellow-badge[마지막 평가 알맞음]" in rated
    due = Store(db_path).due_date(QUESTION).astimezone().strftime("%m-%d %H:%M")
    assert f":blue-badge[복습 예정 {due}]" in rated
    others = [e.label for e in at.expander if "ReLU를 많이 쓰는" not in e.label]
    assert others and all(":gray-badge[새 문항]" in label for label in others)


def test_a_card_due_now_says_so_and_a_lapse_is_red(db_path):
    Store(db_path).record_review(
        QUESTION, 1, topic="activation", when=now_utc() - timedelta(days=1)
    )
    Store(db_path).record_review(
        f"{QUESTION}-f1", 2, topic="activation", when=now_utc() - timedelta(days=1)
    )
    label = _card_label(_page("app_pages/activation.py"), "ReLU를 많이 쓰는")
    assert ":orange-badge[복습할 차례]" in label and ":red-badge[마지막 평가 다시]" in label
    assert ":orange-badge[꼬리 질문 복습 1개]" in label


def test_home_counts_cards_due_by_the_end_of_the_local_day_and_links_topics(db_path, midday):
    store = Store(db_path)
    store.record_review(QUESTION, 1, topic="activation", when=now_utc() - timedelta(days=1))
    store.record_review("loss-mse-sigmoid-slow", 1, topic="loss")  # due in minutes: later today
    store.record_review("cnn-param-count", 4, topic="cnn")  # due in days
    at = _page()
    assert not at.exception
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["오늘 복습할 카드"] == "2장"
    links = [link.value for link in at.get("page_link")]
    assert "복습 시작" in links
    assert any(label.startswith("활성화 함수 · 오늘 복습 1장") for label in links)
    assert any("오늘 복습 1장" in label and "손실" in label for label in links)
    assert not any("합성곱" in label for label in links)
    targets = {
        link.proto.page: link.proto.query_string
        for link in at.get("page_link")
        if link.proto.query_string
    }
    assert targets == {"activation": f"q={QUESTION}", "loss": "q=loss-mse-sigmoid-slow"}
    table = at.dataframe[0].value
    assert table["오늘 복습할 문항"].sum() == 2


def test_a_draft_survives_a_reload_and_is_cleared_by_the_rating(db_path):
    at = _page("app_pages/activation.py")
    at.text_area(key=f"{KEY}-answer").input("ReLU는 양수에서 미분값이 1").run()
    assert Store(db_path).draft(QUESTION) == "ReLU는 양수에서 미분값이 1"
    reloaded = _page("app_pages/activation.py")  # a new session: the page was reloaded
    assert reloaded.text_area(key=f"{KEY}-answer").value == "ReLU는 양수에서 미분값이 1"
    reloaded.button(key=f"{KEY}-reveal").click().run()
    labels = [reloaded.button(key=f"{KEY}-rate-{r}").label for r in (1, 2, 3, 4)]
    assert [label.split()[:2] for label in labels] == [
        ["🔴", "다시"],
        ["🟠", "어려움"],
        ["🟡", "알맞음"],
        ["🟢", "쉬움"],
    ]
    reloaded.button(key=f"{KEY}-rate-3").click().run()
    assert Store(db_path).draft(QUESTION) == ""
    assert [r["answer"] for r in Store(db_path).reviews()] == ["ReLU는 양수에서 미분값이 1"]
    fresh = _page("app_pages/activation.py")
    assert fresh.text_area(key=f"{KEY}-answer").value == ""


def test_progress_table_has_no_none_cells_and_ratings_have_their_colours(db_path):
    store = Store(db_path)
    for rating in (1, 2, 3, 4):
        store.record_review(QUESTION, rating, topic="activation")
    at = _page("app_pages/progress.py")
    assert not at.exception
    frame = at.dataframe[0]
    columns = json.loads(frame.proto.columns)
    for name in ("정답률 (알맞음·쉬움)", "자동 확인 점수", "기억 유지율"):
        # NaN (no review yet) renders as an empty bar, not the text "None"
        assert columns[name]["type_config"]["type"] == "progress", columns[name]
    assert list(frame.value.columns)[:2] == ["주제", "학습 / 문항"]
    specs = [json.loads(c.proto.spec) for c in at.get("vega_lite_chart")]
    (spec,) = [s for s in specs if s.get("title") == "하루 복습 횟수"]
    scale = spec["encoding"]["color"]["scale"]
    assert scale["domain"] == ["다시", "어려움", "알맞음", "쉬움"]
    assert scale["range"] == [RATING_HEX[r] for r in (1, 2, 3, 4)]
