"""The dashboard's layout where it used to break, on the demo county: at phone width (390 px)
no view is wider than the screen and no table header wraps (a wide table scrolls in its
box); on the whole-city map no two visible labels overlap, and each kind still shows."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Page, Playwright

from tests.browser.chromium import chromium, sign_in
from tests.browser.conftest import County

pytestmark = pytest.mark.browser

PHONE = (390, 844)
# What each view has drawn once its tables are in (the stream keeps the network busy).
DRAWN = {
    "map": "#live.ok",
    "parking": "#zones[data-revenue=loaded] table",
    "sanitation": "#clearance-yesterday table",
    "payments": "#payments-result table",
}
LABELS = ("station-label", "district-label", "street-label")

# Text lines of a header: one client rect per line of its text.
HEADER_LINES = """els => els.filter(e => e.offsetParent !== null && e.innerText.trim()).map(e => {
  const range = document.createRange(); range.selectNodeContents(e);
  const tops = new Set([...range.getClientRects()].map(r => Math.round(r.top)));
  return [e.innerText.trim(), tops.size];
})"""

VISIBLE_LABELS = """els => els.filter(e => getComputedStyle(e).visibility !== 'hidden'
  && getComputedStyle(e).display !== 'none').map(e => {
  const r = e.getBoundingClientRect();
  return [e.getAttribute('class'), e.textContent, r.left, r.top, r.right, r.bottom];
})"""


@pytest.fixture
def phone(county: County, playwright: Playwright) -> Iterator[Page]:
    with chromium(playwright, viewport=PHONE) as context:
        page = context.new_page()
        page.set_default_timeout(30_000)
        sign_in(page, county.base, county.key)
        yield page


@pytest.mark.parametrize("tab", ["map", "parking", "sanitation", "payments"])
def test_at_390_px_nothing_is_wider_than_the_screen_and_no_header_wraps(
    phone: Page, tab: str
) -> None:
    phone.click(f"#tab-{tab}")
    phone.locator(f"#tab-{tab}[aria-selected=true]").wait_for()
    phone.locator(DRAWN[tab]).first.wait_for()
    assert phone.evaluate("document.documentElement.scrollWidth") <= PHONE[0]
    headers = phone.locator("th").evaluate_all(HEADER_LINES)
    if tab != "map":
        assert headers, "no table drawn"
    wrapped = [(text, lines) for text, lines in headers if lines > 1]
    assert wrapped == [], wrapped


def test_whole_city_map_labels_do_not_overlap(county: County, page: Page) -> None:
    sign_in(page, county.base, county.key)
    page.click("#zoom-reset")
    selector = ", ".join(f"#map .{name}" for name in LABELS)
    shown = page.locator(selector).evaluate_all(VISIBLE_LABELS)
    overlaps = [
        (a[1], b[1])
        for i, a in enumerate(shown)
        for b in shown[i + 1 :]
        if a[2] < b[4] and b[2] < a[4] and a[3] < b[5] and b[3] < a[5]
    ]
    assert overlaps == [], overlaps
    # Decluttering keeps the most important ones: every kind still shows.
    assert {kind for kind, *_ in shown} == set(LABELS), shown
