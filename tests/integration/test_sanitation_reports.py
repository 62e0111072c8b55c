"""Bin history against the real InfluxDB: a day's collections, its clearance, the worklist.

Every test writes known fill readings and emptied reports into its own database and compares
what the store and the API make of them with answers worked out by hand (docs/clearance.md).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from api.deps import get_now
from curbside.adapters.influx.alerts import AlertStore
from curbside.adapters.influx.client import InfluxClient
from curbside.adapters.influx.sanitation_history import SanitationHistoryReader
from curbside.adapters.influx.schema import to_line
from curbside.city.registry import parse_city
from curbside.config.settings import Settings
from curbside.domain.sanitation.collections import Emptied, Level
from curbside.vocabulary.alerts import Alert, AlertKind, AlertStatus, Domain, Subject
from curbside.vocabulary.readings import BinEmptied, BinLevel
from tests.support import admin_client

pytestmark = pytest.mark.integration

SHANGHAI = ZoneInfo("Asia/Shanghai")
DAY = date(2026, 11, 27)
METRES_PER_MILLIDEGREE = 111.19493  # of latitude, on the API's 6,371 km sphere


def _bin(bin_id: str, lat: float) -> dict[str, object]:
    return {"id": bin_id, "capacity_l": 240, "depth_cm": 100, "lat": lat, "lon": 121.54}


# Bins north of the station on one meridian, 1-4 thousandths of a degree away.
CITY = parse_city(
    {
        "timezone": "Asia/Shanghai",
        "sanitation_districts": [
            {
                "id": "D1",
                "name": "East",
                "clearance_deadline": "19:00",
                "bins": [
                    _bin("D1-ONTIME", 29.874),
                    _bin("D1-LATE", 29.873),
                    _bin("D1-NOT", 29.872),
                    _bin("D1-NEVER", 29.871),
                ],
            },
            {
                "id": "D2",
                "name": "West",
                "clearance_deadline": "08:00",
                "bins": [_bin("D2-SILENT", 29.875)],
            },
        ],
        "transfer_stations": [{"id": "S1", "name": "North", "lat": 29.87, "lon": 121.54}],
        "trucks": [{"id": "T03", "station": "S1"}],
    }
)


def local(clock: str, days: int = 0) -> datetime:
    """Local "HH:MM" on DAY (+ days), as the UTC instant stored."""
    hh, mm = (int(p) for p in clock.split(":"))
    at = datetime.combine(DAY + timedelta(days=days), time(hh, mm), tzinfo=SHANGHAI)
    return at.astimezone(UTC)


def fill(bin_id: str, clock: str, pct: float, days: int = 0) -> str:
    return to_line(BinLevel("D1", bin_id, fill_pct=pct, ts=local(clock, days)))


def emptied(bin_id: str, clock: str, truck: str | None = None, days: int = 0) -> str:
    return to_line(BinEmptied("D1", bin_id, ts=local(clock, days), truck=truck))


def write_day(influx: InfluxClient) -> None:
    influx.write(
        [
            # Rubbish carried over midnight, emptied at 06:25 by T03 (the drop shows at 06:20,
            # and the report within 30 minutes makes it one collection, timed at the report).
            fill("D1-ONTIME", "23:50", 45, days=-1),
            fill("D1-ONTIME", "00:10", 46),
            fill("D1-ONTIME", "06:20", 2),
            emptied("D1-ONTIME", "06:25", "T03"),
            fill("D1-ONTIME", "12:00", 5),
            # Rubbish from 10:00, emptied at 19:35, after the deadline.
            fill("D1-LATE", "06:00", 2),
            fill("D1-LATE", "10:00", 50),
            fill("D1-LATE", "18:50", 55),
            emptied("D1-LATE", "19:35", "T07"),
            fill("D1-LATE", "19:40", 3),
            # Emptied in the morning, but rubbish came back at 14:00 and nobody took it. The
            # report of the evening before is not the day's collection.
            emptied("D1-NOT", "22:00", "T01", days=-1),
            fill("D1-NOT", "06:00", 40),
            emptied("D1-NOT", "06:25"),
            fill("D1-NOT", "06:30", 2),
            fill("D1-NOT", "14:00", 25),
            fill("D1-NOT", "18:00", 30),
            fill("D1-NOT", "21:00", 31),
            # Never above 10 % up to the deadline (09:10 is a glitch); the evening's 35 % and
            # the round just after midnight are the 28th's.
            fill("D1-NEVER", "06:00", 2),
            fill("D1-NEVER", "09:00", 5),
            fill("D1-NEVER", "09:10", 95),
            fill("D1-NEVER", "09:20", 5),
            fill("D1-NEVER", "18:30", 4),
            fill("D1-NEVER", "20:30", 35),
            emptied("D1-NEVER", "00:30", "T09", days=1),
            fill("D1-NEVER", "00:40", 1, days=1),
        ]
    )


@contextmanager
def running(settings: Settings, now: datetime) -> Iterator[TestClient]:
    app = create_app(settings, CITY)
    app.dependency_overrides[get_now] = lambda: now
    with admin_client(app, settings) as client:
        yield client


def json_time(ts: datetime) -> str:
    # Written out by hand rather than with the API's own formatter.
    return ts.strftime("%Y-%m-%dT%H:%M:%S.000Z")


def test_readings_cover_the_margins(influx: InfluxClient) -> None:
    write_day(influx)
    influx.write([emptied("D1-NOT", "17:00", "T00", days=-1)])  # before the 6 h margin
    reader = SanitationHistoryReader(influx)
    read = reader.readings("D1", local("00:00"), local("00:00", days=1), bin_id="D1-NOT")
    assert set(read.levels) == set(read.reports) == {"D1-NOT"}
    assert read.reports["D1-NOT"] == [
        Emptied(local("22:00", days=-1), "T01"),
        Emptied(local("06:25"), None),
    ]
    assert [lv.fill_pct for lv in read.levels["D1-NOT"]] == [40, 2, 25, 30, 31]
    whole = reader.readings("D1", local("00:00"), local("00:00", days=1))
    assert set(whole.levels) == {"D1-ONTIME", "D1-LATE", "D1-NOT", "D1-NEVER"}
    # The 2 h after the day reach the round just after midnight.
    assert whole.levels["D1-NEVER"][-1] == Level(local("00:40", days=1), 1)
    assert whole.levels["D1-ONTIME"][0] == Level(local("23:50", days=-1), 45)


def test_collections_of_the_day(settings: Settings, influx: InfluxClient) -> None:
    write_day(influx)
    with running(settings, local("12:00", days=1)) as client:
        response = client.get("/api/v1/sanitation/collections", params={"date": "2026-11-27"})
        assert response.status_code == 200
        assert response.json() == [
            {
                "district": "D1",
                "bin": "D1-ONTIME",
                "ts": json_time(local("06:25")),
                "source": "both",
                "truck": "T03",
                "before_pct": 46.0,
                "after_pct": 2.0,
                "recorded": False,
            },
            {
                "district": "D1",
                "bin": "D1-NOT",
                "ts": json_time(local("06:25")),
                "source": "both",
                "truck": None,
                "before_pct": 40.0,
                "after_pct": 2.0,
                "recorded": False,
            },
            {
                "district": "D1",
                "bin": "D1-LATE",
                "ts": json_time(local("19:35")),
                "source": "both",
                "truck": "T07",
                "before_pct": 55.0,
                "after_pct": 3.0,
                "recorded": False,
            },
        ]
        one = client.get(
            "/api/v1/sanitation/collections",
            params={"date": "2026-11-28", "district": "D1", "bin": "D1-NEVER"},
        )
        assert [(c["ts"], c["source"], c["truck"]) for c in one.json()] == [
            (json_time(local("00:30", days=1)), "both", "T09")
        ]


def test_clearance_of_the_day(settings: Settings, influx: InfluxClient) -> None:
    write_day(influx)
    with running(settings, local("12:00", days=1)) as client:
        response = client.get("/api/v1/sanitation/clearance", params={"date": "2026-11-27"})
        assert response.status_code == 200
        assert response.json() == {
            "date": "2026-11-27",
            "complete": True,
            "frozen": False,
            "districts": [
                {
                    "district": "D1",
                    "deadline": "19:00",
                    "needed": 3,
                    "cleared": 2,
                    "not_cleared": ["D1-NOT"],
                    "late": ["D1-LATE"],
                    "clearance_rate": 0.6667,
                    "frozen": False,
                    "corrections": [],
                },
                {
                    "district": "D2",
                    "deadline": "08:00",
                    "needed": 0,
                    "cleared": 0,
                    "not_cleared": [],
                    "late": [],
                    "clearance_rate": None,
                    "frozen": False,
                    "corrections": [],
                },
            ],
            "city": {
                "needed": 3,
                "cleared": 2,
                "not_cleared": ["D1-NOT"],
                "late": ["D1-LATE"],
                "clearance_rate": 0.6667,
            },
        }


def test_clearance_so_far_and_the_worklist(settings: Settings, influx: InfluxClient) -> None:
    write_day(influx)
    now = local("16:00")
    fire = Alert(
        kind=AlertKind.FIRE,
        subject=Subject(Domain.SANITATION, "D1", "D1-NEVER"),
        opened_at=local("15:50"),
        status=AlertStatus.OPEN,
        detail="temperature 71 °C ≥ 60 °C",
        updated_at=local("15:50"),
    )
    AlertStore(influx).save([fire])
    with running(settings, now) as client:
        # At 16:00 the late bin is not cleared yet: what comes after now does not count.
        so_far = client.get(
            "/api/v1/sanitation/clearance", params={"date": "2026-11-27", "district": "D1"}
        ).json()
        assert so_far["complete"] is False
        assert (so_far["city"]["cleared"], so_far["city"]["not_cleared"]) == (
            1,
            ["D1-LATE", "D1-NOT"],
        )

        response = client.get("/api/v1/sanitation/worklist")
        assert response.status_code == 200
        body = response.json()
    assert [(i["bin"], i["reason"], i["detail"], i["fill_pct"]) for i in body["items"]] == [
        ("D1-NEVER", "fire", "temperature 71 °C ≥ 60 °C", 5.0),
        ("D1-LATE", "not_cleared", "rubbish since 10:00, deadline 19:00", 50.0),
        ("D1-NOT", "not_cleared", "rubbish since 14:00, deadline 19:00", 25.0),
    ]
    # North along the meridian: 1, 2, 3 thousandths of a degree, and back.
    [route] = body["routes"]
    assert route["stops"] == ["D1-NEVER", "D1-NOT", "D1-LATE"]
    assert route["distance_m"] == pytest.approx(6 * METRES_PER_MILLIDEGREE, abs=0.2)
