"""A phone-sized Chromium (390 × 844, an iPhone's viewport): no page scrolls sideways and the
experiment charts use nearly the whole width.

Same server and browser fixtures as test_browser.py (conftest.py), the same skip rule
(no /usr/bin/chromium: skipped, unless STUDYKIT_REQUIRE_BROWSER=1) and screenshots in
artifacts/screenshots/phone_*.png.
"""

import os

import pytest
from live_app import CHROMIUM, ROOT

SHOTS = ROOT / "artifacts" / "screenshots"
PHONE = {"width": 390, "height": 844}

pytestmark = pytest.mark.browser

if not CHROMIUM.exists():
    if os.environ.get("STUDYKIT_REQUIRE_BROWSER") == "1":
        raise RuntimeError("STUDYKIT_REQUIRE_BROWSER=1 but /usr/bin/chromium is not installed")
    pytest.skip("Debian's chromium is not installed", allow_module_level=True)

# The page's scroll width and, when it is wider than the window, the elements that stick out
# furthest on the right (so a failure says what overflows).
OVERFLOW = """() => {
    const width = window.innerWidth;
    const wide = [];
    for (const el of document.querySelectorAll('body *')) {
        const right = el.getBoundingClientRect().right;
        if (right > width + 1) {
            wide.push([Math.round(right), el.tagName.toLowerCase()
                + (el.dataset.testid ? '[' + el.dataset.testid + ']' : '')
                + (el.className && typeof el.className === 'string'
                   ? '.' + el.className.split(' ').slice(0, 2).join('.') : '')]);
        }
    }
    wide.sort((a, b) => b[0] - a[0]);
    return {scroll: document.documentElement.scrollWidth, inner: width, wide: wide.slice(0, 8)};
}"""


def assert_no_sideways_scroll(page, name: str) -> None:
    page.wait_for_timeout(500)  # let charts and tables settle at their final width
    measured = page.evaluate(OVERFLOW)
    print(f"{name}: scrollWidth {measured['scroll']} / innerWidth {measured['inner']}")
    assert measured["scroll"] <= measured["inner"] + 1, (name, measured)
    page.screenshot(path=str(SHOTS / f"phone_{name}.png"), full_page=True)


def open_phone(browser, url: str):
    page = browser.new_page(viewport=PHONE, device_scale_factor=2, is_mobile=True, has_touch=True)
    page.goto(url, timeout=90_000)
    return page


@pytest.mark.timeout(300)
def test_pages_fit_a_phone_without_sideways_scroll(server, browser):
    url, _ = server
    SHOTS.mkdir(parents=True, exist_ok=True)

    page = open_phone(browser, url)
    page.get_by_text("이어서 학습").wait_for(timeout=30_000)
    page.get_by_test_id("stDataFrame").first.wait_for(timeout=30_000)
    assert_no_sideways_scroll(page, "home")

    page.goto(f"{url}/activation", timeout=90_000)
    card = page.get_by_test_id("stExpander").filter(has_text="ReLU를 많이 쓰는").first
    card.locator("summary").click()  # (as in test_browser.py)
    card.get_by_text("실험으로 확인하기").click()
    form = card.get_by_test_id("stForm")
    form.wait_for(timeout=30_000)
    form.get_by_label("층당 뉴런 수 (width)").fill("8")
    form.get_by_label("데이터 수 (samples)").fill("128")
    for label in ("은닉층 수 (depth)", "에폭 (epochs)"):  # 3 layers, 3 epochs: a quick run
        thumb = form.get_by_role("slider", name=label)
        thumb.press("Home")
        thumb.press("ArrowRight")
        thumb.press("ArrowRight")
    form.get_by_role("button", name="실행").click()
    page.get_by_text("검증 정확도").first.wait_for(timeout=180_000)
    charts = card.locator(".vega-embed canvas, .vega-embed svg")
    charts.first.wait_for(timeout=30_000)
    page.wait_for_timeout(500)
    widths = [charts.nth(i).bounding_box()["width"] for i in range(charts.count())]
    print(f"activation chart widths at {PHONE['width']} px: {widths}")
    assert widths and min(widths) >= 300, widths
    assert max(widths) <= PHONE["width"], widths
    charts.nth(1).scroll_into_view_if_needed()  # the screenshot shows the stacked panels
    assert_no_sideways_scroll(page, "topic")

    page.goto(f"{url}/review", timeout=90_000)
    page.get_by_role("textbox").first.fill("기울기가 작아져 학습이 느려집니다.")
    page.get_by_role("button", name="모범 답안 보기").click()
    page.get_by_text("얼마나 잘 기억했나요?").wait_for(timeout=30_000)  # the rating buttons
    assert_no_sideways_scroll(page, "review")

    page.goto(f"{url}/interview", timeout=90_000)
    page.get_by_role("button", name="면접 시작").wait_for(timeout=30_000)
    assert_no_sideways_scroll(page, "interview")
