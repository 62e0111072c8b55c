"""The API's own docs (/docs: Swagger UI, /redoc: ReDoc) in headless chromium with every
request that leaves the API refused, as on a city network without internet: the pages must
draw the API's operations from assets the API serves itself."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from urllib.parse import urlsplit

import httpx
import pytest
import yaml
from playwright.sync_api import Page, Route, sync_playwright

from curbside.adapters.influx.client import InfluxClient
from curbside.config.settings import Settings
from tests.browser.chromium import chromium
from tests.e2e.town import api_server, small_city

pytestmark = pytest.mark.browser

WAIT_MS = 20_000


@pytest.fixture(scope="module")
def api(base_settings: Settings, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A running API (no data needed: the docs describe it); its base URL."""
    tmp = tmp_path_factory.mktemp("api-docs")
    settings = base_settings.replace(
        influx_db=f"test_{uuid.uuid4().hex[:10]}", api_keys_file=tmp / "api-keys.json"
    )
    city_file = tmp / "city.yaml"
    city_file.write_text(yaml.safe_dump(small_city(), allow_unicode=True))
    influx = InfluxClient.from_settings(settings)
    influx.ensure_database()  # the API is healthy once it reaches its database
    try:
        with api_server(settings, city_file, tmp / "api.log") as client:
            yield str(client.base_url).rstrip("/")
    finally:
        influx.query(f'DROP DATABASE "{settings.influx.db}"')
        influx.close()


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
def test_api_docs_draw_without_internet(api: str, path: str, drawn: str) -> None:
    operations = len(httpx.get(f"{api}/openapi.json").json()["paths"])
    with sync_playwright() as playwright, chromium(playwright) as context:
        page = context.new_page()
        page.set_default_timeout(WAIT_MS)
        errors: list[str] = []
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        refused = _offline_page(page, api)
        page.goto(f"{api}{path}")
        page.locator(drawn).first.wait_for()
        assert page.locator(drawn).count() >= operations
        assert "Curbside API" in page.content()
        assert refused == [], f"{path} reached beyond the API: {refused}"
        assert errors == [], errors


def test_docs_assets_are_served_by_the_api(api: str) -> None:
    """What the pages load (scripts, styles) comes from the API's own address."""
    for path in ("/docs", "/redoc"):
        html = httpx.get(f"{api}{path}").text
        assert "cdn." not in html and "googleapis" not in html, html
