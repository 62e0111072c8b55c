"""The bin and sensor rules on hand-made states."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from curbside.domain.alerts.bin_rules import (
    fire_conditions,
    full_conditions,
    low_battery_conditions,
    sensor_silent_conditions,
    tilted_conditions,
)
from curbside.domain.alerts.thresholds import AlertThresholds
from curbside.domain.parking.occupancy import SpaceState
from curbside.domain.sanitation.bins import BinState
from curbside.vocabulary.alerts import AlertKind, Condition, Domain, Subject

NOW = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)
LIMITS = AlertThresholds()
RECENT = NOW - timedelta(minutes=5)


def _bin(name: str, **fields: object) -> BinState:
    quiet = BinState("D1", name, None, RECENT, None, None, None)
    return replace(quiet, **fields)  # type: ignore[arg-type]


def _space(name: str, **fields: object) -> SpaceState:
    quiet = SpaceState("Z01", name, False, RECENT, RECENT, None)
    return replace(quiet, **fields)  # type: ignore[arg-type]


def _bin_subject(name: str) -> Subject:
    return Subject(Domain.SANITATION, "D1", name)


def _space_subject(name: str) -> Subject:
    return Subject(Domain.PARKING, "Z01", name)


def _found(conditions: list[Condition]) -> list[tuple[AlertKind, Subject]]:
    return [(c.kind, c.subject) for c in conditions]


def test_the_defaults_are_the_documented_ones() -> None:
    assert LIMITS.full_pct == 80.0
    assert LIMITS.fire_temp_c == 60.0
    assert LIMITS.low_battery_v == 3.3
    assert LIMITS.bin_silent_after == timedelta(hours=2)
    assert LIMITS.space_silent_after == timedelta(hours=2)
    assert LIMITS.overflow_horizon == timedelta(hours=2)
    assert LIMITS.trend_min_readings == 3


@pytest.mark.parametrize(
    "changes",
    [
        {"bin_silent_after": timedelta(0)},
        {"trend_window": timedelta(hours=-1)},
        {"full_pct": 0.0},
        {"full_pct": 101.0},
        {"trend_min_readings": 1},
        {"trend_min_r2": 1.5},
    ],
)
def test_nonsense_thresholds_are_refused(changes: dict[str, object]) -> None:
    with pytest.raises(ValueError):
        AlertThresholds(**changes)  # type: ignore[arg-type]


def test_full_is_at_or_above_the_fill_threshold() -> None:
    bins = [
        _bin("B1", fill_pct=86.0),
        _bin("B2", fill_pct=80.0),  # exactly the threshold: full
        _bin("B3", fill_pct=79.9),
        _bin("B4", fill_pct=None),  # never reported a fill
        _bin("B5", fill_pct=99.0, last_seen=NOW - timedelta(hours=3)),  # silent: unknown now
        _bin("B6", fill_pct=100.0, last_seen=None),  # never heard from
    ]
    conditions = full_conditions(bins, LIMITS, NOW)
    assert _found(conditions) == [
        (AlertKind.FULL, _bin_subject("B1")),
        (AlertKind.FULL, _bin_subject("B2")),
    ]
    assert conditions[0].detail == "fill 86 % ≥ 80 %"
    assert conditions[1].detail == "fill 80 % ≥ 80 %"


def test_full_follows_a_custom_threshold_and_shows_decimals() -> None:
    conditions = full_conditions([_bin("B1", fill_pct=72.5)], AlertThresholds(full_pct=70.0), NOW)
    assert [c.detail for c in conditions] == ["fill 72.5 % ≥ 70 %"]


def test_fire_is_at_or_above_the_temperature_threshold() -> None:
    bins = [
        _bin("B1", temp_c=72.0),
        _bin("B2", temp_c=60.0),  # exactly the threshold: fire
        _bin("B3", temp_c=59.99),
        _bin("B4", temp_c=None),
        _bin("B5", temp_c=-5.0),
    ]
    conditions = fire_conditions(bins, LIMITS, NOW)
    assert _found(conditions) == [
        (AlertKind.FIRE, _bin_subject("B1")),
        (AlertKind.FIRE, _bin_subject("B2")),
    ]
    assert conditions[0].detail == "temperature 72 °C ≥ 60 °C"


def test_tilted_only_when_the_bin_says_so() -> None:
    bins = [
        _bin("B1", tilted=True),
        _bin("B2", tilted=False),
        _bin("B3", tilted=None),
        _bin("B4", tilted=True, last_seen=NOW - timedelta(hours=2, seconds=1)),
    ]
    conditions = tilted_conditions(bins, LIMITS, NOW)
    assert _found(conditions) == [(AlertKind.TILTED, _bin_subject("B1"))]


def test_low_battery_covers_bins_and_parking_sensors_at_or_below_the_threshold() -> None:
    bins = [
        _bin("B1", battery_v=3.25),
        _bin("B2", battery_v=3.3),  # exactly the threshold: low
        _bin("B3", battery_v=3.31),
        _bin("B4", battery_v=None),
    ]
    spaces = [
        _space("S1", battery_v=3.1),
        _space("S2", battery_v=3.6),
        _space("S3", battery_v=None),
        _space("S4", battery_v=3.0, last_seen=NOW - timedelta(hours=5)),  # silent
    ]
    conditions = low_battery_conditions(bins, spaces, LIMITS, NOW)
    assert _found(conditions) == [
        (AlertKind.LOW_BATTERY, _bin_subject("B1")),
        (AlertKind.LOW_BATTERY, _bin_subject("B2")),
        (AlertKind.LOW_BATTERY, _space_subject("S1")),
    ]
    assert conditions[0].detail == "battery 3.25 V ≤ 3.3 V"
    assert conditions[2].detail == "battery 3.1 V ≤ 3.3 V"


def test_silent_is_quiet_for_longer_than_the_limit_and_never_heard_is_unknown() -> None:
    limits = AlertThresholds(space_silent_after=timedelta(hours=1))
    bins = [
        _bin("B1", last_seen=NOW - timedelta(hours=2, minutes=35)),
        _bin("B2", last_seen=NOW - timedelta(hours=2)),  # exactly the limit: not yet silent
        _bin("B3", last_seen=None),  # never heard from: unknown, not silent
        _bin("B4", last_seen=NOW - timedelta(minutes=1)),
    ]
    spaces = [
        _space("S1", last_seen=NOW - timedelta(hours=1, minutes=1)),  # over its own limit
        _space("S2", last_seen=NOW - timedelta(minutes=59)),
        _space("S3", occupied=None, since=None, last_seen=None),
    ]
    conditions = sensor_silent_conditions(bins, spaces, limits, NOW)
    assert _found(conditions) == [
        (AlertKind.SENSOR_SILENT, _bin_subject("B1")),
        (AlertKind.SENSOR_SILENT, _space_subject("S1")),
    ]
    assert conditions[0].detail == (
        "no message for 2 h 35 min since 2026-11-27T09:25:00+00:00, limit 2 h 00 min"
    )
    assert conditions[1].detail.endswith("limit 1 h 00 min")


def test_a_silent_device_raises_only_sensor_silent() -> None:
    burnt = _bin(
        "B1",
        fill_pct=100.0,
        temp_c=90.0,
        tilted=True,
        battery_v=3.0,
        last_seen=NOW - timedelta(hours=3),
    )
    assert full_conditions([burnt], LIMITS, NOW) == []
    assert fire_conditions([burnt], LIMITS, NOW) == []
    assert tilted_conditions([burnt], LIMITS, NOW) == []
    assert low_battery_conditions([burnt], [], LIMITS, NOW) == []
    assert _found(sensor_silent_conditions([burnt], [], LIMITS, NOW)) == [
        (AlertKind.SENSOR_SILENT, _bin_subject("B1"))
    ]


def test_rules_accept_one_pass_iterables() -> None:
    bins = (b for b in [_bin("B1", fill_pct=90.0)])
    assert _found(full_conditions(bins, LIMITS, NOW)) == [(AlertKind.FULL, _bin_subject("B1"))]
