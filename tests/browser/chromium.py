"""Debian's chromium driven by Playwright: how every browser test and the screenshot tool
start it. Playwright's own browser downloads are never used (no `playwright install`)."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from playwright.sync_api import BrowserContext, Page, Playwright

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
