"""A real browser: streamlit run app.py on a free port, driven by Playwright in Debian's Chromium.

Skipped when /usr/bin/chromium is missing, unless STUDYKIT_REQUIRE_BROWSER=1 (set by CI,
which installs it). Screenshots go to artifacts/screenshots/. The server and browser fixtures
live in conftest.py (test_phone_layout.py uses them too).
"""

import json
import os
import time
from datetime import timedelta

import pytest
from live_app import CHROMIUM, FIRST_PROGRESS, ROOT

from studykit.quiz.scheduling import now_utc
from studykit.quiz.store import Store

SHOTS = ROOT / "artifacts" / "screenshots"

pytestmark = pytest.mark.browser

if not CHROMIUM.exists():
    if os.environ.get("STUDYKIT_REQUIRE_BROWSER") == "1":
        raise RuntimeError("STUDYKIT_REQUIRE_BROWSER=1 but /usr/bin/chromium is not installed")
    pytest.skip("Debian's chromium is not installed", allow_module_level=True)


@pytest.mark.timeout(300)
def test_answer_rate_and_run_an_experiment_in_chromium(server, browser):
    url, db = server
    SHOTS.mkdir(parents=True, exist_ok=True)
    page = browser.new_page(viewport={"width": 1400, "height": 1100})
    page.goto(f"{url}/activation", timeout=90_000)
    sidebar = page.get_by_test_id("stSidebar")
    sidebar.get_by_text("모의 면접").wait_for(timeout=30_000)  # our st.navigation, deep-linked
    card = page.get_by_test_id("stExpander").filter(has_text="ReLU를 많이 쓰는").first
    card.locator("summary").click()  # only the topic's first question starts open
    card.get_by_role("textbox").fill(
        "시그모이드는 기울기 소실이 생기고 ReLU는 양수에서 미분값이 1입니다."
    )
    card.get_by_role("button", name="모범 답안 보기").click()
    page.get_by_text("핵심 포인트").first.wait_for(timeout=30_000)
    card.get_by_text("✅").nth(1).wait_for(timeout=30_000)  # two key points found
    card.get_by_role("button", name="알맞음").click()
    page.get_by_text("저장했습니다. 다음 복습").first.wait_for(timeout=30_000)  # (not the tooltip)
    assert [r["rating"] for r in Store(db).reviews()] == [3]

    card.get_by_text("실험으로 확인하기").click()
    form = card.get_by_test_id("stForm")
    form.wait_for(timeout=30_000)
    form.get_by_label("층당 뉴런 수 (width)").fill("8")
    form.get_by_label("데이터 수 (samples)").fill("128")
    clicked = time.monotonic()
    form.get_by_role("button", name="실행").click()
    page.wait_for_function(FIRST_PROGRESS, timeout=180_000, polling=50)
    first_progress = time.monotonic() - clicked
    page.get_by_text("검증 정확도").first.wait_for(timeout=180_000)
    chart = card.locator(".vega-embed canvas, .vega-embed svg").first
    chart.wait_for(timeout=30_000)
    timing = {  # reported, not asserted: it depends on the machine and its load
        "click_to_first_progress_s": round(first_progress, 2),
        "click_to_chart_s": round(time.monotonic() - clicked, 2),
    }
    (SHOTS / "experiment_timing.json").write_text(json.dumps(timing), encoding="utf-8")
    print("first experiment in the browser:", timing)
    box = chart.bounding_box()
    assert box is not None and box["width"] > 100 and box["height"] > 100
    card.scroll_into_view_if_needed()
    page.screenshot(path=str(SHOTS / "topic_page.png"), full_page=True)

    page.goto(f"{url}/progress", timeout=90_000)
    page.get_by_text("주제별 정답률과 기억 유지율").wait_for(timeout=30_000)
    page.locator(".vega-embed canvas, .vega-embed svg").first.wait_for(timeout=30_000)
    page.screenshot(path=str(SHOTS / "progress_page.png"), full_page=True)
    assert (SHOTS / "topic_page.png").stat().st_size > 10_000


@pytest.mark.timeout(300)
def test_review_rate_undo_and_rate_again_in_chromium(server, browser):
    url, db = server
    question = "loss-mse-sigmoid-slow"
    store = Store(db)
    store.set_setting("new_per_day", "0")  # only the due card below is in the queue
    first = store.record_review(
        question, 1, topic="loss", answer="지난번 답", when=now_utc() - timedelta(days=2)
    )
    page = browser.new_page(viewport={"width": 1400, "height": 1100})
    page.goto(f"{url}/review", timeout=90_000)
    page.get_by_text("복습할 카드 1장").wait_for(timeout=90_000)  # slow under a full parallel run
    page.get_by_role("textbox").first.fill(
        "MSE와 시그모이드를 쓰면 기울기가 작아져 학습이 느립니다."
    )
    page.get_by_role("button", name="모범 답안 보기").click()
    page.get_by_text("지난번 내 답변").wait_for(timeout=30_000)
    page.get_by_text("지난번 답", exact=True).wait_for(timeout=30_000)  # the stored answer
    page.get_by_role("button", name="알맞음").click()
    page.get_by_text("저장했습니다. 다음 복습").first.wait_for(timeout=30_000)
    assert [r["rating"] for r in Store(db).reviews() if r["question_id"] == question] == [1, 3]

    page.get_by_role("button", name="평가 취소 (되돌리기)").click()
    page.get_by_text("저장했습니다. 다음 복습").first.wait_for(state="detached", timeout=30_000)
    assert [r["rating"] for r in Store(db).reviews() if r["question_id"] == question] == [1]
    assert Store(db).due_date(question) == first.due  # the card is back where it was
    assert page.get_by_role("button", name="다시").is_enabled()

    page.get_by_role("button", name="다시").click()
    page.get_by_text("'다시'(으)로 저장했습니다").wait_for(timeout=30_000)
    assert [r["rating"] for r in Store(db).reviews() if r["question_id"] == question] == [1, 1]
    page.screenshot(path=str(SHOTS / "review_page.png"), full_page=True)


@pytest.mark.timeout(300)
def test_coach_time_up_submits_text_still_being_typed_in_chromium(server, browser):
    url, db = server
    page = browser.new_page(viewport={"width": 1400, "height": 1100})
    page.goto(f"{url}/interview", timeout=90_000)
    page.get_by_label("질문 수").fill("1")
    seconds = page.get_by_label("답변당 제한 시간 (초, 0이면 제한 없음)")
    seconds.fill("30")
    seconds.press("Tab")
    page.get_by_role("button", name="면접 시작").click()
    page.get_by_text("남은 시간").wait_for(timeout=30_000)
    box = page.get_by_role("textbox").first
    box.click()
    box.press_sequentially("끝까지 쓰던 답", delay=30)  # focus stays: never sent by a blur
    page.get_by_text("앞 답변을 적은 데까지 제출").wait_for(timeout=60_000)
    page.get_by_text("내 첫 답변").click()
    first = page.get_by_test_id("stExpanderDetails").get_by_text("끝까지 쓰던 답")
    first.wait_for(timeout=30_000)  # (the old box may linger a moment while the page reruns)


@pytest.mark.timeout(300)
def test_review_keyboard_shortcuts_in_chromium(server, browser):
    url, db = server
    question = "loss-cross-entropy"
    store = Store(db)
    store.set_setting("new_per_day", "0")
    for other in store.cards():  # cards the other tests rated are not due for days
        store.record_review(other, 4, topic="loss")
    store.record_review(question, 1, topic="loss", when=now_utc() - timedelta(days=2))
    page = browser.new_page(viewport={"width": 1400, "height": 1100})
    page.goto(f"{url}/review", timeout=90_000)
    page.get_by_text("복습할 카드 1장").wait_for(timeout=90_000)  # slow under a full parallel run
    box = page.get_by_role("textbox").first
    box.fill("교차 엔트로피는 시그모이드와 함께 쓰면 기울기가 크게 남아 학습이 빠릅니다.")
    box.press("Control+Enter")  # while typing: commits the text and reveals the answer
    page.get_by_text("지난번 내 답변").wait_for(timeout=30_000)
    box.press("3")  # a digit typed in the answer box is text, not a rating
    page.wait_for_timeout(1_000)
    assert [r["rating"] for r in Store(db).reviews() if r["question_id"] == question] == [1]
    page.get_by_text("얼마나 잘 기억했나요?").click()  # leave the box
    page.keyboard.press("2")
    page.get_by_text("'어려움'(으)로 저장했습니다").wait_for(timeout=30_000)
    reviews = [r for r in Store(db).reviews() if r["question_id"] == question]
    assert [r["rating"] for r in reviews] == [1, 2]
    assert reviews[-1]["answer"].startswith("교차 엔트로피는")
