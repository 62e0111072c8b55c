"""Admission: registry membership, the timestamp window, distance to fill."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from curbside.city.registry import City, parse_city
from curbside.domain.telemetry.admission import TimestampPolicy, admit
from curbside.vocabulary.readings import BinEmptied, BinLevel, SensorBattery, SpaceStatus
from curbside.vocabulary.rejection import Reason, Rejected

NOW = datetime(2026, 11, 27, 8, 0, tzinfo=UTC)
POLICY = TimestampPolicy(future_tolerance=timedelta(minutes=5), max_age=timedelta(days=7))


@pytest.fixture
def city() -> City:
    return parse_city(
        {
            "parking_zones": [
                {
                    "id": "Z1",
                    "name": "Z",
                    "tariff": "t",
                    "spaces": [{"id": "S1", "lat": 0, "lon": 0}],
                }
            ],
            "sanitation_districts": [
                {
                    "id": "D1",
                    "name": "D",
                    "clearance_deadline": "19:00",
                    "bins": [{"id": "B1", "capacity_l": 240, "depth_cm": 80, "lat": 0, "lon": 0}],
                }
            ],
        }
    )


def test_missing_ts_becomes_receive_time(city: City) -> None:
    admitted = admit(SpaceStatus("Z1", "S1", True), city, NOW, POLICY)
    assert admitted.ts == NOW


def test_device_ts_is_kept(city: City) -> None:
    ts = NOW - timedelta(hours=3)
    assert admit(SpaceStatus("Z1", "S1", True, ts=ts), city, NOW, POLICY).ts == ts


@pytest.mark.parametrize(
    ("offset", "reason"),
    [
        (timedelta(minutes=5, seconds=1), Reason.TS_FUTURE),
        (timedelta(days=3650), Reason.TS_FUTURE),
        (-timedelta(days=7, seconds=1), Reason.TS_TOO_OLD),
        (-timedelta(days=3650), Reason.TS_TOO_OLD),
    ],
)
def test_unbelievable_timestamps_are_rejected(
    city: City, offset: timedelta, reason: Reason
) -> None:
    with pytest.raises(Rejected) as caught:
        admit(SpaceStatus("Z1", "S1", True, ts=NOW + offset), city, NOW, POLICY)
    assert caught.value.reason is reason


@pytest.mark.parametrize("offset", [timedelta(minutes=5), -timedelta(days=7)])
def test_window_edges_are_accepted(city: City, offset: timedelta) -> None:
    assert admit(SpaceStatus("Z1", "S1", True, ts=NOW + offset), city, NOW, POLICY).ts


@pytest.mark.parametrize(
    "reading",
    [
        SpaceStatus("Z1", "S2", True),
        SpaceStatus("Z2", "S1", True),
        BinLevel("D1", "B2", fill_pct=10),
        BinEmptied("D9", "B1"),
    ],
)
def test_unknown_devices_are_rejected(city: City, reading: SpaceStatus) -> None:
    with pytest.raises(Rejected) as caught:
        admit(reading, city, NOW, POLICY)
    assert caught.value.reason is Reason.UNKNOWN_DEVICE


@pytest.mark.parametrize(
    ("distance", "fill"), [(80.0, 0.0), (0.0, 100.0), (20.0, 75.0), (100.0, 0.0), (60.0, 25.0)]
)
def test_distance_becomes_fill_with_the_bins_depth(
    city: City, distance: float, fill: float
) -> None:
    admitted = admit(BinLevel("D1", "B1", distance_cm=distance), city, NOW, POLICY)
    assert isinstance(admitted, BinLevel)
    assert admitted.fill_pct == fill
    assert admitted.distance_cm == distance


@pytest.mark.parametrize(
    ("distance", "fill"),
    [(120.0, 0.0), (20.0, 100.0), (70.0, 50.0), (10.0, 100.0), (150.0, 0.0), (95.0, 25.0)],
)
def test_fill_uses_the_distance_when_full(distance: float, fill: float) -> None:
    # Mounted 120 cm above the bottom; full once rubbish is 20 cm below the sensor.
    geometry = {"id": "B1", "capacity_l": 240, "depth_cm": 120, "full_distance_cm": 20}
    city = parse_city(
        {
            "sanitation_districts": [
                {
                    "id": "D1",
                    "name": "D",
                    "clearance_deadline": "19:00",
                    "bins": [geometry | {"lat": 0, "lon": 0}],
                }
            ]
        }
    )
    admitted = admit(BinLevel("D1", "B1", distance_cm=distance), city, NOW, POLICY)
    assert isinstance(admitted, BinLevel)
    assert admitted.fill_pct == fill


def test_battery_reports_need_a_known_device(city: City) -> None:
    known = SensorBattery("sanitation", "D1", "B1", 80.0, external_power=False)
    assert admit(known, city, NOW, POLICY).ts == NOW
    for stranger in (
        SensorBattery("parking", "D1", "B1", 80.0, external_power=False),
        SensorBattery("sanitation", "D1", "B2", 80.0, external_power=False),
    ):
        with pytest.raises(Rejected) as caught:
            admit(stranger, city, NOW, POLICY)
        assert caught.value.reason is Reason.UNKNOWN_DEVICE
