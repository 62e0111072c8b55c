"""The API's request metrics label each request with the route template that served it: one
series per route (not per URL), a mount's path for static files, ``unmatched`` for the rest."""

from __future__ import annotations

from pathlib import Path

from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families

from api.app import create_app
from curbside.config.settings import load_settings
from tests.unit.api.conftest import make_city


def _requests(client: TestClient) -> dict[tuple[str, str], float]:
    text = client.get("/metrics").text
    return {
        (s.labels["route"], s.labels["status"]): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
        if s.name == "curbside_api_requests_total"
    }


def test_requests_are_counted_by_route_template_mount_or_unmatched(keys_file: Path) -> None:
    # No lifespan: only the access edge, static files and routing are exercised.
    client = TestClient(create_app(load_settings(api_keys_file=keys_file), make_city()))
    for alert in ("a1", "a2", "a3"):  # three URLs, one template; no key: 401
        client.post(f"/api/v1/alerts/{alert}/ack")
    client.get("/dashboard/dashboard.css")
    client.get("/static-offline-docs/swagger-ui.css")
    client.get("/no/such/page")
    client.get("/another/one")
    counted = _requests(client)
    assert counted[("/api/v1/alerts/{alert_id}/ack", "401")] == 3
    assert counted[("/dashboard", "200")] == 1
    assert counted[("/static-offline-docs", "200")] == 1
    assert counted[("unmatched", "404")] == 2
    assert not any("a1" in route or "/no/" in route for route, _ in counted)
