"""Working alerts from the dashboard, in headless chromium against the real stack: undo after
acknowledge (and its refusal once the window has passed), dispatching an alert's case from
its card, the zone and district filters, and the cases view, with the API as the judge."""

from __future__ import annotations

import json
import re
from typing import Any

import httpx
import pytest
from playwright.sync_api import Page

from curbside.adapters.access.roles import Role
from curbside.config.settings import Settings
from curbside.vocabulary.cases import SYSTEM_ACTOR
from tests.browser.conftest import Town
from tests.browser.test_dashboard import _get, _key, _signed_in_live
from tests.support import bearer, publish_once, wait_for

pytestmark = pytest.mark.browser

UNDO_S = 10  # CURBSIDE_API_ACK_UNDO_S's default, which the town's API runs with


def _seconds(text: str) -> int:
    found = re.search(r"\d+", text)
    assert found, f"no countdown in {text!r}"
    return int(found.group())


def test_an_acknowledge_undone_in_the_page_is_unacknowledged_in_the_api(
    town: Town, page: Page
) -> None:
    desk = "撤销调度台"
    key = _key(town, Role.DISPATCHER, desk)
    _signed_in_live(page, town, key)
    page.click("#tab-sanitation")
    button = page.locator("#alerts button.ack").first
    button.wait_for()
    alert_id = button.get_attribute("data-alert")
    assert alert_id
    card = page.locator(f'#alerts li[data-alert="{alert_id}"]')
    button.click()
    undo = card.locator("button.undo")
    undo.wait_for()
    acknowledged = {a["id"]: a for a in _get(town, "/api/v1/alerts", status="acknowledged")}
    assert acknowledged[alert_id]["acknowledged_by"] == desk
    # The countdown counts down.
    first = _seconds(undo.inner_text())
    assert 0 < first <= UNDO_S
    page.wait_for_timeout(1500)
    assert _seconds(undo.inner_text()) < first

    undo.click()
    card.locator("button.ack").wait_for()  # open again, with its acknowledge button back
    assert card.locator(".acked").count() == 0
    # ★ The API has it unacknowledged: open, nobody on it, not among the acknowledged.
    opened = {a["id"]: a for a in _get(town, "/api/v1/alerts", status="open")}
    assert opened[alert_id]["acknowledged_by"] is None
    assert alert_id not in {a["id"] for a in _get(town, "/api/v1/alerts", status="acknowledged")}

    # Acknowledged again and left: once the window has passed, the control goes and the API
    # refuses an undo.
    card.locator("button.ack").click()
    undo.wait_for()
    undo.wait_for(state="detached", timeout=(UNDO_S + 10) * 1000)
    assert card.locator(".acked").count() == 1
    late = httpx.post(
        f"{town.base}/api/v1/alerts/{alert_id}/unacknowledge", headers=bearer(key), timeout=10
    )
    assert late.status_code == 409, late.text
    acknowledged = {a["id"]: a for a in _get(town, "/api/v1/alerts", status="acknowledged")}
    assert acknowledged[alert_id]["acknowledged_by"] == desk


def _case(town: Town, case_id: str) -> dict[str, Any] | None:
    answer = town.api.get(f"/api/v1/cases/{case_id}")
    return answer.json() if answer.status_code == 200 else None


def _known_case(town: Town, case_id: str) -> dict[str, Any]:
    case = _case(town, case_id)
    assert case is not None, f"no case {case_id}"
    return case


def _open_case_of(town: Town, settings: Settings, alert: dict[str, Any]) -> None:
    """Publish the alert as the evaluator would (the town's alerts were stored, not
    published); the running recorder opens its case."""
    domain = alert["domain"]
    group, device = (
        (alert["zone"], alert["space"])
        if domain == "parking"
        else (alert["district"], alert["bin"])
    )
    publish_once(settings, f"alerts/{alert['kind']}/{domain}/{group}/{device}", json.dumps(alert))
    wait_for(lambda: _case(town, alert["id"]) is not None, 30, "the recorder to open the case")


def test_a_dispatcher_assigns_an_alerts_case_from_its_card(
    town: Town, page: Page, base_settings: Settings
) -> None:
    fire = next(a for a in _get(town, "/api/v1/alerts", status="open", kind="fire"))
    _open_case_of(town, base_settings, fire)
    case = _case(town, fire["id"])
    assert case is not None and (case["stage"], case["assignee"]) == ("registered", None)

    desk = "派遣调度台"
    _signed_in_live(page, town, _key(town, Role.DISPATCHER, desk))
    page.click("#tab-sanitation")
    card = page.locator(f'#alerts li[data-alert="{fire["id"]}"]')
    card.locator("form.assign input.assignee").fill("T02")
    card.locator("form.assign button").click()
    card.locator(".assigned", has_text="T02").wait_for()

    case = _case(town, fire["id"])
    assert case is not None
    assert (case["stage"], case["assignee"]) == ("dispatched", "T02")
    last = case["events"][-1]
    assert (last["event"], last["assignee"], last["by"]) == ("dispatched", "T02", desk)


@pytest.mark.parametrize(
    "domain",
    ["parking", "sanitation"],
)
def test_an_area_filter_shows_the_apis_alerts_and_counts_for_it(
    town: Town, page: Page, domain: str
) -> None:
    tab, box, area, areas = {
        "parking": ("#tab-parking", "#parking-alerts", "zone", "zones"),
        "sanitation": ("#tab-sanitation", "#alerts", "district", "districts"),
    }[domain]
    whole = _get(town, "/api/v1/alerts/counts", domain=domain)
    # An area whose filter leaves some of the domain's alerts out (it may have none itself).
    chosen = next(
        a["id"]
        for a in _get(town, "/api/v1/city")[areas]
        if whole["by_area"].get(a["id"], 0) < whole["active"]
    )
    listed = _get(town, "/api/v1/alerts", status="active", **{area: chosen})
    _signed_in_live(page, town, _key(town, Role.ADMIN, f"{area}-filter"))
    page.click(tab)
    page.locator(f"{box} li.alert").first.wait_for()  # the whole domain's list first
    page.select_option(f"{box}-{area}", chosen)
    # The list is redrawn at the choice; the counts follow from the API.
    page.locator(f'{box}[data-counts-for="{chosen}"]').wait_for(state="attached")
    shown = page.locator(f"{box} li.alert").evaluate_all(
        "cards => cards.map((c) => c.dataset.alert)"
    )
    assert sorted(shown) == sorted(a["id"] for a in listed)

    counts = _get(town, "/api/v1/alerts/counts", **{area: chosen})
    beside = {
        f"{box}-{area}": {"": whole["active"], chosen: whole["by_area"].get(chosen, 0)},
        f"{box}-kind": {"": counts["active"], **counts["by_kind"]},
        f"{box}-status": {
            "active": counts["active"],
            "open": counts["by_status"]["open"],
            "acknowledged": counts["by_status"]["acknowledged"],
        },
    }
    assert counts["active"] == len(listed)
    for select, want in beside.items():
        for value, n in want.items():
            option = page.locator(f'{select} option[value="{value}"]')
            assert option.get_attribute("data-count") == str(n), (select, value)


def _rows(page: Page) -> list[dict[str, str]]:
    rows: list[dict[str, str]] = page.locator("#cases-list tbody tr").evaluate_all(
        """rows => rows.map((r) => ({id: r.dataset.case, stage: r.dataset.stage,
            over: r.dataset.over, assignee: r.cells[3].textContent}))"""
    )
    return rows


def _as_listed(cases: list[dict[str, Any]]) -> list[dict[str, str]]:
    return [
        {
            "id": c["id"],
            "stage": c["stage"],
            "over": str(c["over_limit"]).lower(),
            "assignee": c["assignee"] or "—",
        }
        for c in cases
    ]


def test_the_cases_view_lists_filters_and_shows_a_cases_steps_as_the_api(
    town: Town, page: Page, base_settings: Settings
) -> None:
    alerts = _get(town, "/api/v1/alerts", status="active")
    picked = [a for a in alerts if a["kind"] == "fire"][:3] + [
        a for a in alerts if a["kind"] == "overstay"
    ][:3]
    assert {a["domain"] for a in picked} == {"parking", "sanitation"}
    for alert in picked:
        if _case(town, alert["id"]) is None:
            _open_case_of(town, base_settings, alert)
    fire = picked[0]
    step = {"step": "dispatched", "assignee": "T01", "by": "王师傅"}
    if _known_case(town, fire["id"])["stage"] == "registered":
        taken = town.api.post(f"/api/v1/cases/{fire['id']}/steps", json=step)
        assert taken.status_code == 200, taken.text

    _signed_in_live(page, town, _key(town, Role.VIEWER, "案件查看"))
    page.click("#tab-cases")
    page.locator("#cases-list[data-count]").wait_for(state="attached")
    assert _rows(page) == _as_listed(_get(town, "/api/v1/cases")["cases"])

    # Filtered by kind and district: the API's answer for the same filters.
    page.select_option("#cases-kind", "fire")
    page.select_option("#cases-area", f"district:{fire['district']}")
    page.select_option("#cases-stage", "all")
    wanted = _get(town, "/api/v1/cases", stage="all", kind="fire", district=fire["district"])
    page.locator(f'#cases-list[data-count="{wanted["count"]}"]').wait_for(state="attached")
    page.locator(f'#cases-list tr[data-case="{fire["id"]}"]').wait_for()
    assert _rows(page) == _as_listed(wanted["cases"])

    # A case's steps, as the API records them.
    page.locator(f'#cases-list tr[data-case="{fire["id"]}"] button.steps').click()
    page.locator(f'#cases-steps[data-case="{fire["id"]}"]').wait_for(state="attached")
    steps = page.locator("#cases-steps tbody tr").evaluate_all(
        "rows => rows.map((r) => [...r.cells].map((c) => c.textContent))"
    )
    events = _known_case(town, fire["id"])["events"]
    assert [(s[0], s[3], s[4]) for s in steps] == [
        (str(e["seq"]), _shown_by(e["by"]), e["assignee"] or "—") for e in events
    ]
    assert steps[1][1] == "派遣" and steps[1][4] == "T01"


def _shown_by(by: str) -> str:
    """Who took a step, as the Chinese page words it: Curbside's own steps (verified by the
    data) as the system, a step through a key or the platform as "who（经 through）"."""
    if by == SYSTEM_ACTOR:
        return "系统（按数据）"
    who, via, through = by.partition(" via ")
    return f"{who}（经{through}）" if via else by


def test_a_zone_limited_operator_sees_only_its_zones_cases(
    town: Town, page: Page, base_settings: Settings
) -> None:
    overstays = _get(town, "/api/v1/alerts", status="active", kind="overstay")
    for alert in [a for a in overstays if a["zone"] == "Z01"][:2] + [
        a for a in overstays if a["zone"] != "Z01"
    ][:1]:
        if _case(town, alert["id"]) is None:
            _open_case_of(town, base_settings, alert)
    key = _key(town, Role.PARKING_OPERATOR, "Z01 案件", zones=["Z01"])
    mine = httpx.get(f"{town.base}/api/v1/cases", headers=bearer(key), timeout=10).json()
    assert mine["count"] >= 1 and {c["zone"] for c in mine["cases"]} == {"Z01"}
    assert _get(town, "/api/v1/cases")["count"] > mine["count"]  # others exist, not shown
    _signed_in_live(page, town, key)
    page.click("#tab-cases")
    page.locator("#cases-list[data-count]").wait_for(state="attached")
    assert _rows(page) == _as_listed(mine["cases"])
