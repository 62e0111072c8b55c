"""The dashboard in headless chromium against the real stack, signed in with real keys: the
map's counts, live updates, acknowledging an alert (recorded under the key's name), the fee
calculator, the language switch, and what the page does with a bad key, a revoked key, a
viewer's key and a parking operator's key limited to one zone."""

from __future__ import annotations

import json
import re
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
from playwright.sync_api import Page, Request

from curbside.adapters.access.roles import Role
from curbside.config.settings import Settings
from tests.browser.chromium import ask_for_quote, sign_in
from tests.browser.conftest import Town
from tests.e2e.town import small_city
from tests.support import bearer, issue_key, publish_once, wait_for

pytestmark = pytest.mark.browser

NAME = "测试调度员"
REFUSED = "密钥无效"  # the sign-in form's words for a refused key


def _get(town: Town, path: str, **params: str) -> Any:
    """The API's answer for an admin key."""
    response = town.api.get(path, params=params)
    assert response.status_code == 200, response.text
    return response.json()


def _key(town: Town, role: Role, name: str, *, zones: list[str] | None = None) -> str:
    """A real key in the API's keys file."""
    return issue_key(town.keys_file, role, name=name, zones=zones)


def _legend(page: Page) -> dict[str, int]:
    cells = page.locator("#legend [data-count]")
    return {
        cells.nth(i).get_attribute("data-count") or "": int(cells.nth(i).inner_text())
        for i in range(cells.count())
    }


def _band(fill: float | None) -> str:
    if fill is None:
        return "unknown"
    return "full" if fill >= 80 else "mid" if fill >= 50 else "low"


def _signed_in_live(page: Page, town: Town, key: str, name: str = "") -> None:
    sign_in(page, town.base, key, name)
    page.wait_for_selector("#live.ok")  # the live stream's first event has been drawn
    # ... and the alert list read (counted in the legend)
    page.wait_for_selector("#legend[data-alerts=loaded]", state="attached")


def test_the_map_shows_the_counts_of_the_api_and_of_the_truth(town: Town, page: Page) -> None:
    _signed_in_live(page, town, _key(town, Role.VIEWER, "wall screen"))
    legend = _legend(page)
    truth = [v for spaces in town.truth["spaces"].values() for v in spaces.values()]
    zones = _get(town, "/api/v1/parking/occupancy")
    api = {key: sum(z[key] for z in zones) for key in ("occupied", "free", "unknown")}
    assert api == {"occupied": sum(truth), "free": len(truth) - sum(truth), "unknown": 0}
    for state in ("occupied", "free", "unknown"):
        assert legend[f"spaces-{state}"] == api[state], state
        assert page.locator(f"#map .space.s-{state}").count() == api[state], state
    assert page.locator("#map .space").count() == len(truth)

    bins = _get(town, "/api/v1/sanitation/bins")
    bands = Counter(_band(b["fill_pct"]) for b in bins)
    for band in ("low", "mid", "full", "unknown"):
        assert legend[f"bins-{band}"] == bands[band], band
        assert page.locator(f"#map .bin.b-{band}").count() == bands[band], band
    active = _get(town, "/api/v1/alerts", status="active")
    assert legend["alerts"] == len(active) == town.alerts > 0


def test_clicking_a_space_shows_its_details_and_todays_sessions(town: Town, page: Page) -> None:
    _signed_in_live(page, town, _key(town, Role.VIEWER, "wall screen"))
    occupied = {s: v for spaces in town.truth["spaces"].values() for s, v in spaces.items()}
    space = "Z01-007"
    # Markers overlap at the whole city's scale; a tap picks the one nearest to it.
    box = page.locator(f'#map circle[data-id="{space}"]').bounding_box()
    assert box is not None
    page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    detail = page.locator("#detail")
    detail.locator("h3", has_text=space).wait_for()
    status = "占用" if occupied[space] else "空闲"
    assert detail.locator("dd", has_text=status).count() >= 1
    detail.locator("table, .state.empty").first.wait_for()  # today's sessions, or none

    page.fill("#find-id", "D2-B003")
    page.click("#find-form button")
    detail.locator("h3", has_text="D2-B003").wait_for()
    day = page.evaluate("() => document.getElementById('sessions-date').value")  # city's today
    levels = _get(town, "/api/v1/sanitation/levels", date=day, district="D2", bin="D2-B003")
    if not levels["levels"]:  # just after local midnight: nothing reported yet today
        detail.locator(".state.empty", has_text="今日暂无").first.wait_for()
        return
    chart = detail.locator("svg.chart")  # the bin's fill since midnight
    chart.wait_for()
    shown = re.search(r"(\d+)%", chart.get_attribute("aria-label") or "")
    assert shown is not None
    assert abs(int(shown.group(1)) - levels["levels"][-1]["fill_pct"]) <= 0.5


def test_the_map_follows_a_space_live(town: Town, page: Page, base_settings: Settings) -> None:
    _signed_in_live(page, town, _key(town, Role.PARKING_OPERATOR, "kerb desk"))
    space = "Z02-004"
    marker = page.locator(f'#map circle[data-id="{space}"]')
    was_occupied = "s-occupied" in (marker.get_attribute("class") or "")
    before = _legend(page)["spaces-occupied"]
    payload = {"occupied": not was_occupied, "ts": datetime.now(UTC).isoformat()}
    publish_once(base_settings, f"parking/Z02/{space}/status", json.dumps(payload))
    want = "s-free" if was_occupied else "s-occupied"
    page.wait_for_selector(f'#map circle[data-id="{space}"].{want}')
    step = -1 if was_occupied else 1
    page.wait_for_function(
        "n => Number(document.querySelector('[data-count=spaces-occupied]').textContent) === n",
        arg=before + step,
    )


def test_a_viewer_sees_no_acknowledge_button(town: Town, page: Page) -> None:
    _signed_in_live(page, town, _key(town, Role.VIEWER, "李查看"))
    assert "李查看" in page.inner_text("#who") and "只读" in page.inner_text("#who")
    page.click("#tab-sanitation")
    # Before the acknowledging tests below, so some alerts are still open.
    page.locator("#alerts li.alert.st-open").first.wait_for()
    assert page.locator("#alerts button.ack").count() == 0
    assert page.locator("#alerts", has_text="您的角色不能确认告警").count() == 1


@pytest.mark.parametrize("person", ["", NAME])
def test_an_alert_acknowledged_in_the_page_is_acknowledged_in_the_api(
    town: Town, page: Page, person: str
) -> None:
    desk = "东区调度台"
    _signed_in_live(page, town, _key(town, Role.DISPATCHER, desk), person)
    page.click("#tab-sanitation")
    button = page.locator("#alerts button.ack").first
    button.wait_for()
    alert_id = button.get_attribute("data-alert")
    assert alert_id
    button.click()
    row = page.locator(f'#alerts li[data-alert="{alert_id}"]')
    row.locator(".acked").wait_for()
    # The API records the key's name, and the person typed at sign-in, if any, behind it.
    recorded = f"{person} via {desk}" if person else desk
    assert recorded in row.locator(".acked").inner_text()

    acknowledged = {a["id"]: a for a in _get(town, "/api/v1/alerts", status="acknowledged")}
    assert acknowledged[alert_id]["acknowledged_by"] == recorded
    assert acknowledged[alert_id]["acknowledged_at"] is not None


def test_double_clicking_acknowledge_acknowledges_one_alert(town: Town, page: Page) -> None:
    """The double-click that once acknowledged two alerts: its second click comes after the
    first one's answer has redrawn the list, at the same spot on the screen."""
    desk = "双击调度台"  # this test's own key: only its acknowledgements carry this name
    _signed_in_live(page, town, _key(town, Role.DISPATCHER, desk))
    page.click("#tab-sanitation")
    buttons = page.locator("#alerts button.ack")
    buttons.first.wait_for()
    assert buttons.count() >= 2  # a next card whose button could come under the pointer
    alert_id = buttons.first.get_attribute("data-alert")
    box = buttons.first.bounding_box()
    assert alert_id and box
    sent: list[str] = []
    done: list[str] = []
    page.on("request", lambda r: sent.append(r.url) if r.url.endswith("/ack") else None)
    page.on("requestfinished", lambda r: done.append(r.url) if r.url.endswith("/ack") else None)
    x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    with page.expect_response(lambda r: r.url.endswith("/ack")):
        page.mouse.click(x, y)
    page.locator(f'#alerts li[data-alert="{alert_id}"] .acked').wait_for()  # redrawn
    page.mouse.click(x, y)
    # A second request, if the click sent one, has left the page before this round trip;
    # it is then let finish before the API is asked.
    page.evaluate("() => new Promise((settled) => setTimeout(settled, 0))")
    for _ in range(100):
        if len(done) >= len(sent):
            break
        page.wait_for_timeout(100)
    mine = [
        a["id"]
        for a in _get(town, "/api/v1/alerts", status="acknowledged")
        if a["acknowledged_by"] == desk
    ]
    assert mine == [alert_id]
    assert len(sent) == 1


def test_a_parking_operator_lists_and_filters_its_own_overstays(town: Town, page: Page) -> None:
    key = _key(town, Role.PARKING_OPERATOR, "Z01 值班", zones=["Z01"])

    def as_operator(path: str, **params: str) -> Any:
        answer = httpx.get(f"{town.base}{path}", params=params, headers=bearer(key))
        assert answer.status_code == 200, answer.text
        return answer.json()

    overstays = as_operator("/api/v1/alerts", kind="overstay", status="open")
    assert len(overstays) >= 2, "the town left too few overstays in Z01 to filter"
    assert {a["zone"] for a in overstays} == {"Z01"}
    # One acknowledged (by an admin), so that the status filter has something to leave out.
    taken = overstays[0]["id"]
    assert town.api.post(f"/api/v1/alerts/{taken}/ack").status_code == 200

    _signed_in_live(page, town, key)
    page.click("#tab-parking")
    page.locator(f'#parking-alerts li[data-alert="{taken}"].st-acknowledged').wait_for()
    page.select_option("#parking-alerts-kind", "overstay")
    page.select_option("#parking-alerts-status", "open")
    cards = page.locator("#parking-alerts li.alert")
    shown = cards.evaluate_all("cards => cards.map((card) => card.dataset.alert)")
    wanted = [a["id"] for a in as_operator("/api/v1/alerts", kind="overstay", status="open")]
    assert taken not in wanted
    assert sorted(shown) == sorted(wanted)

    counts = as_operator("/api/v1/alerts/counts", domain="parking")
    assert set(counts["by_area"]) == {"Z01"}  # its own zone's, none of Z02's
    beside = {
        "#parking-alerts-kind": {"": counts["active"], "overstay": counts["by_kind"]["overstay"]},
        "#parking-alerts-status": {
            "active": counts["active"],
            "open": counts["by_status"]["open"],
            "acknowledged": counts["by_status"]["acknowledged"],
        },
    }
    for select, want in beside.items():
        for value, n in want.items():
            option = page.locator(f'{select} option[value="{value}"][data-count="{n}"]')
            option.wait_for(state="attached")  # the counts follow the acknowledgement


# (zone, entry, exit) in the city's local time, for a browser whose own zone is London.
QUOTES = [
    ("Z01", "2026-11-25T09:00", "2026-11-25T10:10"),  # a weekday morning, tiered
    ("Z01", "2026-11-25T19:30", "2026-11-26T08:15"),  # over the night band
    ("Z02", "2026-11-28T10:00", "2026-11-28T13:00"),  # a Saturday, free on that road
    ("Z01", "2026-11-24T08:00", "2026-11-25T11:00"),  # long enough for the cap
]


def test_the_fee_calculator_matches_the_quote_endpoint(town: Town, page: Page) -> None:
    sign_in(page, town.base, _key(town, Role.PARKING_OPERATOR, "kerb desk"))
    page.click("#tab-parking")
    fees = []
    for zone, entry, leave in QUOTES:
        result = ask_for_quote(page, zone, entry, leave)
        start, end = f"{entry}:00+08:00", f"{leave}:00+08:00"
        result.locator(".total").wait_for()
        quote = _get(town, "/api/v1/parking/fees/quote", zone=zone, start=start, end=end)
        fee = quote["fee"]
        fees.append(fee)
        assert result.locator(".total").get_attribute("data-fen") == str(fee["fen"])
        assert fee["display"] in result.locator(".total").inner_text()
        subtotals = result.locator("tbody tr td:nth-child(5)").all_inner_texts()
        want = [_yuan(i["subtotal_fen"]) for i in fee["items"]]
        if fee["cap_deduction_fen"]:
            want.append(_yuan(-fee["cap_deduction_fen"]))
        assert subtotals == [*want, fee["display"]], (zone, entry, leave)
    assert any(fee["cap_deduction_fen"] for fee in fees), "no case reached the cap"


def _yuan(fen: int) -> str:
    sign = "-" if fen < 0 else ""
    return f"{sign}¥{abs(fen) // 100}.{abs(fen) % 100:02d}"


def test_the_language_switch_changes_the_page_and_is_remembered(town: Town, page: Page) -> None:
    _signed_in_live(page, town, _key(town, Role.VIEWER, "wall screen"))
    html = page.locator("html")
    assert html.get_attribute("lang") == "zh-CN"
    assert page.inner_text("#tab-map") == "地图"
    assert page.inner_text("#legend-title") == "图例与统计"
    assert "空闲" in page.inner_text("#legend")

    page.click("#lang")
    assert html.get_attribute("lang") == "en-GB"
    assert page.inner_text("#tab-map") == "Map"
    assert page.inner_text("#legend-title") == "Legend and counts"
    assert "Free" in page.inner_text("#legend")
    assert page.inner_text("#lang") == "中文"

    page.reload()  # the key is kept for the tab, the language for the browser
    page.wait_for_selector("#live.ok")
    assert html.get_attribute("lang") == "en-GB"
    assert page.inner_text("#tab-parking") == "Parking"
    page.click("#lang")
    assert page.inner_text("#tab-parking") == "停车"


def test_the_key_is_sent_with_every_request(town: Town, page: Page) -> None:
    key = _key(town, Role.VIEWER, "wall screen")
    sent: dict[str, str | None] = {}

    def record(request: Request) -> None:
        if "/api/v1/" in request.url:
            path = request.url.split("?")[0].removeprefix(town.base)
            sent[path] = request.headers.get("authorization")

    page.on("request", record)
    _signed_in_live(page, town, key)
    for path in ("/api/v1/auth/whoami", "/api/v1/city", "/api/v1/live/stream"):
        assert sent[path] == f"Bearer {key}", path
    assert sent["/api/v1/alerts/stream"] == f"Bearer {key}"
    assert set(sent.values()) == {f"Bearer {key}"}


def test_a_bad_key_brings_back_the_sign_in_form(town: Town, page: Page) -> None:
    page.goto(f"{town.base}/")
    page.fill("#signin-key", "csk_0123456789ab_" + "A" * 43)
    page.click("#signin-form button[type=submit]")
    page.locator("#signin-error", has_text=REFUSED).wait_for()
    assert page.locator("#signin").is_visible()
    assert page.locator("#map .space, #map .bin").count() == 0


def test_a_revoked_key_brings_back_the_sign_in_form(town: Town, page: Page) -> None:
    key = _key(town, Role.VIEWER, "revoked screen")
    _signed_in_live(page, town, key)
    assert not page.locator("#signin").is_visible()
    assert town.api.delete(f"/api/v1/keys/{key.split('_')[1]}").status_code == 204
    # The live stream ends at its next refresh; reopening it is refused (401).
    page.locator("#signin-error", has_text=REFUSED).wait_for()
    assert page.locator("#signin").is_visible()
    assert page.locator("#view-map").is_hidden()


def test_a_zone_limited_operator_sees_only_its_zone(town: Town, page: Page) -> None:
    _signed_in_live(page, town, _key(town, Role.PARKING_OPERATOR, "Z02 kerb", zones=["Z02"]))
    z02 = town.truth["spaces"]["Z02"]
    markers = page.locator("#map .space")
    assert markers.count() == len(z02)
    assert {markers.nth(i).get_attribute("data-id") for i in range(markers.count())} == set(z02)
    assert page.locator("#map .bin").count() == 0
    legend = _legend(page)
    assert sum(legend[f"spaces-{s}"] for s in ("free", "occupied", "unknown")) == len(z02)
    assert not any(name.startswith("bins-") for name in legend)
    # Its views: the map and parking; no sanitation, whose data it may not read.
    assert page.locator("#tab-parking").is_visible()
    assert page.locator("#tab-sanitation").is_hidden()
    page.click("#tab-parking")
    page.locator("#zones table").wait_for()
    rows = page.locator("#zones tbody tr td:first-child strong").all_inner_texts()
    assert "Z02" in rows and "Z01" not in rows


def test_the_reports_view_shows_the_recorded_period_and_downloads_it(
    town: Town, page: Page
) -> None:
    sign_in(page, town.base, _key(town, Role.ADMIN, "报表"))
    page.click("#tab-reports")
    today = datetime.now(UTC).astimezone(ZoneInfo("Asia/Shanghai")).date()
    start = (today - timedelta(days=1)).isoformat()
    page.fill("#reports-start", start)
    page.fill("#reports-end", today.isoformat())
    page.select_option("#reports-period", "all")
    page.select_option("#reports-group", "city")
    page.click("#reports-form button[type=submit]")
    first_row = page.locator("#reports-result tbody tr").first
    first_row.wait_for()
    cells = first_row.locator("td").all_inner_texts()
    report = _get(
        town, "/api/v1/reports/parking", start=start, end=today.isoformat(), period="all",
        group="city",
    )  # fmt: skip
    (row,) = report["rows"]
    assert row["sessions"] > 0  # the recorder recorded the town's stays
    assert cells[:3] == [f"{start}..{today.isoformat()}", "全市", str(row["sessions"])]
    with page.expect_download() as downloaded:
        page.click("#reports-csv")
    assert downloaded.value.suggested_filename.endswith("-city.csv")
    text = Path(downloaded.value.path()).read_text(encoding="utf-8-sig")
    assert text.splitlines()[0].startswith("统计周期,区域,停车次数")
    with page.expect_download() as downloaded:
        page.click("#reports-xlsx")
    assert downloaded.value.suggested_filename.endswith(".xlsx")


def test_the_payments_view_shows_the_arrears_of_the_api(town: Town, page: Page) -> None:
    sign_in(page, town.base, _key(town, Role.ADMIN, "收费"))
    page.click("#tab-payments")
    page.locator("#payments-result table").first.wait_for()
    arrears = _get(town, "/api/v1/arrears")
    assert arrears["owed_fen"] > 0  # the town's stays are billed and nobody paid
    total = page.locator("#payments-result p").first.inner_text()
    assert _yuan(arrears["owed_fen"]) in total and _yuan(arrears["unbound_owed_fen"]) in total
    ages = page.locator("#payments-result table").first.locator("tbody tr")
    assert [ages.nth(i).locator("td").last.inner_text() for i in range(ages.count())] == [
        _yuan(b["owed_fen"]) for b in arrears["buckets"]
    ]


def test_a_viewer_has_no_payments_view(town: Town, page: Page) -> None:
    _signed_in_live(page, town, _key(town, Role.VIEWER, "看板"))  # the views are decided
    assert page.locator("#tab-reports").is_visible()
    assert page.locator("#tab-payments").is_hidden()  # plates are not a viewer's to see


def _clock(iso: str) -> str:
    """HH:MM of a UTC time in the town's zone (the dashboard shows the city's clock)."""
    return datetime.fromisoformat(iso).astimezone(ZoneInfo("Asia/Shanghai")).strftime("%H:%M")


# The centre of a bin's marker and each vertex of a truck's line, in the map's own units.
_GEOMETRY = """() => {
  const bins = {};
  for (const el of document.querySelectorAll('#map rect.bin')) {
    bins[el.dataset.id] = [Number(el.getAttribute('x')) + Number(el.getAttribute('width')) / 2,
                           Number(el.getAttribute('y')) + Number(el.getAttribute('height')) / 2];
  }
  const stations = {};
  for (const el of document.querySelectorAll('#map circle.station-dot')) {
    stations[el.dataset.id] = [Number(el.getAttribute('cx')), Number(el.getAttribute('cy'))];
  }
  const lines = [...document.querySelectorAll('#map polyline.truck-route')].map((el) => ({
    truck: el.dataset.truck,
    stroke: el.getAttribute('stroke'),
    points: el.getAttribute('points').split(' ').map((p) => p.split(',').map(Number)),
  }));
  return { bins, stations, lines };
}"""


def test_the_dispatch_view_shows_each_trucks_route_as_the_api_plans_it(
    town: Town, page: Page
) -> None:
    _signed_in_live(page, town, _key(town, Role.DISPATCHER, "调度台"))
    page.click("#tab-dispatch")
    shown = page.locator("#dispatch-routes[data-as-of]")
    shown.wait_for()  # the first request makes the plan: a solve of a few seconds
    plan = _get(town, "/api/v1/dispatch/plan")
    # The same plan (the API re-plans by itself only on its cadence or an urgent bin).
    assert shown.get_attribute("data-as-of") == plan["as_of"]
    routes = {r["truck"]: r for r in plan["routes"]}
    # The town's fires (and overfilled bins) must be reached within the hour: the trucks have
    # work, unless the hour left before their shift ends (23:59) is too short for it.
    if not routes and _clock(plan["as_of"]) >= "23:00":
        pytest.skip("planned in the trucks' last hour on shift: no route can be driven")
    assert routes, (plan["left_out"], plan["notes"])

    # One line per truck of the plan, each in a colour of its own, through the truck's
    # stops in the plan's order: each bin stop is a vertex at that bin's marker.
    geometry = page.evaluate(_GEOMETRY)
    lines = {line["truck"]: line for line in geometry["lines"]}
    assert len(geometry["lines"]) == len(lines) == len(routes)
    assert set(lines) == set(routes)
    colours = [line["stroke"] for line in lines.values()]
    assert all(colours) and len(set(colours)) == len(colours)
    # The plan above may need one truck only: the colours a fleet of 30 would get differ too.
    fleet = page.evaluate(
        "async () => { const d = await import('/dashboard/js/dispatch.js');"
        " return [...Array(30).keys()].map(d.routeColour); }"
    )
    assert len(set(fleet)) == 30 and fleet[: len(colours)] == [
        lines[r["truck"]]["stroke"] for r in plan["routes"]
    ]
    # Each line begins at its truck's home station (the town's registry says which; the first
    # plan of the day has no truck on the road yet), then goes through the stops.
    homes = {t["id"]: t["station"] for t in small_city()["trucks"]}
    for truck, route in routes.items():
        (hx, hy), *points = lines[truck]["points"]
        sx, sy = geometry["stations"][homes[truck]]
        assert abs(hx - sx) < 0.01 and abs(hy - sy) < 0.01, (truck, homes[truck])
        assert len(points) == len(route["stops"]), truck
        for stop, (x, y) in zip(route["stops"], points, strict=True):
            if stop["kind"] == "bin":
                bx, by = geometry["bins"][stop["id"]]
                assert abs(bx - x) < 0.01 and abs(by - y) < 0.01, (truck, stop["id"])

        # Its stop list: the plan's stops, in order, at the plan's times, in its line's colour.
        card = page.locator(f'#dispatch-routes section.truck[data-truck="{truck}"]')
        assert f"--truck: {lines[truck]['stroke']}" in (card.get_attribute("style") or "")
        rows = card.locator("tbody tr")
        assert rows.count() == len(route["stops"])
        for i, stop in enumerate(route["stops"]):
            row = rows.nth(i)
            assert row.get_attribute("data-stop") == stop["id"], (truck, i)
            assert row.locator("td.arrival").inner_text() == _clock(stop["arrival"]), (truck, i)
        assert card.locator("[data-done]").get_attribute("data-done") == "0"  # none reported

    # The bins at risk: every bin the plan had to clear and left out, with its reason.
    must = [(o["bin"], o["reason"]) for o in plan["left_out"] if o["must"]]
    risk = page.locator("#dispatch-risk tbody tr")
    assert [
        (
            risk.nth(i).locator("td").first.inner_text(),
            risk.nth(i).locator("[data-reason]").get_attribute("data-reason"),
        )
        for i in range(risk.count())
    ] == must

    page.click("#lang")
    assert page.inner_text("#tab-dispatch") == "Dispatch"
    assert page.inner_text("#risk-title") == "Bins at risk of missing their deadline"


def test_a_trucks_reported_progress_shows_in_the_dispatch_view(
    town: Town, page: Page, base_settings: Settings
) -> None:
    plan = _get(town, "/api/v1/dispatch/plan")
    if not plan["routes"]:  # see the test above: the trucks' last hour on shift
        pytest.skip("the plan has no route to report progress on")
    route = plan["routes"][0]
    first = route["stops"][0]
    # The truck at its first stop, done with it, as its tablet reports it (docs/mqtt.md).
    report = {"ts": f"{datetime.now(UTC):%Y-%m-%dT%H:%M:%S}Z", "lat": first["lat"],
              "lon": first["lon"], "done": [first["id"]]}  # fmt: skip
    publish_once(base_settings, f"dispatch/{route['truck']}/progress", json.dumps(report))
    wait_for(
        lambda: any(p["truck"] == route["truck"] for p in _get(town, "/api/v1/dispatch/progress")),
        10,
        "the API to hear the report",
    )
    _signed_in_live(page, town, _key(town, Role.DISPATCHER, "调度台"))
    page.click("#tab-dispatch")
    card = page.locator(f'#dispatch-routes section.truck[data-truck="{route["truck"]}"]')
    card.wait_for()
    done = 1 if first["kind"] == "bin" else 0
    assert card.locator("[data-done]").get_attribute("data-done") == str(done)
    assert card.locator(f'tbody tr.done[data-stop="{first["id"]}"]').count() == 1
    assert f"{first['lat']:.5f}, {first['lon']:.5f}" in card.locator(".truck-progress").inner_text()
    # On the map: the truck where it reported, in its route's colour.
    line = page.locator(f'#map polyline.truck-route[data-truck="{route["truck"]}"]')
    marker = page.locator(f'#map circle.truck-at[data-truck="{route["truck"]}"]')
    assert marker.get_attribute("fill") == line.get_attribute("stroke")
