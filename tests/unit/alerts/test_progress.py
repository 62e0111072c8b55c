"""Silence and trends judged at the data's own progress (issue 12): while the stream is
behind the wall clock, devices waiting in the backlog are not silent, and predictions of
moments already past are not raised."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from hypothesis import given
from hypothesis import strategies as st

from curbside.domain.alerts.bin_rules import full_conditions, sensor_silent_conditions
from curbside.domain.alerts.progress import judged_at
from curbside.domain.alerts.thresholds import AlertThresholds
from curbside.domain.parking.occupancy import SpaceState
from curbside.domain.sanitation.bins import BinState
from curbside.domain.sanitation.forecast import overflow_soon_conditions
from tests.unit.sanitation.test_forecast import FillReading, _line

NOW = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)
BEHIND = NOW - timedelta(hours=3)  # the newest reading stored: a replay three hours behind
LIMITS = AlertThresholds()  # silent after 2 h, overflow horizon 2 h
SHANGHAI = ZoneInfo("Asia/Shanghai")


def _bin(name: str, last_seen: datetime, fill: float | None = None) -> BinState:
    return BinState("D1", name, fill, last_seen, None, None, None)


def _space(name: str, last_seen: datetime) -> SpaceState:
    return SpaceState("Z01", name, False, last_seen, last_seen, None)


@given(
    now=st.datetimes(timezones=st.just(UTC)),
    lag=st.timedeltas(min_value=timedelta(days=-1), max_value=timedelta(days=30)),
)
def test_judged_at_is_never_after_the_wall_clock_nor_the_data(
    now: datetime, lag: timedelta
) -> None:
    try:
        progress = now - lag
    except OverflowError:
        return
    at = judged_at(now, progress)
    assert at == min(now, progress)
    assert judged_at(now, None) == now


def test_devices_waiting_in_a_backlog_are_not_silent_but_a_silence_within_the_data_is() -> None:
    waiting = [_bin(f"B{n}", BEHIND - timedelta(minutes=n)) for n in range(1, 30)]
    spaces = [_space(f"S{n}", BEHIND - timedelta(minutes=n)) for n in range(1, 30)]
    quiet = _bin("B99", BEHIND - timedelta(hours=2, minutes=30))
    by_the_wall_clock = sensor_silent_conditions([*waiting, quiet], spaces, LIMITS, NOW)
    assert len(by_the_wall_clock) == 59  # the flood of issue 12
    judged = sensor_silent_conditions([*waiting, quiet], spaces, LIMITS, NOW, BEHIND)
    assert [c.subject.device for c in judged] == ["B99"]


def test_a_live_stream_is_judged_by_the_wall_clock() -> None:
    # Progress a little ahead (a device clock within tolerance) changes nothing.
    quiet = _bin("B1", NOW - timedelta(hours=2, minutes=1))
    ahead = NOW + timedelta(minutes=4)
    assert len(sensor_silent_conditions([quiet], [], LIMITS, NOW, ahead)) == 1


def test_values_of_devices_in_the_backlog_still_count() -> None:
    full = _bin("B1", BEHIND - timedelta(minutes=10), fill=90.0)
    assert full_conditions([full], LIMITS, NOW) == []  # silent by the wall clock
    assert len(full_conditions([full], LIMITS, NOW, BEHIND)) == 1


def test_a_prediction_already_past_by_the_wall_clock_is_not_raised() -> None:
    # 30 % three hours before BEHIND, rising 20 %/h: 90 % at BEHIND, full 30 min later,
    # which is 2 h 30 min before now.
    readings = {"B1": _line(BEHIND - timedelta(hours=3), 30.0, 20.0, hours=3)}
    state = [_bin("B1", BEHIND, 90.0)]
    raised = overflow_soon_conditions(state, readings, LIMITS, NOW, tz=SHANGHAI)
    assert raised == []  # the last hour of them predicts a moment 2 h 30 min ago: stale
    judged = overflow_soon_conditions(state, readings, LIMITS, NOW, tz=SHANGHAI, progress=BEHIND)
    assert judged == []


def test_a_bin_that_already_read_full_gets_no_overflow_forecast() -> None:
    readings = {
        "B1": [
            FillReading(NOW - timedelta(minutes=45), 80.0),
            FillReading(NOW - timedelta(minutes=30), 100.0),
            FillReading(NOW - timedelta(minutes=15), 100.0),
        ]
    }
    state = [_bin("B1", NOW - timedelta(minutes=15), 100.0)]
    assert overflow_soon_conditions(state, readings, LIMITS, NOW, tz=SHANGHAI) == []


def test_a_future_prediction_within_the_horizon_of_the_data_is_still_raised() -> None:
    # One hour behind: 10 % rising 25 %/h is 60 % at the data's moment and full 1 h 36 min
    # later: 36 min after now, within the 2 h horizon counted from the data's moment.
    behind = NOW - timedelta(hours=1)
    readings = {"B1": _line(behind - timedelta(hours=2), 10.0, 25.0, hours=2)}
    state = [_bin("B1", behind, 60.0)]
    judged = overflow_soon_conditions(state, readings, LIMITS, NOW, tz=SHANGHAI, progress=behind)
    assert [c.subject.device for c in judged] == ["B1"]
