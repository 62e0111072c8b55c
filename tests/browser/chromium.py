"""Debian's chromium driven by Playwright: how every browser test and the screenshot tool
start it. Playwright's own browser downloads are never used (no `playwright install`)."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from playwright.sync_api import BrowserContext, Locator, Page, Playwright

CHROMIUM = Path("/usr/bin/chromium")
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@contextmanager
def chromium(
    playwright: Playwright, viewport: tuple[int, int] = (1280, 860)
) -> Iterator[BrowserContext]:
    """A headless chromium with a fresh profile, closed afterwards."""
    with tempfile.TemporaryDirectory(prefix="curbside-chromium-") as profile:
        # headless=True is Playwright's way of passing --headless; a profile directory is
        # given through launch_persistent_context, which refuses --user-data-dir in ARGS.
        context = playwright.chromium.launch_persistent_context(
            profile,
            executable_path=str(CHROMIUM),
            headless=True,
            args=ARGS,
            viewport={"width": viewport[0], "height": viewport[1]},
            locale="zh-CN",
            timezone_id="Europe/London",  # not the city's: the page must use the city's own
        )
        try:
            yield context
        finally:
            context.close()


def sign_in(page: Page, base: str, key: str, name: str = "") -> None:
    """Open the dashboard and sign in with an API key (and, if given, a person's name);
    returns once the layout the key may see has been drawn."""
    page.goto(f"{base}/")
    page.fill("#signin-key", key)
    page.fill("#signin-name", name)
    page.click("#signin-form button[type=submit]")
    page.wait_for_selector("#map .space, #map .bin", state="attached")


def ask_for_quote(page: Page, zone: str, entry: str, leave: str) -> Locator:
    """Ask the fee calculator (the parking view open) for a stay in ``zone`` between two local
    times (``2026-11-27T18:00``, in the demo's +08:00); the result it draws for them."""
    page.select_option("#quote-zone", zone)
    page.fill("#quote-start", entry)
    page.fill("#quote-end", leave)
    page.click("#quote-form button[type=submit]")
    return page.locator(f'#quote-result[data-for="{zone} {entry}:00+08:00 {leave}:00+08:00"]')
