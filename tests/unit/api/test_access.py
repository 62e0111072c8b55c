"""Who may call what: 401 without a valid key, 403 for the wrong role or scope, 422 past the
caps, 429 past the rate; checked route by route over the OpenAPI route list."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from api.app import create_app
from api.deps import (
    get_active_alerts,
    get_alerts,
    get_broker,
    get_history,
    get_live_state,
    get_records,
)
from curbside.adapters.access.roles import Permission, Role, may
from curbside.adapters.records.engine import record_engine, session_factory
from curbside.config.settings import Settings, load_settings
from curbside.domain.alerts.lifecycle import acknowledge
from curbside.readmodels.active_alerts import ActiveAlerts
from curbside.readmodels.live.state import LiveState
from curbside.vocabulary.alerts import Alert, AlertKind, AlertStatus, Domain, Subject
from tests.support import bearer, issue_key
from tests.unit.api.conftest import FakeBroker, make_city

P = Permission
OPEN = "open"  # no key looked at: load balancers' health checks
PUBLIC = "public"  # a key is optional, a bad one still 401: citizens' fee quotes
ANY_KEY = "any key"
SIGNED = "signed by a payment channel"  # keys are not looked at; without a signature, 401
# Parking and sanitation at once (the city layout, the live stream): either permission, and
# 403 only for a key that may read no zone and no district.
SOME_AREA = "parking.read or sanitation.read"
DAY = {"date": "2026-11-27"}
WINDOW = {"start": "2026-11-27T08:00:00+08:00", "end": "2026-11-27T10:00:00+08:00"}

# Every route, with what it needs and a request that reaches the handler. A route missing
# here fails test_every_route_has_a_rule: a new route must be given a rule.
RULES: dict[str, tuple[str | Permission, dict[str, Any]]] = {
    "GET /health": (OPEN, {}),
    "GET /api/v1/parking/fees/quote": (PUBLIC, {"zone": "Z1", **WINDOW}),
    "GET /api/v1/messages": (PUBLIC, {}),
    "GET /api/v1/parking/tariffs": (P.PARKING_READ, {}),
    "GET /api/v1/parking/occupancy": (P.PARKING_READ, {}),
    "GET /api/v1/parking/spaces": (P.PARKING_READ, {"zone": "Z1"}),
    "GET /api/v1/parking/occupancy/history": (P.PARKING_READ, {"zone": "Z1", **WINDOW}),
    "GET /api/v1/parking/occupancy/busiest-hours": (P.PARKING_READ, {"zone": "Z1", **DAY}),
    "GET /api/v1/parking/sessions": (P.PARKING_READ, {"zone": "Z1", **WINDOW}),
    "GET /api/v1/parking/revenue": (P.PARKING_READ, DAY),
    "GET /api/v1/sanitation/bins": (P.SANITATION_READ, {}),
    "GET /api/v1/sanitation/collections": (P.SANITATION_READ, DAY),
    "GET /api/v1/sanitation/clearance": (P.SANITATION_READ, DAY),
    "GET /api/v1/sanitation/worklist": (P.SANITATION_READ, {}),
    "GET /api/v1/sanitation/levels": (P.SANITATION_READ, {"district": "D1", "bin": "B1", **DAY}),
    "GET /api/v1/reports/parking": (P.PARKING_READ, {"start": "2026-03-04", "end": "2026-03-04"}),
    "GET /api/v1/reports/sanitation": (
        P.SANITATION_READ,
        {"start": "2026-03-04", "end": "2026-03-04"},
    ),
    "GET /api/v1/dispatch/plan": (P.SANITATION_READ, {}),
    "GET /api/v1/dispatch/plan/{truck}": (P.SANITATION_READ, {}),
    "GET /api/v1/dispatch/progress": (P.SANITATION_READ, {}),
    "POST /api/v1/dispatch/replan": (P.DISPATCH_PLAN, {}),
    "GET /api/v1/city": (SOME_AREA, {}),
    "GET /api/v1/live/stream": (SOME_AREA, {}),
    "GET /api/v1/alerts": (P.ALERTS_READ, {}),
    "GET /api/v1/alerts/stream": (P.ALERTS_READ, {}),
    "GET /api/v1/alerts/counts": (P.ALERTS_READ, {}),
    "POST /api/v1/alerts/{alert_id}/ack": (P.ALERTS_ACK, {}),
    "POST /api/v1/alerts/{alert_id}/unacknowledge": (P.ALERTS_ACK, {}),
    "GET /api/v1/cases": (P.ALERTS_READ, {}),
    "GET /api/v1/cases/{case_id}": (P.ALERTS_READ, {}),
    "POST /api/v1/cases/{case_id}/steps": (P.CASES_WORK, {}),
    "GET /api/v1/reports/cases": (P.ALERTS_READ, {"start": "2026-03-04", "end": "2026-03-04"}),
    # Signed by the platform (Standard Webhooks), not a key: tests/records/test_platform_inbound
    "POST /api/v1/platform/cases/{case_id}/events": (OPEN, {}),
    "GET /api/v1/auth/whoami": (ANY_KEY, {}),
    "GET /api/v1/keys": (P.KEYS_MANAGE, {}),
    "POST /api/v1/keys": (P.KEYS_MANAGE, {}),
    "DELETE /api/v1/keys/{key_id}": (P.KEYS_MANAGE, {}),
    "POST /api/v1/parking/plates": (P.PLATES_BIND, {}),
    "GET /api/v1/parking/plates/unbound": (P.PARKING_READ, {"zone": "Z1", "day": "2026-03-04"}),
    "GET /api/v1/arrears": (P.PLATES_READ, {}),
    "GET /api/v1/driver/charges": (OPEN, {"plate": "粤B12345", "colour": "blue"}),
    "POST /api/v1/payments/notifications": (SIGNED, {}),
}
PATHS = {
    "{alert_id}": "overstay~parking~Z1~A-1~1",
    "{case_id}": "overstay~parking~Z1~A-1~1",
    "{key_id}": "0123456789ab",
    "{truck}": "T1",
}
BODIES = {
    "POST /api/v1/keys": {"name": "made in a test", "role": "viewer"},
    "POST /api/v1/parking/plates": {
        "zone": "Z1",
        "space": "S1",
        "observed_at": "2026-03-04T08:00:00Z",
        "plate": "粤B12345",
        "colour": "blue",
    },
    "POST /api/v1/cases/{case_id}/steps": {"step": "handled"},
}


class FakeAlerts:
    """Records the filters of each find; finds nothing."""

    def __init__(self) -> None:
        self.filters: list[dict[str, Any]] = []

    def find(self, **filters: Any) -> list[Alert]:
        self.filters.append(filters)
        return []

    def get(self, alert_id: str) -> Alert | None:
        return None


Make = Callable[..., FastAPI]


@pytest.fixture
def make_app(keys_file: Path, live: LiveState) -> Make:
    def make(**settings: Any) -> FastAPI:
        app = create_app(load_settings(api_keys_file=keys_file, **settings), make_city())
        app.dependency_overrides[get_live_state] = lambda: live
        app.dependency_overrides[get_broker] = FakeBroker
        # An empty record store: a route the rules let through fails inside (500).
        app.dependency_overrides[get_records] = lambda: session_factory(
            record_engine("sqlite:///:memory:")
        )
        return app

    return make


@pytest.fixture
def app(make_app: Make) -> FastAPI:
    return make_app()


@pytest.fixture
def anonymous(app: FastAPI) -> Iterator[TestClient]:
    # Services the routes need beyond the live state are absent: a request the access
    # rules let through fails inside (500), which these tests tell apart from 401/403.
    yield TestClient(app, raise_server_exceptions=False)


def send(
    client: TestClient, method: str, path: str, params: dict[str, Any], **kwargs: Any
) -> httpx.Response:
    """The answer, read whole unless it is an event stream: a stream that was let through
    never ends, so only its status and headers are taken before it is closed."""
    response: httpx.Response
    with client.stream(method, path, params=params, **kwargs) as response:
        if not response.headers.get("content-type", "").startswith("text/event-stream"):
            response.read()
    return response


def call(client: TestClient, route: str, token: str | None = None, **params: str) -> Any:
    method, path = route.split(" ")
    for name, value in PATHS.items():
        path = path.replace(name, value)
    return send(
        client,
        method,
        path,
        {**RULES[route][1], **params},
        headers=bearer(token) if token else {},
        json=BODIES.get(route),
    )


def allows(rule: str | Permission, role: Role) -> bool:
    """Whether a city-wide key of this role passes the rule."""
    if rule in (OPEN, PUBLIC, ANY_KEY):
        return True
    if rule == SIGNED:
        return False
    if rule == SOME_AREA:
        return may(role, P.PARKING_READ) or may(role, P.SANITATION_READ)
    return may(role, Permission(rule))


def test_every_route_has_a_rule(anonymous: TestClient) -> None:
    paths = anonymous.get("/openapi.json").json()["paths"]
    routes = {f"{m.upper()} {path}" for path, ops in paths.items() for m in ops}
    assert routes == set(RULES)


def test_keys_are_declared_as_a_bearer_scheme(anonymous: TestClient) -> None:
    spec = anonymous.get("/openapi.json").json()
    [scheme] = spec["components"]["securitySchemes"].values()
    assert (scheme["type"], scheme["scheme"]) == ("http", "bearer")
    assert "security" not in spec["paths"]["/health"]["get"]
    assert spec["paths"]["/api/v1/parking/occupancy"]["get"]["security"]


@pytest.mark.parametrize("route", sorted(RULES))
def test_without_a_key_only_open_and_public_routes_answer(
    anonymous: TestClient, route: str
) -> None:
    response = call(anonymous, route)
    if RULES[route][0] in (OPEN, PUBLIC):
        assert response.status_code not in (401, 403), response.text
    elif RULES[route][0] == SIGNED:
        assert (response.status_code, response.json()["reason"]) == (401, "unsigned")
    else:
        assert response.status_code == 401, response.text
        assert response.headers["www-authenticate"] == "Bearer"


@pytest.mark.parametrize("route", sorted(RULES))
@pytest.mark.parametrize(
    "token",
    [
        "csk_0123456789ab_" + "A" * 43,  # well-formed, unknown
        "not-a-key",
        "",
    ],
)
def test_a_bad_key_is_401_except_where_no_key_is_looked_at(
    anonymous: TestClient, keys_file: Path, route: str, token: str
) -> None:
    issue_key(keys_file, Role.ADMIN)  # a real key exists; it is just not this one
    response = send(
        anonymous,
        route.split(" ", maxsplit=1)[0],
        route.split(" ")[1].replace("{alert_id}", "x").replace("{key_id}", "0123456789ab"),
        RULES[route][1],
        headers={"Authorization": f"Bearer {token}"},
    )
    if RULES[route][0] == OPEN:
        assert response.status_code not in (401, 403), response.text
    else:
        assert response.status_code == 401, response.text


@pytest.mark.parametrize("role", list(Role))
@pytest.mark.parametrize("route", sorted(RULES))
def test_each_role_gets_exactly_its_routes(
    anonymous: TestClient, keys_file: Path, route: str, role: Role
) -> None:
    token = issue_key(keys_file, role, name=f"a {role}")
    response = call(anonymous, route, token)
    if allows(RULES[route][0], role):
        assert response.status_code not in (401, 403, 429), response.text
    elif RULES[route][0] == SIGNED:
        assert response.status_code == 401, response.text  # a key is no signature
    else:
        assert response.status_code == 403, response.text


SPEC = create_app(Settings(), make_city()).openapi()


def _with(param: str) -> list[str]:
    """The keyed routes with this query parameter, per the OpenAPI spec."""
    found = []
    for route, (rule, _) in RULES.items():
        method, path = route.split(" ")
        names = {p["name"] for p in SPEC["paths"][path][method.lower()].get("parameters", [])}
        if rule not in (OPEN, PUBLIC) and param in names:
            found.append(route)
    return sorted(found)


# A key for Z1 and D1 asks each route for another area (403) and for its own.
AREAS = {"zone": ("Z2", "Z1"), "district": ("D2", "D1")}
SCOPED = [(route, param) for param in AREAS for route in _with(param)]


@pytest.mark.parametrize(("route", "param"), SCOPED)
def test_a_limited_key_cannot_ask_for_another_area(
    anonymous: TestClient, keys_file: Path, route: str, param: str
) -> None:
    role = next(r for r in Role if allows(RULES[route][0], r))  # the viewer where it may
    token = issue_key(keys_file, role, zones=["Z1"], districts=["D1"])
    other, own = AREAS[param]
    assert call(anonymous, route, token, **{param: other}).status_code == 403
    assert call(anonymous, route, token, **{param: own}).status_code not in (401, 403)


def test_city_wide_lists_show_only_the_keys_areas(anonymous: TestClient, keys_file: Path) -> None:
    zone_key = issue_key(keys_file, Role.VIEWER, zones=["Z1"])
    occupancy = anonymous.get("/api/v1/parking/occupancy", headers=bearer(zone_key)).json()
    assert [z["zone"] for z in occupancy] == ["Z1"]
    # Limited to zones, it sees no district at all.
    assert anonymous.get("/api/v1/sanitation/bins", headers=bearer(zone_key)).json() == []
    district_key = issue_key(keys_file, Role.DISPATCHER, districts=["D2"])
    bins = anonymous.get("/api/v1/sanitation/bins", headers=bearer(district_key)).json()
    assert {b["district"] for b in bins} == {"D2"}
    everyone = issue_key(keys_file, Role.VIEWER)
    occupancy = anonymous.get("/api/v1/parking/occupancy", headers=bearer(everyone)).json()
    assert [z["zone"] for z in occupancy] == ["Z2", "Z1"]


def first_live_changes(client: TestClient, token: str) -> Any:
    """The first ``changes`` event of the live stream for this key."""
    with client.stream("GET", "/api/v1/live/stream", headers=bearer(token)) as response:
        assert response.status_code == 200, response.read()
        data = next(line for line in response.iter_lines() if line.startswith("data: "))
    return json.loads(data.removeprefix("data: "))


# A key's role and scope, and the zones and districts the layout and the live stream show it.
AREA_CASES: list[tuple[Role, list[str] | None, list[str] | None, list[str], list[str]]] = [
    (Role.VIEWER, None, None, ["Z2", "Z1"], ["D1", "D2"]),
    (Role.ADMIN, None, None, ["Z2", "Z1"], ["D1", "D2"]),
    (Role.PARKING_OPERATOR, None, None, ["Z2", "Z1"], []),
    (Role.PARKING_OPERATOR, ["Z1"], None, ["Z1"], []),
    (Role.DISPATCHER, None, ["D2"], [], ["D2"]),
    (Role.VIEWER, ["Z1"], None, ["Z1"], []),
    (Role.VIEWER, ["Z1"], ["D2"], ["Z1"], ["D2"]),
]


@pytest.mark.parametrize("case", AREA_CASES)
def test_the_layout_and_the_live_stream_show_only_the_keys_areas(
    anonymous: TestClient, keys_file: Path, case: tuple[Any, ...]
) -> None:
    role, zones, districts, want_zones, want_districts = case
    token = issue_key(keys_file, role, zones=zones, districts=districts)
    layout = anonymous.get("/api/v1/city", headers=bearer(token)).json()
    assert [z["id"] for z in layout["zones"]] == want_zones
    assert [d["id"] for d in layout["districts"]] == want_districts
    # Transfer stations are where bin rounds start: only for keys that read some district.
    assert bool(layout["stations"]) == bool(want_districts)
    spaces = {s["id"] for z in layout["zones"] for s in z["spaces"]}
    bins = {b["id"] for d in layout["districts"] for b in d["bins"]}

    first = first_live_changes(anonymous, token)
    assert [z["zone"] for z in first["zones"]] == want_zones
    assert {s["space"] for s in first["spaces"]} == spaces
    assert {s["zone"] for s in first["spaces"]} == set(want_zones)
    assert {b["bin"] for b in first["bins"]} == bins
    assert {b["district"] for b in first["bins"]} == set(want_districts)


@pytest.mark.parametrize(
    ("role", "zones", "districts"),
    [
        (Role.PARKING_OPERATOR, None, ["D1"]),  # its districts are no use without sanitation.read
        (Role.DISPATCHER, ["Z1"], None),  # its zones are no use without parking.read
    ],
)
def test_a_key_that_may_read_no_area_gets_403_for_the_layout_and_the_live_stream(
    anonymous: TestClient,
    keys_file: Path,
    role: Role,
    zones: list[str] | None,
    districts: list[str] | None,
) -> None:
    token = issue_key(keys_file, role, zones=zones, districts=districts)
    for route in ("GET /api/v1/city", "GET /api/v1/live/stream"):
        response = call(anonymous, route, token)
        assert response.status_code == 403, (route, response.text)
        assert "may read no zone and no district" in response.json()["detail"]


def test_alert_lists_are_limited_to_the_keys_areas(app: FastAPI, keys_file: Path) -> None:
    desk = FakeAlerts()
    app.dependency_overrides[get_alerts] = lambda: desk
    # Not loaded: every list goes to the store, whose filters this test reads.
    app.dependency_overrides[get_active_alerts] = lambda: ActiveAlerts(list)
    client = TestClient(app)
    cases: list[tuple[Role, list[str] | None, list[str] | None, object]] = [
        (Role.VIEWER, None, None, None),
        (Role.ADMIN, None, None, None),
        (Role.DISPATCHER, None, None, [("sanitation", "D1"), ("sanitation", "D2")]),
        (Role.PARKING_OPERATOR, ["Z1"], None, [("parking", "Z1")]),
        (Role.VIEWER, ["Z1"], ["D2"], [("parking", "Z1"), ("sanitation", "D2")]),
    ]
    for role, zones, districts, areas in cases:
        token = issue_key(keys_file, role, zones=zones, districts=districts)
        assert client.get("/api/v1/alerts", headers=bearer(token)).status_code == 200
        assert desk.filters[-1]["areas"] == areas, (role, zones, districts)


def test_alert_counts_come_from_the_loaded_view_without_a_store_query(
    app: FastAPI, keys_file: Path
) -> None:
    class NoStore(FakeAlerts):
        def active(self) -> list[Alert]:
            raise AssertionError("counted from the store although the view is loaded")

    at = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)

    def alert(kind: AlertKind, domain: Domain, group: str) -> Alert:
        return Alert(kind, Subject(domain, group, f"{group}-1"), at, AlertStatus.OPEN, "why", at)

    alerts = [
        alert(AlertKind.OVERSTAY, Domain.PARKING, "Z1"),
        alert(AlertKind.FULL, Domain.SANITATION, "D1"),
        acknowledge(alert(AlertKind.FIRE, Domain.SANITATION, "D2"), "desk", at),
    ]
    view = ActiveAlerts(lambda: alerts)
    assert asyncio.run(view.reload())
    app.dependency_overrides[get_alerts] = NoStore
    app.dependency_overrides[get_active_alerts] = lambda: view
    client = TestClient(app)
    d1 = issue_key(keys_file, Role.DISPATCHER, districts=["D1"])
    admin = issue_key(keys_file, Role.ADMIN)
    mine = client.get("/api/v1/alerts/counts", headers=bearer(d1))
    assert mine.status_code == 200, mine.text
    assert (mine.json()["active"], mine.json()["by_area"]) == (1, {"D1": 1})
    bins = client.get("/api/v1/alerts/counts?domain=sanitation", headers=bearer(admin)).json()
    assert (bins["active"], bins["by_status"]) == (2, {"open": 1, "acknowledged": 1})


def test_a_record_store_that_does_not_answer_is_a_503_that_says_so(
    app: FastAPI, keys_file: Path
) -> None:
    # Nothing listens on port 1: the driver's connection is refused, as when PostgreSQL is down.
    down = record_engine("postgresql+psycopg://curbside:x@127.0.0.1:1/curbside?connect_timeout=2")
    app.dependency_overrides[get_records] = lambda: session_factory(down)
    client = TestClient(app, raise_server_exceptions=False)
    token = issue_key(keys_file, Role.ADMIN)
    query = {"start": "2026-03-04", "end": "2026-03-04"}
    answer = client.get("/api/v1/reports/parking", params=query, headers=bearer(token))
    assert answer.status_code == 503, answer.text
    assert answer.json()["detail"] == "record store unavailable: OperationalError"


def test_a_body_with_a_lone_surrogate_is_a_422_not_a_500(app: FastAPI, keys_file: Path) -> None:
    # Valid JSON text whose string is no UTF-8: the error that echoes it must still render.
    client = TestClient(app, raise_server_exceptions=False)
    headers = {**bearer(issue_key(keys_file, Role.ADMIN)), "content-type": "application/json"}
    body = b'{"plate": "\\ud800\\ud800", "zone": "Z1"}'
    answer = client.post("/api/v1/parking/plates", content=body, headers=headers)
    assert answer.status_code == 422, answer.text
    errors = answer.json()["detail"]
    assert {"body", "space"} <= {part for e in errors for part in e["loc"]}
    assert "\ud800\ud800" in [e.get("input") for e in errors]


def test_whoami(anonymous: TestClient, keys_file: Path) -> None:
    token = issue_key(keys_file, Role.DISPATCHER, name="东区 desk", districts=["D1"])
    me = anonymous.get("/api/v1/auth/whoami", headers=bearer(token)).json()
    assert (me["name"], me["role"], me["zones"], me["districts"]) == (
        "东区 desk",
        "dispatcher",
        [],
        ["D1"],
    )
    assert me["permissions"] == [
        "alerts.ack",
        "alerts.read",
        "cases.work",
        "dispatch.plan",
        "sanitation.read",
    ]
    assert "token" not in me and "sha256" not in me


def test_admins_make_list_and_revoke_keys(
    anonymous: TestClient, keys_file: Path, admin_token: str
) -> None:
    admin = bearer(admin_token)
    made = anonymous.post(
        "/api/v1/keys",
        headers=admin,
        json={"name": "kerb app", "role": "parking_operator", "zones": ["Z1"]},
    )
    assert made.status_code == 201, made.text
    token = made.json()["token"]
    me = anonymous.get("/api/v1/auth/whoami", headers=bearer(token)).json()
    assert (me["name"], me["zones"], me["districts"]) == ("kerb app", ["Z1"], [])
    listed = anonymous.get("/api/v1/keys", headers=admin).json()
    assert [k["name"] for k in listed] == ["test-admin", "kerb app"]
    assert all("token" not in k and "sha256" not in k for k in listed)
    assert token not in keys_file.read_text()
    gone = anonymous.delete(f"/api/v1/keys/{made.json()['id']}", headers=admin)
    assert gone.status_code == 204
    assert anonymous.get("/api/v1/auth/whoami", headers=bearer(token)).status_code == 401
    assert anonymous.delete(f"/api/v1/keys/{made.json()['id']}", headers=admin).status_code == 404


@pytest.mark.parametrize(
    "body",
    [
        {"name": "x", "role": "viewer", "zones": ["Z9"]},  # not in the registry
        {"name": "x", "role": "admin", "zones": ["Z1"]},  # a limited admin
        {"name": "x", "role": "superuser"},
        {"name": "", "role": "viewer"},
    ],
)
def test_bad_key_requests_are_422(
    anonymous: TestClient, admin_token: str, body: dict[str, Any]
) -> None:
    response = anonymous.post("/api/v1/keys", headers=bearer(admin_token), json=body)
    assert response.status_code == 422, response.text


def _loc(response: Any) -> list[Any]:
    assert response.status_code == 422, response.text
    return [e["loc"] for e in response.json()["detail"]]


def test_windows_and_result_sizes_are_capped(make_app: Make, admin_token: str) -> None:
    app = make_app(api_max_window_days=2, api_max_results=20)
    # Never reached: the caps are checked before any query.
    app.dependency_overrides[get_history] = object
    app.dependency_overrides[get_records] = object
    app.dependency_overrides[get_alerts] = FakeAlerts
    app.dependency_overrides[get_active_alerts] = lambda: ActiveAlerts(list)
    client = TestClient(app)
    admin = bearer(admin_token)
    three_days = {"start": "2026-11-24T00:00:00Z", "end": "2026-11-27T00:00:00Z"}
    for path in (
        "/api/v1/parking/sessions",
        "/api/v1/parking/occupancy/history",
        "/api/v1/parking/fees/quote",
    ):
        response = client.get(path, params={"zone": "Z1", **three_days}, headers=admin)
        assert _loc(response) == [["query", "end"]], path
    # A day at hourly buckets is 24 buckets: more than 20.
    day = {"zone": "Z1", "start": "2026-11-26T00:00:00Z", "end": "2026-11-27T00:00:00Z"}
    response = client.get(
        "/api/v1/parking/occupancy/history", params={**day, "every": "1h"}, headers=admin
    )
    assert _loc(response) == [["query", "every"]]
    response = client.get("/api/v1/alerts", params={"limit": 21}, headers=admin)
    assert _loc(response) == [["query", "limit"]]


def test_each_key_is_rate_limited_on_its_own(make_app: Make, keys_file: Path) -> None:
    client = TestClient(make_app(api_rate_per_s=0.01, api_rate_burst=3))
    first, second = issue_key(keys_file, Role.VIEWER), issue_key(keys_file, Role.VIEWER)
    codes = [
        client.get("/api/v1/parking/occupancy", headers=bearer(first)).status_code for _ in range(4)
    ]
    assert codes == [200, 200, 200, 429]
    refused = client.get("/api/v1/parking/occupancy", headers=bearer(first))
    assert refused.status_code == 429 and int(refused.headers["retry-after"]) >= 1
    assert client.get("/api/v1/parking/occupancy", headers=bearer(second)).status_code == 200


def test_anonymous_quotes_are_rate_limited_per_address(make_app: Make, admin_token: str) -> None:
    client = TestClient(make_app(api_public_rate_per_s=0.01, api_public_rate_burst=2))
    quote = {"zone": "Z1", **WINDOW}
    # The test city has no tariffs: the quote is 404, but only after the rate limit.
    codes = [client.get("/api/v1/parking/fees/quote", params=quote).status_code for _ in range(3)]
    assert codes == [404, 404, 429]
    # With a key, the key's own allowance counts instead.
    keyed = client.get("/api/v1/parking/fees/quote", params=quote, headers=bearer(admin_token))
    assert keyed.status_code == 404


@pytest.mark.parametrize(
    ("path", "params", "named"),
    [
        ("/api/v1/parking/revenue", {"date": "0001-01-01"}, "date"),
        ("/api/v1/parking/revenue", {"date": "2262-04-12"}, "date"),
        (
            "/api/v1/parking/sessions",
            {"zone": "Z1", **WINDOW, "start": "1999-12-31T00:00:00Z"},
            "start",
        ),
        (
            "/api/v1/parking/sessions",
            {"zone": "Z1", **WINDOW, "end": "2100-01-01T00:00:00Z"},
            "end",
        ),
    ],
)
def test_times_outside_2000_to_2099_are_422(
    app: FastAPI, admin_token: str, path: str, params: dict[str, str], named: str
) -> None:
    # Further out, the database refuses the query or the day's arithmetic overflows.
    app.dependency_overrides[get_history] = object
    app.dependency_overrides[get_records] = object
    response = TestClient(app).get(path, params=params, headers=bearer(admin_token))
    assert _loc(response) == [["query", named]]
