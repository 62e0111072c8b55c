"""Sessions (from a real record store), revenue and occupancy-history routes (with a fake
history where InfluxDB is)."""

from __future__ import annotations

import time
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session as DbSession
from sqlalchemy.orm import sessionmaker

from api.app import create_app
from api.deps import get_history, get_now
from api.routes.parking_history import parse_every
from curbside.adapters.influx.client import InfluxError, Unavailable
from curbside.adapters.records import zone_revisions
from curbside.adapters.records.engine import record_engine, session_factory
from curbside.adapters.records.migrate import upgrade
from curbside.adapters.records.models import Charge, ParkingSession
from curbside.city.registry import City, parse_city
from curbside.config.settings import load_settings
from curbside.domain.parking.charges import breakdown
from curbside.domain.parking.fees import compute_fee
from curbside.domain.parking.occupancy_history import OccupancyBucket
from curbside.domain.parking.sessions import MESSAGES_LOST, ONGOING, SENSOR_SILENT, Session
from tests.support import bearer

NOW = datetime(2026, 11, 27, 8, 0, tzinfo=UTC)  # 16:00 in Shanghai

# ¥2.50 per started half hour, all day, every day: fees easy to check by hand.
HALF_HOURLY = {
    "bands": [
        {
            "name": "all-day",
            "start": "00:00",
            "end": "00:00",
            "price": {
                "kind": "tiered",
                "partial": "round-up",
                "tiers": [{"unit_minutes": 30, "unit_fen": 250}],
            },
        }
    ]
}


def _spaces(*ids: str) -> list[dict[str, object]]:
    return [{"id": i, "lat": 29.87, "lon": 121.54} for i in ids]


def make_city() -> City:
    return parse_city(
        {
            "tariffs": {"t": HALF_HOURLY},
            "parking_zones": [
                {"id": "Z1", "name": "First Road", "tariff": "t", "spaces": _spaces("A-1", "A-2")},
                {"id": "Z2", "name": "Second Road", "tariff": "t", "spaces": _spaces("B-1")},
            ],
        }
    )


def at(minutes: float) -> datetime:
    return NOW + timedelta(minutes=minutes)


def stay(
    space: str, start: float, end: float | None, confirmed: float, *flags: str, zone: str = "Z1"
) -> Session:
    return Session(
        zone=zone,
        space=space,
        start=at(start),
        end=None if end is None else at(end),
        last_confirmed=at(confirmed),
        flags=frozenset(flags),
    )


class FakeHistory:
    """Answers like curbside.adapters.influx.history.HistoryReader from fixed sessions and
    buckets."""

    def __init__(self) -> None:
        self.stays: list[Session] = []
        self.buckets: list[OccupancyBucket] = []
        self.error: InfluxError | None = None
        self.calls: list[tuple[Any, ...]] = []

    def _check(self) -> None:
        if self.error is not None:
            raise self.error

    def sessions(
        self, zone: str, spaces: Sequence[str], start: datetime, end: datetime, *, now: datetime
    ) -> list[Session]:
        self.calls.append(("sessions", zone, list(spaces), start, end, now))
        self._check()
        return [
            s for s in self.stays if s.zone == zone and s.space in spaces and s.overlaps(start, end)
        ]

    def ended_sessions(
        self, zone: str, spaces: Sequence[str], start: datetime, end: datetime, *, now: datetime
    ) -> list[Session]:
        self.calls.append(("ended", zone, list(spaces), start, end, now))
        self._check()
        return [
            s
            for s in self.stays
            if s.zone == zone and s.end is not None and start <= s.end < end and s.space in spaces
        ]

    def occupancy(
        self,
        zone: str,
        spaces: Sequence[str],
        start: datetime,
        end: datetime,
        *,
        every: timedelta,
        now: datetime,
    ) -> list[OccupancyBucket]:
        self.calls.append(("occupancy", zone, list(spaces), start, end, every, now))
        self._check()
        return self.buckets


@pytest.fixture
def history() -> FakeHistory:
    return FakeHistory()


@pytest.fixture
def client(history: FakeHistory, keys_file: Path, admin_token: str) -> TestClient:
    # Not entered as a context manager: the lifespan (real clients) must not run.
    app = create_app(load_settings(api_keys_file=keys_file), make_city())
    app.dependency_overrides[get_history] = lambda: history
    app.dependency_overrides[get_now] = lambda: NOW
    return TestClient(app, headers=bearer(admin_token))


WINDOW = {"start": "2026-11-27T08:00:00+08:00", "end": "2026-11-27T17:00:00+08:00"}


def _loc(response: Any) -> list[list[str]]:
    return [e["loc"] for e in response.json()["detail"]]


# --- sessions: the record store's stays (a real SQLite file, migrated) -----------------


def record_store(tmp_path: Path, client: TestClient) -> sessionmaker[DbSession]:
    """A migrated SQLite record store, set where the app's lifespan would put it."""
    engine = record_engine(f"sqlite:///{tmp_path / 'records.db'}")
    upgrade(engine)
    factory = session_factory(engine)
    client.app.state.records = factory  # type: ignore[attr-defined]
    return factory


@pytest.fixture
def records(tmp_path: Path, client: TestClient) -> sessionmaker[DbSession]:
    return record_store(tmp_path, client)


def record(
    records: sessionmaker[DbSession], stay: Session, *, charged_fen: int | None = None
) -> None:
    """Keep ``stay`` as the recorder would: open while ongoing, else closed with a charge
    priced by the zone's tariff (or of ``charged_fen``, as an older tariff version would),
    and the zone's revision moved."""
    city = make_city()
    with records() as db, db.begin():
        row = ParkingSession(
            zone=stay.zone,
            space=stay.space,
            start=stay.start,
            end=stay.end,
            last_confirmed=stay.last_confirmed,
            flags=",".join(sorted(stay.flags - {ONGOING})),
            status="open" if stay.end is None else "closed",
            end_day=None if stay.end is None else stay.end.date(),
            duration_s=None if stay.end is None else stay.duration_s(NOW),
            revision=0,
            recorded_at=NOW,
            revised_at=NOW,
        )
        db.add(row)
        db.flush()
        zone_revisions.bump(db, [(stay.zone, stay.space)])
        if stay.end is None:
            return
        in_force = city.tariff_in_force(stay.zone, stay.start)
        fee = compute_fee(
            in_force.tariff, stay.start, stay.until(NOW), city.workday_calendar, city.tz
        )
        stored = breakdown(fee)
        if charged_fen is not None:
            stored = {**stored, "total_fen": charged_fen, "items": []}
        db.add(
            Charge(
                session_id=row.id,
                zone=stay.zone,
                kind="charge",
                amount_fen=stored["total_fen"],
                tariff_id="t",
                tariff_version=None,
                priced_from=stay.start,
                priced_until=stay.until(NOW),
                breakdown=stored,
                reason=None,
                reverses_id=None,
                business_day=stay.end.date(),
                recorded_at=NOW,
            )
        )


def test_sessions_shape_fees_and_flags(
    client: TestClient, records: sessionmaker[DbSession]
) -> None:
    record(records, stay("A-2", -120, -45, -50, MESSAGES_LOST))  # 75 min: 3 half hours
    record(records, stay("A-1", -30, None, -1, ONGOING))  # 30 min so far: 1 half hour
    record(records, stay("A-1", -600, -500, -501))  # ended before the window
    record(records, stay("B-1", -30, None, -1, ONGOING, zone="Z2"))  # another zone
    response = client.get("/api/v1/parking/sessions", params={"zone": "Z1", **WINDOW})
    assert response.status_code == 200
    assert response.json() == [
        {
            "space": "A-2",
            "zone": "Z1",
            "start": "2026-11-27T06:00:00.000Z",
            "end": "2026-11-27T07:15:00.000Z",
            "last_confirmed": "2026-11-27T07:10:00.000Z",
            "duration_s": 4500,
            "fee": {
                "fen": 750,
                "display": "¥7.50",
                "items": [
                    {
                        "band": "all-day",
                        "start": "2026-11-27T06:00:00.000Z",
                        "end": "2026-11-27T07:15:00.000Z",
                        "units": 3,
                        "unit_fen": 250,
                        "subtotal_fen": 750,
                        "description": "time parked: 3 × 30 min at ¥2.50",
                        "message": {
                            "code": "fee.tier.only",
                            "params": {
                                "units": 3,
                                "unit_minutes": 30,
                                "unit_fen": 250,
                                "day": "workday",  # 2026-11-27 is a Friday
                            },
                        },
                    }
                ],
                "cap_deduction_fen": 0,
                "grace_applied": False,
            },
            "flags": ["messages_lost"],
        },
        {
            "space": "A-1",
            "zone": "Z1",
            "start": "2026-11-27T07:30:00.000Z",
            "end": None,
            "last_confirmed": "2026-11-27T07:59:00.000Z",
            "duration_s": 1800,
            "fee": {
                "fen": 250,
                "display": "¥2.50",
                "items": [
                    {
                        "band": "all-day",
                        "start": "2026-11-27T07:30:00.000Z",
                        "end": "2026-11-27T08:00:00.000Z",
                        "units": 1,
                        "unit_fen": 250,
                        "subtotal_fen": 250,
                        "description": "time parked: 1 × 30 min at ¥2.50",
                        "message": {
                            "code": "fee.tier.only",
                            "params": {
                                "units": 1,
                                "unit_minutes": 30,
                                "unit_fen": 250,
                                "day": "workday",  # 2026-11-27 is a Friday
                            },
                        },
                    }
                ],
                "cap_deduction_fen": 0,
                "grace_applied": False,
            },
            "flags": ["ongoing"],
        },
    ]


def test_a_closed_stay_shows_the_charge_on_record(
    client: TestClient, records: sessionmaker[DbSession]
) -> None:
    # Priced when it closed by a tariff version since replaced: the record, not today's tariff.
    record(records, stay("A-1", -120, -45, -50), charged_fen=400)
    [body] = client.get("/api/v1/parking/sessions", params={"zone": "Z1", **WINDOW}).json()
    assert body["fee"]["fen"] == 400


def test_a_silent_session_is_billed_to_its_last_confirmation(
    client: TestClient, records: sessionmaker[DbSession]
) -> None:
    record(records, stay("A-1", -300, -230, -230, SENSOR_SILENT))  # 70 min: 3 half hours
    [body] = client.get("/api/v1/parking/sessions", params={"zone": "Z1", **WINDOW}).json()
    assert body["end"] == body["last_confirmed"] == "2026-11-27T04:10:00.000Z"
    assert body["duration_s"] == 70 * 60
    assert body["fee"]["fen"] == 750
    assert body["flags"] == ["sensor_silent"]


def test_sessions_of_one_space(client: TestClient, records: sessionmaker[DbSession]) -> None:
    record(records, stay("A-1", -30, -10, -11))
    record(records, stay("A-2", -30, -10, -11))
    response = client.get(
        "/api/v1/parking/sessions", params={"zone": "Z1", "space": "A-2", **WINDOW}
    )
    assert [s["space"] for s in response.json()] == ["A-2"]


def test_an_open_stay_in_a_zone_without_a_tariff_has_no_fee(
    tmp_path: Path, keys_file: Path, admin_token: str
) -> None:
    city = parse_city(
        {"parking_zones": [{"id": "Z1", "name": "x", "tariff": "t", "spaces": _spaces("A-1")}]}
    )
    app = create_app(load_settings(api_keys_file=keys_file), city)
    app.dependency_overrides[get_now] = lambda: NOW
    client = TestClient(app, headers=bearer(admin_token))
    factory = record_store(tmp_path, client)
    record(factory, stay("A-1", -30, None, -1, ONGOING))
    [body] = client.get("/api/v1/parking/sessions", params={"zone": "Z1", **WINDOW}).json()
    assert body["fee"] is None


def _sessions_client(
    tmp_path: Path, keys_file: Path, admin_token: str, clock: list[datetime], **settings: Any
) -> tuple[TestClient, sessionmaker[DbSession]]:
    """The app with "now" read from ``clock[0]`` and its own record store."""
    app = create_app(load_settings(api_keys_file=keys_file, **settings), make_city())
    app.dependency_overrides[get_now] = lambda: clock[0]
    client = TestClient(app, headers=bearer(admin_token))
    return client, record_store(tmp_path, client)


def test_a_sessions_answer_says_which_moment_it_is_as_of(
    tmp_path: Path, keys_file: Path, admin_token: str
) -> None:
    clock = [NOW]
    client, factory = _sessions_client(tmp_path, keys_file, admin_token, clock)
    record(factory, stay("A-1", -30, None, -1, ONGOING))
    first = client.get("/api/v1/parking/sessions", params={"zone": "Z1", **WINDOW})
    assert (first.headers["X-Curbside-As-Of"], first.headers["Age"]) == (
        "2026-11-27T08:00:00.000Z",
        "0",
    )
    record(factory, stay("A-2", -20, None, -1, ONGOING))
    clock[0] = NOW + timedelta(seconds=3)
    second = client.get("/api/v1/parking/sessions", params={"zone": "Z1", **WINDOW})
    # Well within the 10 s maximum age: the last answer again, saying how old it is.
    assert second.content == first.content
    assert (second.headers["X-Curbside-As-Of"], second.headers["Age"]) == (
        "2026-11-27T08:00:00.000Z",
        "3",
    )


def test_a_sessions_answer_is_never_older_than_the_maximum_age(
    tmp_path: Path, keys_file: Path, admin_token: str
) -> None:
    clock = [NOW]
    client, factory = _sessions_client(
        tmp_path,
        keys_file,
        admin_token,
        clock,
        api_sessions_refresh_s=0.001,
        api_sessions_max_age_s=0.002,
    )
    record(factory, stay("A-1", -30, None, -1, ONGOING))
    first = client.get("/api/v1/parking/sessions", params={"zone": "Z1", **WINDOW})
    assert [s["space"] for s in first.json()] == ["A-1"]
    record(factory, stay("A-2", -20, None, -1, ONGOING))
    clock[0] = NOW + timedelta(seconds=3)
    time.sleep(0.01)  # the first answer is now past its 2 ms maximum age
    second = client.get("/api/v1/parking/sessions", params={"zone": "Z1", **WINDOW})
    assert [s["space"] for s in second.json()] == ["A-1", "A-2"]
    assert (second.headers["X-Curbside-As-Of"], second.headers["Age"]) == (
        "2026-11-27T08:00:03.000Z",
        "0",
    )


@pytest.mark.parametrize(
    ("params", "status", "where"),
    [
        ({"zone": "Z9", **WINDOW}, 404, None),
        ({"zone": "Z1", "space": "B-1", **WINDOW}, 404, None),  # a space of another zone
        ({"zone": "Z1", "space": "A-9", **WINDOW}, 404, None),
        ({"zone": "Z 1", **WINDOW}, 422, ["query", "zone"]),
        ({"zone": "Z1", "end": WINDOW["end"]}, 422, ["query", "start"]),
        ({"zone": "Z1", **WINDOW, "start": "2026-11-27T08:00:00"}, 422, ["query", "start"]),
        ({"zone": "Z1", **WINDOW, "start": "1795737600"}, 422, ["query", "start"]),
        ({"zone": "Z1", **WINDOW, "start": "2026-11-31T08:00:00Z"}, 422, ["query", "start"]),
        ({"zone": "Z1", **WINDOW, "end": "yesterday"}, 422, ["query", "end"]),
        ({"zone": "Z1", **WINDOW, "end": WINDOW["start"]}, 422, ["query", "end"]),
        ({"zone": "Z1", **WINDOW, "end": "2026-12-29T08:00:00+08:00"}, 422, ["query", "end"]),
    ],
)
def test_sessions_refuse_bad_parameters(
    client: TestClient,
    records: sessionmaker[DbSession],
    params: dict[str, str],
    status: int,
    where: list[str] | None,
) -> None:
    response = client.get("/api/v1/parking/sessions", params=params)
    assert response.status_code == status, response.text
    if where is not None:
        assert where in _loc(response)
    else:
        assert "unknown" in response.json()["detail"]


def test_a_31_day_window_is_allowed(client: TestClient, records: sessionmaker[DbSession]) -> None:
    params = {"zone": "Z1", "start": "2026-10-27T08:00:00Z", "end": "2026-11-27T08:00:00Z"}
    assert client.get("/api/v1/parking/sessions", params=params).status_code == 200


# --- revenue ----------------------------------------------------------------------------


def test_revenue_of_a_local_day_per_zone_and_in_total(
    client: TestClient, history: FakeHistory
) -> None:
    # 2026-11-27 in Shanghai is [2026-11-26T16:00Z, 2026-11-27T16:00Z).
    history.stays = [
        stay("A-1", -600, -570, -575),  # 30 min: ¥2.50
        # Across local midnight, where the all-day band starts again: 40 + 35 min, ¥10.00.
        stay("A-2", -1000, -925, -930, SENSOR_SILENT),
        # Ended 2026-11-26T16:30Z, on the 27th locally: 40 + 30 min, ¥7.50.
        stay("A-1", -1000, -930, -940),
        stay("A-2", -2000, -1000, -1001),  # ended 2026-11-26T15:20Z: the 26th, local
        stay("A-1", -30, None, -1, ONGOING),  # not ended
        stay("B-1", -60, -1, -2, zone="Z2"),  # 59 min: ¥5.00
    ]
    response = client.get("/api/v1/parking/revenue", params={"date": "2026-11-27"})
    assert response.status_code == 200
    assert response.json() == {
        "date": "2026-11-27",
        "zones": [
            {
                "zone": "Z1",
                "name": "First Road",
                "names": {"zh": "First Road", "en": "First Road"},
                "sessions": 3,
                "flagged_sessions": 1,
                "revenue_fen": 250 + 1000 + 750,
                "revenue_display": "¥20.00",
            },
            {
                "zone": "Z2",
                "name": "Second Road",
                "names": {"zh": "Second Road", "en": "Second Road"},
                "sessions": 1,
                "flagged_sessions": 0,
                "revenue_fen": 500,
                "revenue_display": "¥5.00",
            },
        ],
        "total": {
            "sessions": 4,
            "flagged_sessions": 1,
            "revenue_fen": 2500,
            "revenue_display": "¥25.00",
        },
    }
    day = (datetime(2026, 11, 26, 16, tzinfo=UTC), datetime(2026, 11, 27, 16, tzinfo=UTC))
    assert history.calls == [
        ("ended", "Z1", ["A-1", "A-2"], *day, NOW),
        ("ended", "Z2", ["B-1"], *day, NOW),
    ]


def test_revenue_of_one_zone(client: TestClient, history: FakeHistory) -> None:
    response = client.get("/api/v1/parking/revenue", params={"date": "2026-11-27", "zone": "Z2"})
    assert response.status_code == 200
    assert [z["zone"] for z in response.json()["zones"]] == ["Z2"]
    assert response.json()["total"]["revenue_display"] == "¥0.00"


@pytest.mark.parametrize(
    ("params", "status"),
    [
        ({"date": "2026-11-27", "zone": "Z9"}, 404),
        ({"date": "2026-02-30"}, 422),
        ({"date": "20261127"}, 422),
        ({"date": "2026-11-27T00:00:00Z"}, 422),
        ({}, 422),
    ],
)
def test_revenue_refuses_bad_parameters(
    client: TestClient, params: dict[str, str], status: int
) -> None:
    response = client.get("/api/v1/parking/revenue", params=params)
    assert response.status_code == status
    if status == 422:
        assert ["query", "date"] in _loc(response)


# --- occupancy history ------------------------------------------------------------------


def bucket(
    start: float, minutes: float, mean: float, capacity: int = 2, known: float = 2.0
) -> OccupancyBucket:
    return OccupancyBucket(at(start), at(start + minutes), mean, capacity, known)


def test_occupancy_history_shape(client: TestClient, history: FakeHistory) -> None:
    history.buckets = [bucket(-60, 30, 1.0 / 3), bucket(-30, 30, 2.0), bucket(0, 30, 0.0, known=0)]
    params = {"zone": "Z1", "start": "2026-11-27T07:00:00Z", "end": "2026-11-27T09:00:00Z"}
    response = client.get("/api/v1/parking/occupancy/history", params={**params, "every": "30m"})
    assert response.status_code == 200
    assert response.json() == {
        "zone": "Z1",
        "capacity": 2,
        "every": "30m",
        "buckets": [
            {
                "start": "2026-11-27T07:00:00.000Z",
                "end": "2026-11-27T07:30:00.000Z",
                "occupied_mean": 0.3333,
                "occupancy_rate": 0.1667,
            },
            {
                "start": "2026-11-27T07:30:00.000Z",
                "end": "2026-11-27T08:00:00.000Z",
                "occupied_mean": 2.0,
                "occupancy_rate": 1.0,
            },
            # No sensor reported: a gap, not 0 %.
            {
                "start": "2026-11-27T08:00:00.000Z",
                "end": "2026-11-27T08:30:00.000Z",
                "occupied_mean": None,
                "occupancy_rate": None,
            },
        ],
    }
    assert history.calls == [
        ("occupancy", "Z1", ["A-1", "A-2"], at(-60), at(60), timedelta(minutes=30), NOW)
    ]


def test_occupancy_history_every_defaults_to_15_minutes(
    client: TestClient, history: FakeHistory
) -> None:
    response = client.get("/api/v1/parking/occupancy/history", params={"zone": "Z1", **WINDOW})
    assert response.status_code == 200
    assert history.calls[0][5] == timedelta(minutes=15)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1m", timedelta(minutes=1)),
        ("5m", timedelta(minutes=5)),
        ("15m", timedelta(minutes=15)),
        ("90m", timedelta(minutes=90)),
        ("1h", timedelta(hours=1)),
        ("24h", timedelta(days=1)),
        ("1d", timedelta(days=1)),
        ("0m", None),
        ("25h", None),
        ("2d", None),
        ("15", None),
        ("1.5h", None),
        ("m", None),
        ("01h", None),
        ("15s", None),
        (" 15m", None),
        ("15M", None),
    ],
)
def test_parse_every(text: str, expected: timedelta | None) -> None:
    assert parse_every(text) == expected


@pytest.mark.parametrize(
    ("params", "status", "where"),
    [
        ({"zone": "Z9", **WINDOW}, 404, None),
        ({"zone": "Z1", **WINDOW, "every": "2d"}, 422, ["query", "every"]),
        ({"zone": "Z1", **WINDOW, "every": "fortnightly"}, 422, ["query", "every"]),
        ({"zone": "Z1", "end": WINDOW["end"]}, 422, ["query", "start"]),
        ({"zone": "Z1", **WINDOW, "end": "2026-11-27T07:00:00+08:00"}, 422, ["query", "end"]),
        ({"zone": "Z1", **WINDOW, "end": "2027-01-27T07:00:00+08:00"}, 422, ["query", "end"]),
        # 31 days in minutes is more buckets than an answer should hold.
        (
            {
                "zone": "Z1",
                "start": "2026-10-27T00:00:00Z",
                "end": "2026-11-27T00:00:00Z",
                "every": "1m",
            },
            422,
            ["query", "every"],
        ),
    ],
)
def test_occupancy_history_refuses_bad_parameters(
    client: TestClient,
    history: FakeHistory,
    params: dict[str, str],
    status: int,
    where: list[str] | None,
) -> None:
    response = client.get("/api/v1/parking/occupancy/history", params=params)
    assert response.status_code == status, response.text
    if where is not None:
        assert where in _loc(response)
    assert history.calls == []


def test_busiest_hours_rank_local_hours(client: TestClient, history: FakeHistory) -> None:
    # Local 2026-11-27 00:00 is 2026-11-26T16:00Z; three hours so far for this test, a fourth
    # without data and a fifth still running (one minute old): neither is ranked.
    local_midnight = datetime(2026, 11, 26, 16, tzinfo=UTC)
    history.buckets = [
        OccupancyBucket(
            local_midnight + timedelta(hours=h),
            local_midnight + timedelta(hours=h, minutes=length),
            m,
            2,
            known,
        )
        for h, m, length, known in [
            (0, 0.5, 60, 2.0),
            (1, 1.5, 60, 2.0),
            (2, 0.5, 60, 1.0),
            (3, 0.0, 60, 0.0),
            (4, 2.0, 1, 2.0),
        ]
    ]
    response = client.get(
        "/api/v1/parking/occupancy/busiest-hours", params={"zone": "Z1", "date": "2026-11-27"}
    )
    assert response.status_code == 200
    body = response.json()
    assert {k: body[k] for k in ("zone", "date", "capacity")} == {
        "zone": "Z1",
        "date": "2026-11-27",
        "capacity": 2,
    }
    assert [
        (h["rank"], h["hour"], h["occupied_mean"], h["occupancy_rate"]) for h in body["hours"]
    ] == [
        (1, 1, 1.5, 0.75),
        (2, 0, 0.5, 0.25),
        (3, 2, 0.5, 0.25),
    ]
    assert body["hours"][0]["start"] == "2026-11-26T17:00:00.000Z"
    assert history.calls == [
        (
            "occupancy",
            "Z1",
            ["A-1", "A-2"],
            local_midnight,
            local_midnight + timedelta(days=1),
            timedelta(hours=1),
            NOW,
        )
    ]


@pytest.mark.parametrize(
    ("params", "status"),
    [
        ({"zone": "Z9", "date": "2026-11-27"}, 404),
        ({"zone": "Z1", "date": "27/11/2026"}, 422),
        ({"zone": "Z1"}, 422),
    ],
)
def test_busiest_hours_refuse_bad_parameters(
    client: TestClient, params: dict[str, str], status: int
) -> None:
    assert (
        client.get("/api/v1/parking/occupancy/busiest-hours", params=params).status_code == status
    )


def test_history_answers_503_when_the_database_fails(
    client: TestClient, history: FakeHistory
) -> None:
    history.error = Unavailable("query failed: ReadTimeout")
    response = client.get("/api/v1/parking/occupancy/history", params={"zone": "Z1", **WINDOW})
    assert response.status_code == 503
    busiest = client.get(
        "/api/v1/parking/occupancy/busiest-hours", params={"zone": "Z1", "date": "2026-11-27"}
    )
    assert busiest.status_code == 503
    assert client.get("/api/v1/parking/revenue", params={"date": "2026-11-27"}).status_code == 503
