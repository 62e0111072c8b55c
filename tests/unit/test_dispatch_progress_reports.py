"""Trucks' progress reports as they arrive on MQTT (curbside/adapters/mqtt/truck_progress.py):
every wrong thing is named, nothing wrong gets through."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from curbside.adapters.mqtt.truck_progress import MAX_PAYLOAD_BYTES, parse_report, truck_of


def test_the_truck_is_the_topics() -> None:
    assert truck_of("dispatch/T03/progress") == "T03"
    for topic in ("dispatch/T03/route", "dispatch//progress", "dispatch/T03/progress/x", "x"):
        assert truck_of(topic) is None


def test_a_good_report() -> None:
    report = parse_report(
        b'{"ts": "2026-12-07T01:02:03Z", "lat": 29.87, "lon": 121.54, "done": ["D1-B001", "TS1"]}'
    )
    assert report.ts == datetime(2026, 12, 7, 1, 2, 3, tzinfo=UTC)
    assert (report.lat, report.lon, report.done) == (29.87, 121.54, ["D1-B001", "TS1"])


@pytest.mark.parametrize(
    ("document", "named"),
    [
        ({"ts": "2026-12-07T01:02:03", "lat": 1, "lon": 1}, "ts"),  # no time zone
        ({"ts": "2026-12-07T01:02:03Z", "lat": 91, "lon": 1}, "lat"),
        ({"ts": "2026-12-07T01:02:03Z", "lat": 1, "lon": 181}, "lon"),
        ({"ts": "2026-12-07T01:02:03Z", "lat": 1, "lon": 1, "done": ["a b"]}, "done.0"),
        ({"ts": "2026-12-07T01:02:03Z", "lat": 1, "lon": 1, "speed": 3}, "speed"),
        ({"lat": 1, "lon": 1}, "ts"),
    ],
)
def test_a_bad_report_is_refused_naming_the_field(document: object, named: str) -> None:
    with pytest.raises(ValueError, match=f"^{named}: "):
        parse_report(json.dumps(document).encode())


def test_not_json_and_too_big() -> None:
    with pytest.raises(ValueError, match=r"^document: Invalid JSON"):
        parse_report(b"\xff not json")
    with pytest.raises(ValueError, match="bytes is over"):
        parse_report(b" " * (MAX_PAYLOAD_BYTES + 1))
