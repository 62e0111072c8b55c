"""Parking history against the real InfluxDB: sessions, occupancy over time, a day's revenue.

Every test writes known status reports into its own database and compares what the store and
the API make of them with answers worked out by hand.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from api.deps import get_now
from curbside.adapters.influx.client import InfluxClient
from curbside.adapters.influx.history import HistoryReader
from curbside.adapters.influx.schema import to_line
from curbside.city.registry import City, parse_city
from curbside.config.settings import Settings
from curbside.domain.parking.fees import compute_fee
from curbside.domain.parking.sessions import (
    MESSAGES_LOST,
    SENSOR_SILENT,
    START_UNKNOWN,
    Session,
    SessionRules,
)
from curbside.vocabulary.readings import SpaceStatus
from tests.support import admin_client

pytestmark = pytest.mark.integration

HEARTBEAT = timedelta(minutes=10)
HOUR = timedelta(hours=1)
RULES = SessionRules(debounce=timedelta(seconds=60), silent_after=HOUR)

# Day band ¥2.50 per started half hour after 15 free minutes, night ¥5 per stay.
TARIFF = {
    "grace": {"minutes": 15, "charged_when_exceeded": False},
    "bands": [
        {
            "name": "day",
            "start": "08:00",
            "end": "20:00",
            "price": {
                "kind": "tiered",
                "partial": "round-up",
                "tiers": [{"unit_minutes": 30, "unit_fen": 250}],
            },
        },
        {"name": "night", "start": "20:00", "end": "08:00", "price": {"kind": "flat", "fen": 500}},
    ],
}

CITY = parse_city(
    {
        "timezone": "Asia/Shanghai",
        "tariffs": {"t": TARIFF},
        "parking_zones": [
            {
                "id": "Z1",
                "name": "First Road",
                "tariff": "t",
                "spaces": [{"id": f"A-{n}", "lat": 0, "lon": 0} for n in (1, 2, 3, 4)],
            },
            {
                "id": "Z2",
                "name": "Second Road",
                "tariff": "t",
                "spaces": [{"id": "B-1", "lat": 0, "lon": 0}],
            },
        ],
    }
)


def t(text: str) -> datetime:
    """A UTC time on 2026-11-10 ("10:45") or another day ("11-11 01:00")."""
    day, _, clock = text.rpartition(" ")
    month_day = day or "11-10"
    parts = [int(p) for p in clock.split(":")]
    hour, minute, second = (*parts, 0)[:3]
    month, dom = (int(p) for p in month_day.split("-"))
    return datetime(2026, month, dom, hour, minute, second, tzinfo=UTC)


def status(space: str, when: str, occupied: bool, seq: int | None = None) -> SpaceStatus:
    zone = "Z2" if space.startswith("B") else "Z1"
    return SpaceStatus(zone, space, occupied, t(when), seq=seq)


def heartbeats(space: str, first: str, last: str, occupied: bool) -> list[SpaceStatus]:
    """Reports every 10 minutes from ``first`` to ``last`` inclusive."""
    zone = "Z2" if space.startswith("B") else "Z1"
    out, at = [], t(first)
    while at <= t(last):
        out.append(SpaceStatus(zone, space, occupied, at))
        at += HEARTBEAT
    return out


def write(influx: InfluxClient, *reports: SpaceStatus | list[SpaceStatus]) -> None:
    lines: list[str] = []
    for item in reports:
        lines.extend(to_line(r) for r in (item if isinstance(item, list) else [item]))
    influx.write(lines)


def stay(space: str, start: str, end: str | None, confirmed: str, *flags: str) -> Session:
    zone = "Z2" if space.startswith("B") else "Z1"
    return Session(
        zone=zone,
        space=space,
        start=t(start),
        end=None if end is None else t(end),
        last_confirmed=t(confirmed),
        flags=frozenset(flags),
    )


@contextmanager
def running(settings: Settings, now: datetime, city: City = CITY) -> Iterator[TestClient]:
    app = create_app(settings.replace(space_stale_after_s=3600), city)
    app.dependency_overrides[get_now] = lambda: now
    with admin_client(app, settings) as client:
        yield client


def json_time(ts: datetime | None) -> str | None:
    # Written out by hand rather than with the API's own formatter.
    return None if ts is None else ts.strftime("%Y-%m-%dT%H:%M:%S.000Z")


def write_sessions_scenario(influx: InfluxClient) -> None:
    write(
        influx,
        # parked at 06:00, long before the window [10:00, 12:00), left at 10:45.
        status("A-1", "05:50", False),
        heartbeats("A-1", "06:00", "10:40", True),
        heartbeats("A-1", "10:45", "13:55", False),
        # a blink of vacancy under the car (20 s), then a car driving over (10 s); a
        # counter gap while parked: the stay is flagged.
        status("A-2", "09:00", False, seq=1),
        status("A-2", "09:30", False, seq=2),
        status("A-2", "10:00", False, seq=3),
        status("A-2", "10:05", True, seq=4),
        status("A-2", "10:15", True, seq=5),
        status("A-2", "10:30", False, seq=6),
        status("A-2", "10:30:20", True, seq=7),
        status("A-2", "10:40", True, seq=11),
        status("A-2", "11:00", False, seq=12),
        status("A-2", "11:20", True, seq=13),
        status("A-2", "11:20:10", False, seq=14),
        # parked just before the window ends and left after it (found by reading on).
        status("A-3", "11:40", False),
        heartbeats("A-3", "11:50", "13:00", True),
        status("A-3", "13:05", False),
        # the sensor went silent under a car.
        status("A-4", "10:00", False),
        status("A-4", "10:10", True),
        status("A-4", "10:20", True),
        # B-1 is another zone's; A-9 is not in the registry.
        heartbeats("B-1", "10:00", "11:00", True),
        heartbeats("A-9", "10:00", "11:00", True),
    )


EXPECTED_SESSIONS = [
    stay("A-1", "06:00", "10:45", "10:40"),
    stay("A-2", "10:05", "11:00", "10:40", MESSAGES_LOST),
    stay("A-4", "10:10", "10:20", "10:20", SENSOR_SILENT),
    stay("A-3", "11:50", "13:05", "13:00"),
]


def test_sessions_from_the_store(influx: InfluxClient) -> None:
    write_sessions_scenario(influx)
    reader = HistoryReader(influx, RULES, HOUR)
    spaces = ["A-1", "A-2", "A-3", "A-4"]
    found = reader.sessions("Z1", spaces, t("10:00"), t("12:00"), now=t("14:00"))
    assert found == EXPECTED_SESSIONS

    # One space, and a window the long stay of A-1 only reaches into.
    assert reader.sessions("Z1", ["A-1"], t("10:44"), t("10:50"), now=t("14:00")) == [
        EXPECTED_SESSIONS[0]
    ]
    # Seen at 12:30, A-3's stay is ongoing and A-4's sensor not yet silent for an hour.
    early = reader.sessions("Z1", spaces, t("10:00"), t("12:00"), now=t("12:30"))
    assert [(s.space, s.end, sorted(s.flags)) for s in early if s.space in {"A-3", "A-4"}] == [
        ("A-4", t("10:20"), [SENSOR_SILENT]),
        ("A-3", None, ["ongoing"]),
    ]


def test_a_stay_longer_than_the_search_has_an_unknown_start(influx: InfluxClient) -> None:
    # Parked for eight days, longer than the store looks back (seven days before the margin).
    write(
        influx,
        status("A-1", "11-01 23:00", False),
        heartbeats("A-1", "11-02 00:00", "11-10 11:00", True),
        status("A-1", "11:05", False),
    )
    reader = HistoryReader(influx, RULES, HOUR)
    [found] = reader.sessions("Z1", ["A-1"], t("10:00"), t("12:00"), now=t("14:00"))
    assert found.end == t("11:05")
    assert found.flags == {START_UNKNOWN}
    assert t("11-03 08:00") <= found.start <= t("11-03 09:00")  # 7 days + 1 h before 10:00


def test_observations_by_space_with_their_counters(influx: InfluxClient) -> None:
    write_sessions_scenario(influx)
    reader = HistoryReader(influx, RULES, HOUR)
    found = reader.observations("Z1", t("10:30"), t("10:41"), space="A-2")
    assert [(o.ts, o.occupied, o.seq) for o in found["A-2"]] == [
        (t("10:30"), False, 6),
        (t("10:30:20"), True, 7),
        (t("10:40"), True, 11),
    ]
    assert set(reader.observations("Z1", t("10:00"), t("10:01"))) == {"A-1", "A-2", "A-4", "A-9"}
    with pytest.raises(ValueError, match="31 days"):
        reader.observations("Z1", t("10:00"), t("10:00") + timedelta(days=32))


def write_occupancy_scenario(influx: InfluxClient) -> None:
    write(
        influx,
        # A-1 occupied until 10:20 (heartbeats keep it from going stale); B: A-2 from 10:30.
        heartbeats("A-1", "09:15", "10:15", True),
        status("A-1", "10:20", False),
        status("A-2", "09:50", False),
        heartbeats("A-2", "10:30", "10:50", True),
        status("A-2", "11:00", False),
        # A-3 from 10:10:30 to 10:40.
        status("A-3", "10:10:30", True),
        status("A-3", "10:40", False),
        # A-4 reported once, at 07:00: occupied for the hour after, then unknown (stale).
        status("A-4", "07:00", True),
        # Not this zone's spaces.
        heartbeats("B-1", "09:00", "11:00", True),
        heartbeats("A-9", "09:00", "11:00", True),
    )


def test_occupancy_history_is_time_weighted(settings: Settings, influx: InfluxClient) -> None:
    write_occupancy_scenario(influx)
    params = {"zone": "Z1", "start": "2026-11-10T10:00:00Z", "end": "2026-11-10T11:00:00Z"}
    with running(settings, t("14:00")) as client:
        response = client.get("/api/v1/parking/occupancy/history", params=params)
        assert response.status_code == 200
        body = response.json()
        assert (body["zone"], body["capacity"], body["every"]) == ("Z1", 4, "15m")
        # By hand, in occupied minutes per 15: 10:00 A-1 15 + A-3 4.5; 10:15 A-1 5 + A-3 15;
        # 10:30 A-2 15 + A-3 10; 10:45 A-2 15.
        minutes = [19.5, 20, 25, 15]
        assert [(b["start"], b["end"]) for b in body["buckets"]] == [
            (json_time(t(f"10:{m:02d}")), json_time(t(f"10:{m:02d}") + timedelta(minutes=15)))
            for m in (0, 15, 30, 45)
        ]
        assert [b["occupied_mean"] for b in body["buckets"]] == [round(m / 15, 4) for m in minutes]
        assert [b["occupancy_rate"] for b in body["buckets"]] == [
            round(m / 15 / 4, 4) for m in minutes
        ]

        hourly = client.get("/api/v1/parking/occupancy/history", params={**params, "every": "1h"})
        assert [b["occupied_mean"] for b in hourly.json()["buckets"]] == [round(79.5 / 60, 4)]

        # Local 2026-11-10 is [11-09 16:00, 11-10 16:00) UTC; hours after now (14:00) are left out.
        busiest = client.get(
            "/api/v1/parking/occupancy/busiest-hours", params={"zone": "Z1", "date": "2026-11-10"}
        )
        assert busiest.status_code == 200
        hours = busiest.json()["hours"]
        # 10:00 UTC is 18:00 local (79.5 occupied minutes), 07:00 UTC 15:00 (A-4 until it
        # went stale), 09:00 UTC 17:00 (A-1 45 min), 11:00 UTC 19:00 (known vacant
        # and A-3 reported vacancy within the staleness limit). In every other hour no space's
        # status was known: no data, so not ranked (as 0 % it used to be).
        assert [(h["rank"], h["hour"], h["occupied_mean"]) for h in hours] == [
            (1, 18, round(79.5 / 60, 4)),
            (2, 15, 1.0),
            (3, 17, 0.75),
            (4, 19, 0.0),
        ]


def test_revenue_of_a_local_day(settings: Settings, influx: InfluxClient) -> None:
    # Local 2026-11-10 is [11-09 16:00, 11-10 16:00) UTC.
    write(
        influx,
        # Parked over local midnight, left in the morning: the 10th's.
        status("A-1", "11-09 14:50", False),
        heartbeats("A-1", "11-09 15:00", "11-10 00:50", True),
        status("A-1", "11-10 01:00", False),
        # Left at 23:30 local on the 9th: the 9th's.
        status("A-2", "11-09 13:50", False),
        heartbeats("A-2", "11-09 14:00", "11-09 15:20", True),
        status("A-2", "11-09 15:30", False),
        # A counter gap: counted and flagged.
        status("A-3", "02:50", False, seq=1),
        status("A-3", "03:00", True, seq=2),
        status("A-3", "04:00", True, seq=5),
        status("A-3", "04:50", False, seq=6),
        # Left after local midnight: the 11th's.
        status("A-4", "14:50", False),
        heartbeats("A-4", "15:00", "16:30", True),
        status("A-4", "16:40", False),
        # Z2: the sensor fell silent under a car: billed to its last report, flagged.
        status("B-1", "05:50", False),
        heartbeats("B-1", "06:00", "06:40", True),
    )
    expected = {
        "Z1": [
            stay("A-1", "11-09 15:00", "01:00", "00:50"),
            stay("A-3", "03:00", "04:50", "04:00", MESSAGES_LOST),
        ],
        "Z2": [stay("B-1", "06:00", "06:40", "06:40", SENSOR_SILENT)],
    }
    reader = HistoryReader(influx, RULES, HOUR)
    day = (t("11-09 16:00"), t("11-10 16:00"))
    for zone, stays in expected.items():
        spaces = [s.id for s in CITY.parking_zones[0 if zone == "Z1" else 1].spaces]
        assert reader.ended_sessions(zone, spaces, *day, now=t("11-11 04:00")) == stays

    def fee(session: Session) -> int:
        assert session.end is not None
        tariff = CITY.tariff_for_zone(session.zone)
        return compute_fee(
            tariff, session.start, session.end, CITY.workday_calendar, CITY.tz
        ).total_fen

    z1 = sum(fee(s) for s in expected["Z1"])
    z2 = sum(fee(s) for s in expected["Z2"])
    # Hand check of one: A-3 11:00-12:50 local, 110 min, the first 15 free: 4 half hours.
    assert fee(expected["Z1"][1]) == 4 * 250
    with running(settings, t("11-11 04:00")) as client:
        response = client.get("/api/v1/parking/revenue", params={"date": "2026-11-10"})
        assert response.status_code == 200
        body: dict[str, Any] = response.json()
    assert body["date"] == "2026-11-10"
    assert body["zones"] == [
        {
            "zone": "Z1",
            "name": "First Road",
            "names": {"zh": "First Road", "en": "First Road"},  # a plain name stands for both
            "sessions": 2,
            "flagged_sessions": 1,
            "revenue_fen": z1,
            "revenue_display": f"¥{z1 // 100}.{z1 % 100:02d}",
        },
        {
            "zone": "Z2",
            "name": "Second Road",
            "names": {"zh": "Second Road", "en": "Second Road"},  # a plain name stands for both
            "sessions": 1,
            "flagged_sessions": 1,
            "revenue_fen": z2,
            "revenue_display": f"¥{z2 // 100}.{z2 % 100:02d}",
        },
    ]
    assert body["total"]["revenue_fen"] == z1 + z2
    assert body["total"]["sessions"] == 3
