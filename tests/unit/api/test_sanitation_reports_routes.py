"""Collections, clearance and worklist routes, with fakes where the database is."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker

from api.app import create_app
from api.deps import get_alerts, get_now, get_records, get_sanitation_history
from curbside.adapters.influx.client import InfluxError, Unavailable
from curbside.adapters.influx.sanitation_history import BinReadings
from curbside.adapters.records.engine import record_engine, session_factory
from curbside.adapters.records.migrate import upgrade
from curbside.city.registry import City, parse_city
from curbside.config.settings import load_settings
from curbside.domain.sanitation.collections import Emptied, Level
from curbside.vocabulary.alerts import Alert, AlertKind, AlertStatus, Domain, Subject
from tests.support import bearer

SHANGHAI = ZoneInfo("Asia/Shanghai")
DAY = date(2026, 11, 27)
NOW = datetime(2026, 11, 27, 8, 0, tzinfo=UTC)  # 16:00 in Shanghai


def local(hh: int, mm: int = 0, days: int = 0) -> datetime:
    """Local time on DAY (+ days), as the UTC instant."""
    at = datetime.combine(DAY + timedelta(days=days), time(hh, mm), tzinfo=SHANGHAI)
    return at.astimezone(UTC)


def _bin(bin_id: str, lon: float) -> dict[str, object]:
    return {"id": bin_id, "capacity_l": 240, "depth_cm": 100, "lat": 0.0, "lon": lon}


def make_city() -> City:
    # D2 (deadline 12:00, listed first) and D1 (19:00); one station at the origin.
    return parse_city(
        {
            "sanitation_districts": [
                {
                    "id": "D2",
                    "name": "West",
                    "clearance_deadline": "12:00",
                    "bins": [_bin("D2-B1", 0.003)],
                },
                {
                    "id": "D1",
                    "name": "East",
                    "clearance_deadline": "19:00",
                    "bins": [_bin("D1-B1", 0.001), _bin("D1-B2", 0.002), _bin("D1-B3", 0.004)],
                },
            ],
            "transfer_stations": [{"id": "S1", "name": "North", "lat": 0.0, "lon": 0.0}],
        }
    )


class FakeSanitation:
    """Answers like curbside.adapters.influx.sanitation_history.SanitationHistoryReader from fixed
    data."""

    def __init__(self) -> None:
        self.data: dict[str, BinReadings] = {}
        self.error: InfluxError | None = None
        self.calls: list[tuple[str, datetime, datetime, str | None]] = []

    def readings(
        self, district: str, start: datetime, end: datetime, *, bin_id: str | None = None
    ) -> BinReadings:
        self.calls.append((district, start, end, bin_id))
        if self.error is not None:
            raise self.error
        found = self.data.get(district, BinReadings())
        if bin_id is None:
            return found
        return BinReadings(
            levels={bin_id: found.levels.get(bin_id, [])},
            reports={bin_id: found.reports.get(bin_id, [])},
        )


class FakeAlerts:
    """Answers like the alert store's find()."""

    def __init__(self) -> None:
        self.alerts: list[Alert] = []
        self.calls: list[dict[str, Any]] = []

    def find(self, **filters: Any) -> list[Alert]:
        self.calls.append(filters)
        return self.alerts


@pytest.fixture
def history() -> FakeSanitation:
    return FakeSanitation()


@pytest.fixture
def desk() -> FakeAlerts:
    return FakeAlerts()


@pytest.fixture
def records(tmp_path: Path) -> Iterator[sessionmaker[Session]]:
    # An empty record store: no day is frozen, so every day here is judged from the readings
    # (the frozen days' answers are tested in tests/records/test_frozen_day_routes.py).
    engine = record_engine(f"sqlite:///{tmp_path / 'records.sqlite3'}")
    upgrade(engine)
    yield session_factory(engine)
    engine.dispose()


@pytest.fixture
def client(
    history: FakeSanitation,
    desk: FakeAlerts,
    records: sessionmaker[Session],
    keys_file: Path,
    admin_token: str,
) -> TestClient:
    # Not entered as a context manager: the lifespan (real clients) must not run.
    app = create_app(load_settings(api_keys_file=keys_file), make_city())
    app.dependency_overrides[get_records] = lambda: records
    app.dependency_overrides[get_sanitation_history] = lambda: history
    app.dependency_overrides[get_alerts] = lambda: desk
    app.dependency_overrides[get_now] = lambda: NOW
    return TestClient(app, headers=bearer(admin_token))


def levels(*points: tuple[datetime, float]) -> list[Level]:
    return [Level(ts, pct) for ts, pct in points]


def _loc(response: Any) -> list[list[str]]:
    return [e["loc"] for e in response.json()["detail"]]


def stock(history: FakeSanitation) -> None:
    """D1-B1 cleared on time, D1-B2 full and not cleared, D1-B3 empty; D2-B1 late."""
    history.data = {
        "D1": BinReadings(
            levels={
                "D1-B1": levels((local(23, 0, days=-1), 20), (local(9, 0), 70), (local(9, 10), 4)),
                "D1-B2": levels((local(8, 0), 5), (local(10, 0), 60), (local(15, 50), 81)),
                "D1-B3": levels((local(8, 0), 3)),
                "D9-X": levels((local(9, 0), 90)),  # not in the registry
            },
            reports={
                # The evening before's round: not the day's collection.
                "D1-B1": [Emptied(local(22, 0, days=-1), "T01"), Emptied(local(9, 5), "T03")],
            },
        ),
        "D2": BinReadings(
            levels={"D2-B1": levels((local(7, 0), 50), (local(13, 0), 55))},
            reports={"D2-B1": [Emptied(local(14, 0))]},
        ),
    }


# --- collections ------------------------------------------------------------------------


def test_collections_of_a_day_in_time_order(client: TestClient, history: FakeSanitation) -> None:
    stock(history)
    response = client.get("/api/v1/sanitation/collections", params={"date": "2026-11-27"})
    assert response.status_code == 200
    assert response.json() == [
        {
            "district": "D1",
            "bin": "D1-B1",
            "ts": "2026-11-27T01:05:00.000Z",
            "source": "both",
            "truck": "T03",
            "before_pct": 70.0,
            "after_pct": 4.0,
            "recorded": False,
        },
        {
            "district": "D2",
            "bin": "D2-B1",
            "ts": "2026-11-27T06:00:00.000Z",
            "source": "report",
            "truck": None,
            "before_pct": None,
            "after_pct": None,
            "recorded": False,
        },
    ]
    # The local day, [11-26 16:00, 11-27 16:00) UTC, per district in registry order.
    start, end = local(0), local(0, days=1)
    assert history.calls == [("D2", start, end, None), ("D1", start, end, None)]


def test_collections_of_one_district_or_bin(client: TestClient, history: FakeSanitation) -> None:
    stock(history)
    params = {"date": "2026-11-27", "district": "D2"}
    body = client.get("/api/v1/sanitation/collections", params=params).json()
    assert [c["bin"] for c in body] == ["D2-B1"]
    one = client.get("/api/v1/sanitation/collections", params={**params, "bin": "D2-B1"})
    assert [c["bin"] for c in one.json()] == ["D2-B1"]
    assert history.calls[-1][3] == "D2-B1"
    none = client.get(
        "/api/v1/sanitation/collections",
        params={"date": "2026-11-27", "district": "D1", "bin": "D1-B3"},
    )
    assert none.json() == []


def test_collections_refuses_bad_parameters(client: TestClient, history: FakeSanitation) -> None:
    url = "/api/v1/sanitation/collections"
    bin_alone = client.get(url, params={"date": "2026-11-27", "bin": "D1-B1"})
    assert bin_alone.status_code == 422
    assert _loc(bin_alone) == [["query", "bin"]]
    assert _loc(client.get(url, params={"date": "27.11.2026"})) == [["query", "date"]]
    assert _loc(client.get(url)) == [["query", "date"]]
    bad_id = client.get(url, params={"date": "2026-11-27", "district": "D 1"})
    assert bad_id.status_code == 422
    unknown = client.get(url, params={"date": "2026-11-27", "district": "D9"})
    assert unknown.status_code == 404
    assert unknown.json() == {"detail": "unknown district 'D9'"}
    wrong_bin = client.get(url, params={"date": "2026-11-27", "district": "D1", "bin": "D2-B1"})
    assert wrong_bin.status_code == 404
    assert history.calls == []


def test_database_down_is_503(client: TestClient, history: FakeSanitation) -> None:
    history.error = Unavailable("query failed: ConnectError: refused")
    for path in ("collections", "clearance"):
        response = client.get(f"/api/v1/sanitation/{path}", params={"date": "2026-11-27"})
        assert response.status_code == 503
        assert "ConnectError" in response.json()["detail"]
    assert client.get("/api/v1/sanitation/worklist").status_code == 503


# --- clearance --------------------------------------------------------------------------


def test_clearance_so_far_today(client: TestClient, history: FakeSanitation) -> None:
    stock(history)
    response = client.get("/api/v1/sanitation/clearance", params={"date": "2026-11-27"})
    assert response.status_code == 200
    # D2-B1: rubbish from midnight (its first reading), emptied 14:00 after the 12:00 deadline.
    # D1-B1: 20 % carried over (the 22:00 round came before the 23:00 reading), cleared 09:05.
    # D1-B2: rubbish from 10:00, not cleared yet. D1-B3: empty all day.
    assert response.json() == {
        "date": "2026-11-27",
        "complete": False,
        "frozen": False,
        "districts": [
            {
                "district": "D2",
                "deadline": "12:00",
                "needed": 1,
                "cleared": 1,
                "not_cleared": [],
                "late": ["D2-B1"],
                "clearance_rate": 1.0,
                "frozen": False,
                "corrections": [],
            },
            {
                "district": "D1",
                "deadline": "19:00",
                "needed": 2,
                "cleared": 1,
                "not_cleared": ["D1-B2"],
                "late": [],
                "clearance_rate": 0.5,
                "frozen": False,
                "corrections": [],
            },
        ],
        "city": {
            "needed": 3,
            "cleared": 2,
            "not_cleared": ["D1-B2"],
            "late": ["D2-B1"],
            "clearance_rate": 0.6667,
        },
    }


def test_clearance_of_a_past_day_and_one_district(
    client: TestClient, history: FakeSanitation
) -> None:
    response = client.get(
        "/api/v1/sanitation/clearance", params={"date": "2026-11-26", "district": "D1"}
    )
    assert response.status_code == 200
    body = response.json()
    assert body["complete"] is True
    assert body["districts"] == [
        {
            "district": "D1",
            "deadline": "19:00",
            "needed": 0,
            "cleared": 0,
            "not_cleared": [],
            "late": [],
            "clearance_rate": None,
            "frozen": False,
            "corrections": [],
        }
    ]
    assert body["city"]["clearance_rate"] is None
    assert history.calls == [("D1", local(0, days=-1), local(0), None)]
    assert (
        client.get(
            "/api/v1/sanitation/clearance", params={"date": "2026-11-27", "district": "X"}
        ).status_code
        == 404
    )


# --- worklist ---------------------------------------------------------------------------


def alert(kind: AlertKind, bin_id: str, minutes_ago: int, district: str = "D1") -> Alert:
    opened = NOW - timedelta(minutes=minutes_ago)
    return Alert(
        kind=kind,
        subject=Subject(Domain.SANITATION, district, bin_id),
        opened_at=opened,
        status=AlertStatus.OPEN,
        detail=f"{kind} detail",
        updated_at=opened,
    )


def test_worklist_order_shape_and_routes(
    client: TestClient, history: FakeSanitation, desk: FakeAlerts
) -> None:
    stock(history)
    desk.alerts = [
        alert(AlertKind.OVERFLOW_SOON, "D1-B3", 5),
        alert(AlertKind.FULL, "D1-B2", 20),  # also not cleared yet: listed once, as full
        alert(AlertKind.FIRE, "D1-B1", 1),
        alert(AlertKind.TILTED, "D2-B1", 1),  # not a reason to send a truck
        alert(AlertKind.FULL, "D1-B9", 1),  # not in the registry
    ]
    history.data["D2"] = BinReadings(levels={"D2-B1": levels((local(7, 0), 50))})
    response = client.get("/api/v1/sanitation/worklist")
    assert response.status_code == 200
    body = response.json()
    assert body["as_of"] == "2026-11-27T08:00:00.000Z"
    assert body["items"] == [
        {
            "district": "D1",
            "bin": "D1-B1",
            "reason": "fire",
            "detail": "fire detail",
            "message": None,  # an alert stored before codes
            "fill_pct": 4.0,
            "lat": 0.0,
            "lon": 0.001,
        },
        {
            "district": "D1",
            "bin": "D1-B2",
            "reason": "full",
            "detail": "full detail",
            "message": None,  # an alert stored before codes
            "fill_pct": 81.0,
            "lat": 0.0,
            "lon": 0.002,
        },
        {
            "district": "D1",
            "bin": "D1-B3",
            "reason": "overflow_soon",
            "detail": "overflow_soon detail",
            "message": None,  # an alert stored before codes
            "fill_pct": 3.0,
            "lat": 0.0,
            "lon": 0.004,
        },
        {
            "district": "D2",
            "bin": "D2-B1",
            "reason": "not_cleared",
            "detail": "rubbish since 00:00, not cleared by the 12:00 deadline",
            "message": {  # the same, as a code: times in UTC, the page shows them local
                "code": "bin.not_cleared.missed",
                "params": {"since": "2026-11-26T16:00:00Z", "deadline": "2026-11-27T04:00:00Z"},
            },
            "fill_pct": 50.0,
            "lat": 0.0,
            "lon": 0.003,
        },
    ]
    # Along the equator from the station at 0: 1, 2, 3, 4 thousandths of a degree, and back.
    [route] = body["routes"]
    assert route["station"] == "S1"
    assert route["stops"] == ["D1-B1", "D1-B2", "D2-B1", "D1-B3"]
    assert route["distance_m"] == pytest.approx(8 * 111.19, abs=1)
    assert desk.calls == [
        {
            "statuses": (AlertStatus.OPEN, AlertStatus.ACKNOWLEDGED),
            "domain": Domain.SANITATION,
            "group": None,
        }
    ]


def test_worklist_of_one_district_orders_by_deadline(
    client: TestClient, history: FakeSanitation, desk: FakeAlerts
) -> None:
    stock(history)
    desk.alerts = [alert(AlertKind.FULL, "D2-B1", 1, district="D2")]
    response = client.get("/api/v1/sanitation/worklist", params={"district": "D1"})
    assert response.status_code == 200
    body = response.json()
    assert [(i["bin"], i["reason"], i["detail"]) for i in body["items"]] == [
        ("D1-B2", "not_cleared", "rubbish since 10:00, deadline 19:00")
    ]
    assert desk.calls[0]["group"] == "D1"
    assert [c[0] for c in history.calls] == ["D1"]
    assert client.get("/api/v1/sanitation/worklist", params={"district": "D9"}).status_code == 404


def test_an_empty_worklist(client: TestClient) -> None:
    body = client.get("/api/v1/sanitation/worklist").json()
    assert (body["items"], body["routes"]) == ([], [])


def test_levels_of_one_bin_on_a_day(client: TestClient, history: FakeSanitation) -> None:
    stock(history)
    response = client.get(
        "/api/v1/sanitation/levels", params={"date": "2026-11-27", "district": "D1", "bin": "D1-B1"}
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["district"], body["bin"], body["date"]) == ("D1", "D1-B1", "2026-11-27")
    # The reading of the evening before is read (margin) but not the day's.
    assert [(lv["ts"], lv["fill_pct"]) for lv in body["levels"]] == [
        ("2026-11-27T01:00:00.000Z", 70.0),
        ("2026-11-27T01:10:00.000Z", 4.0),
    ]
    assert history.calls[-1][0] == "D1" and history.calls[-1][3] == "D1-B1"


@pytest.mark.parametrize(
    ("params", "status"),
    [
        ({"date": "2026-11-27", "district": "D1", "bin": "D2-B1"}, 404),
        ({"date": "2026-11-27", "district": "D9", "bin": "D1-B1"}, 404),
        ({"date": "2026-11-27", "district": "D1"}, 422),
        ({"date": "27.11.2026", "district": "D1", "bin": "D1-B1"}, 422),
    ],
)
def test_levels_refuses_bad_parameters(
    client: TestClient, params: dict[str, str], status: int
) -> None:
    assert client.get("/api/v1/sanitation/levels", params=params).status_code == status
