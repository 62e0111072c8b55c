"""The parking tab's day chart and busiest hours in chromium, against the API's answers: an
hour (or quarter) without data is a gap in the line, never a point at 0 %, and the busiest
hours list only what the API ranked (complete hours with data)."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import Page

from curbside.adapters.access.roles import Role
from tests.browser.chromium import sign_in
from tests.browser.conftest import Town
from tests.support import issue_key

pytestmark = pytest.mark.browser


def _drawn_points(page: Page) -> int:
    """Points of the day chart's line: its polylines' vertices and its lone dots."""
    lines = page.locator("#day-chart svg polyline").evaluate_all(
        "els => els.map(e => e.getAttribute('points').trim().split(/\\s+/).length)"
    )
    return int(sum(lines)) + page.locator("#day-chart svg circle").count()


def test_hours_without_data_are_gaps_and_only_ranked_hours_are_listed(
    town: Town, page: Page
) -> None:
    answers: dict[str, Any] = {}

    def keep(response: Any) -> None:
        for name in ("occupancy/history", "busiest-hours"):
            if name in response.url and response.status == 200:
                answers[name] = response.json()

    page.on("response", keep)
    sign_in(page, town.base, issue_key(town.keys_file, Role.PARKING_OPERATOR, name="charts"))
    page.click("#tab-parking")
    page.locator("#day-chart svg, #day-chart .state.empty").first.wait_for()
    page.locator("#busiest table, #busiest .state.empty").first.wait_for()
    buckets = answers["occupancy/history"]["buckets"]
    with_data = [b for b in buckets if b["occupancy_rate"] is not None]
    # The town has only the last 3 hours of data: earlier quarters of today are gaps (unless
    # the day is younger than that).
    assert all(b["occupied_mean"] is None for b in buckets if b["occupancy_rate"] is None)
    assert _drawn_points(page) == len(with_data)
    ranked = answers["busiest-hours"]["hours"]
    assert page.locator("#busiest tbody tr").count() == min(5, len(ranked))
