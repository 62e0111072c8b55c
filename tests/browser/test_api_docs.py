"""The API's own docs (/docs: Swagger UI, /redoc: ReDoc) in headless chromium with every
request that leaves the API refused, as on a city network without internet: the pages must
draw the API's operations from assets the API serves itself."""

from __future__ import annotations

from urllib.parse import urlsplit

import httpx
import pytest
from playwright.sync_api import Page, Route

from tests.browser.conftest import County

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def api(county: County) -> str:
    """A running API (no data needed: the docs describe it); its base URL."""
    return county.base


def _offline_page(page: Page, base: str) -> list[str]:
    """Refuse every request not to the API; returns the list that the refused scripts, styles,
    fonts and data requests go into (ReDoc's "by Redocly" badge, an image from its CDN, is
    refused too but draws nothing else)."""
    ours = urlsplit(base).netloc
    refused: list[str] = []

    def only_ours(route: Route) -> None:
        if urlsplit(route.request.url).netloc == ours:
            route.continue_()
            return
        if route.request.resource_type != "image":
            refused.append(f"{route.request.resource_type} {route.request.url}")
        route.abort("internetdisconnected")

    page.route("**/*", only_ours)
    return refused


@pytest.mark.parametrize(
    ("path", "drawn"),
    [
        # Swagger UI draws one block per operation; ReDoc one menu entry per operation.
        ("/docs", ".swagger-ui .opblock"),
        ("/redoc", "[role=menuitem] [type=get], li[data-item-id] label"),
    ],
)
def test_api_docs_draw_without_internet(api: str, page: Page, path: str, drawn: str) -> None:
    operations = len(httpx.get(f"{api}/openapi.json").json()["paths"])
    refused = _offline_page(page, api)
    page.goto(f"{api}{path}")
    page.locator(drawn).first.wait_for()
    assert page.locator(drawn).count() >= operations
    assert "Curbside API" in page.content()
    assert refused == [], f"{path} reached beyond the API: {refused}"


def test_docs_assets_are_served_by_the_api(api: str) -> None:
    """What the pages load (scripts, styles) comes from the API's own address."""
    for path in ("/docs", "/redoc"):
        html = httpx.get(f"{api}{path}").text
        assert "cdn." not in html and "googleapis" not in html, html
