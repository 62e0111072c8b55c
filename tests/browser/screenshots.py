"""Screenshots of each dashboard view, for the docs, taken from a running API with data.

    scripts/demo                                       # in one terminal, and wait a minute
    .venv/bin/python -m tests.browser.screenshots --base http://127.0.0.1:8000

Signs in with the demo's admin key (``.run/demo-api-key``; ``--key`` to give another).
Writes PNGs to docs/screenshots/ (``--out`` to change). Chinese text needs a CJK font on the
machine taking them (scripts/bootstrap --test installs Debian's fonts-wqy-microhei).
"""

from __future__ import annotations

import argparse
from pathlib import Path

from playwright.sync_api import Page, sync_playwright

from tests.browser.chromium import chromium, sign_in

REPO = Path(__file__).parents[2]
OUT = REPO / "docs" / "screenshots"
DEMO_KEY = REPO / ".run" / "demo-api-key"


def _map(page: Page, out: Path, name: str, *, zoom_to: str | None = None) -> None:
    page.wait_for_selector("#live.ok")
    # The alerts and the worklist (drawn on the map as rounds) load in the background.
    page.wait_for_selector("#alerts .alert-list, #alerts .state.empty", state="attached")
    page.wait_for_selector(
        "#worklist table, #worklist .state.empty, #worklist .state.error", state="attached"
    )
    page.fill("#find-id", zoom_to or "D5-B010")
    page.click("#find-form button")  # which centres the map on it
    page.locator("#detail table, #detail .state.empty").first.wait_for()
    if zoom_to is None:
        page.click("#zoom-reset")
    page.screenshot(path=out / name, full_page=True)  # the details panel runs below the map


def _parking(page: Page, out: Path, name: str = "parking.png") -> None:
    page.click("#tab-parking")
    page.locator("#day-chart svg, #day-chart .state.empty").first.wait_for()
    page.wait_for_selector("#zones[data-revenue=loaded], #zones[data-revenue=failed]")
    page.click("#quote-form button[type=submit]")
    page.locator("#quote-result .total").wait_for()
    page.click("#sessions-form button[type=submit]")
    page.locator("#sessions table, #sessions .state.empty").first.wait_for()
    summaries = page.locator("#sessions details summary")
    if summaries.count():
        summaries.first.click()
    page.screenshot(path=out / name, full_page=True)


def _sanitation(page: Page, out: Path, name: str, *, full_page: bool = True) -> None:
    page.click("#tab-sanitation")
    page.locator("#worklist table, #worklist .state").first.wait_for()
    page.locator("#alerts ul, #alerts .state.empty").first.wait_for()
    page.locator("#clearance-yesterday table").wait_for()
    page.screenshot(path=out / name, full_page=full_page)


def take(base: str, out: Path, key: str) -> list[Path]:
    """Take every screenshot; returns the files written."""
    out.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        with chromium(playwright, viewport=(1366, 900)) as context:
            page = context.new_page()
            page.set_default_timeout(60_000)
            page.goto(f"{base}/")
            page.wait_for_selector("#signin-key")
            page.screenshot(path=out / "signin.png")
            sign_in(page, base, key, name="王调度")
            _map(page, out, "map.png")
            _parking(page, out)
            _sanitation(page, out, "sanitation.png")
            page.click("#lang")
            page.click("#tab-map")
            _map(page, out, "map-en.png", zoom_to="Z03-050")
        # A tablet in landscape, as in a truck cab.
        with chromium(playwright, viewport=(1024, 768)) as context:
            page = context.new_page()
            page.set_default_timeout(60_000)
            sign_in(page, base, key, name="王调度")
            page.wait_for_selector("#live.ok")
            _sanitation(page, out, "tablet-sanitation.png", full_page=False)
        # A phone (390 px): the tables scroll sideways in their boxes, headers on one line.
        with chromium(playwright, viewport=(390, 844)) as context:
            page = context.new_page()
            page.set_default_timeout(60_000)
            sign_in(page, base, key, name="王调度")
            page.wait_for_selector("#live.ok")
            _parking(page, out, "phone-parking.png")
    names = ["signin", "map", "parking", "sanitation", "map-en", "tablet-sanitation"]
    names.append("phone-parking")
    return [out / f"{name}.png" for name in names]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--base", default="http://127.0.0.1:8000", help="the API's base URL")
    parser.add_argument("--out", type=Path, default=OUT, help="where to write the PNGs")
    parser.add_argument("--key", help=f"an API key that may read everything (default: {DEMO_KEY})")
    args = parser.parse_args()
    key = args.key or DEMO_KEY.read_text(encoding="utf-8").strip()
    for path in take(args.base.rstrip("/"), args.out, key):
        print(path)


if __name__ == "__main__":
    main()
