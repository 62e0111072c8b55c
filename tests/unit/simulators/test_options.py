"""Parsing the simulator's option values."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from simulators.options import (
    FaultRates,
    OptionError,
    SimulationOptions,
    parse_duration,
    parse_faults,
    parse_id_list,
    parse_speed,
    parse_start,
)


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("0", 0),
        ("24h", 86_400),
        ("90m", 5_400),
        ("1h30m", 5_400),
        ("2d", 172_800),
        ("45s", 45),
        ("3600", 3_600),
        ("1.5h", 5_400),
        (" 10M ", 600),
        ("1d2h3m4s", 93_784),
    ],
)
def test_durations(text: str, seconds: int) -> None:
    assert parse_duration(text) == timedelta(seconds=seconds)


@pytest.mark.parametrize("text", ["", "h", "5x", "-5m", "1h-", "m30", "1h 30m", "nan", "inf"])
def test_bad_durations(text: str) -> None:
    with pytest.raises(OptionError):
        parse_duration(text)


@given(st.integers(0, 10), st.integers(0, 23), st.integers(0, 59), st.integers(0, 59))
def test_duration_units_add_up(d: int, h: int, m: int, s: int) -> None:
    assert parse_duration(f"{d}d{h}h{m}m{s}s") == timedelta(days=d, hours=h, minutes=m, seconds=s)


def test_speed() -> None:
    assert parse_speed("60") == 60.0
    assert parse_speed("0.5") == 0.5
    assert parse_speed("max") == math.inf
    assert parse_speed("MAX") == math.inf
    for bad in ("0", "-1", "fast", "inf", "nan"):
        with pytest.raises(OptionError):
            parse_speed(bad)


def test_start_needs_an_offset() -> None:
    assert parse_start("2026-11-27T08:00:00+08:00") == datetime(2026, 11, 27, 0, 0, tzinfo=UTC)
    assert parse_start("2026-11-27T00:00:00Z") == datetime(2026, 11, 27, tzinfo=UTC)
    with pytest.raises(OptionError, match="offset"):
        parse_start("2026-11-27T08:00:00")
    with pytest.raises(OptionError):
        parse_start("yesterday")


def test_fault_spec() -> None:
    rates = parse_faults("duplicate=0.05,reorder=0.05,drop=0.01,malformed=0.02")
    assert rates == FaultRates(duplicate=0.05, reorder=0.05, drop=0.01, malformed=0.02)
    assert parse_faults("drop=1") == FaultRates(drop=1.0)
    assert parse_faults("none") == FaultRates()
    assert not parse_faults("none").any
    assert parse_faults("drop=0.5").any


def test_flicker_is_a_fault_but_not_the_fault_layers() -> None:
    rates = parse_faults("flicker=0.05,drop=0")
    assert rates == FaultRates(flicker=0.05)
    assert rates.any
    assert not rates.any_message_fault
    assert parse_faults("flicker=0.05,duplicate=0.1").any_message_fault
    assert rates.as_dict()["flicker"] == 0.05
    with pytest.raises(OptionError):
        parse_faults("flicker=2")


@pytest.mark.parametrize(
    "spec", ["drop", "drop=x", "lose=0.1", "drop=1.5", "drop=-0.1", "drop=0.1,drop=0.2"]
)
def test_bad_fault_specs(spec: str) -> None:
    with pytest.raises(OptionError):
        parse_faults(spec)


def test_id_lists() -> None:
    assert parse_id_list("Z01, Z02,", "zones") == ("Z01", "Z02")
    with pytest.raises(OptionError):
        parse_id_list(" , ", "zones")


def test_options_are_checked() -> None:
    eastern = timezone(timedelta(hours=8))
    with pytest.raises(OptionError):
        SimulationOptions(start=datetime(2026, 1, 1))  # noqa: DTZ001 - naive on purpose
    with pytest.raises(OptionError):
        SimulationOptions(start=datetime(2026, 1, 1, tzinfo=eastern), since=timedelta(hours=1))
    with pytest.raises(OptionError):
        SimulationOptions(speed=0)
    with pytest.raises(OptionError):
        SimulationOptions(count=0)
    with pytest.raises(OptionError):
        SimulationOptions(heartbeat=timedelta(0))
    with pytest.raises(OptionError):
        SimulationOptions(username="u")
    with pytest.raises(OptionError):
        SimulationOptions(port=0)


def test_traffic_summary_leaves_out_secrets() -> None:
    options = SimulationOptions(username="sim", password="hunter2", faults=FaultRates(drop=0.1))
    summary = options.traffic_summary()
    assert "hunter2" not in repr(summary)
    assert "hunter2" not in repr(options)
    assert summary["faults"]["drop"] == 0.1
    assert summary["heartbeat_s"] == 600
    assert summary["seq"] is False
    assert SimulationOptions(seq=True).traffic_summary()["seq"] is True
