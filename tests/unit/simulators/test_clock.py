"""The simulated clock: speed while behind, then in step with the wall clock."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from simulators.clock import SimulatedClock

WALL = 1_795_737_600.0  # some wall-clock instant
DAY = 86_400.0

speeds = st.one_of(st.floats(0.1, 10_000), st.just(math.inf))
lags = st.floats(0, 8 * DAY)


def test_replaying_a_day_at_60x() -> None:
    clock = SimulatedClock(sim_start=WALL - DAY, wall_start=WALL, speed=60)
    # One wall minute is one simulated hour while behind.
    assert clock.simulated(60) == pytest.approx(WALL - DAY + 3600)
    # It catches up when 60 w = DAY + w, i.e. after DAY / 59 wall seconds...
    assert clock.catch_up() == pytest.approx(DAY / 59)
    assert clock.simulated(DAY / 59) == pytest.approx(WALL + DAY / 59)
    # ...and then keeps step with the wall clock.
    assert clock.simulated(DAY / 59 + 100) == pytest.approx(WALL + DAY / 59 + 100)
    assert clock.due(WALL - DAY + 3600) == pytest.approx(60)
    assert clock.due(WALL + 3600) == pytest.approx(3600)


def test_max_speed_is_at_once_then_real_time() -> None:
    clock = SimulatedClock(sim_start=WALL - 7200, wall_start=WALL, speed=math.inf)
    assert clock.simulated(0) == WALL
    assert clock.due(WALL - 1) == 0
    assert clock.due(WALL + 30) == 30
    assert clock.catch_up() == 0


def test_real_time_from_now() -> None:
    clock = SimulatedClock(sim_start=WALL, wall_start=WALL, speed=60)
    assert clock.simulated(10) == WALL + 10
    assert clock.due(WALL + 10) == 10


def test_speed_one_never_catches_up() -> None:
    clock = SimulatedClock(sim_start=WALL - 600, wall_start=WALL, speed=1)
    assert clock.catch_up() == math.inf
    assert clock.simulated(1000) == WALL - 600 + 1000


def test_a_start_in_the_future_is_refused() -> None:
    with pytest.raises(ValueError, match="future"):
        SimulatedClock(sim_start=WALL + 1, wall_start=WALL, speed=1)


@given(lags, speeds, st.floats(0, 30 * DAY))
def test_simulated_time_never_passes_the_wall_clock(lag: float, speed: float, w: float) -> None:
    clock = SimulatedClock(sim_start=WALL - lag, wall_start=WALL, speed=speed)
    assert clock.simulated(w) <= WALL + w + 1e-6
    assert clock.simulated(w) >= WALL - lag


@given(lags, speeds, st.floats(0, 30 * DAY), st.floats(0, 30 * DAY))
def test_simulated_time_only_goes_forward(lag: float, speed: float, a: float, b: float) -> None:
    clock = SimulatedClock(sim_start=WALL - lag, wall_start=WALL, speed=speed)
    early, late = sorted((a, b))
    assert clock.simulated(early) <= clock.simulated(late)


@given(lags, speeds, st.floats(0, 30 * DAY))
def test_due_is_when_simulated_time_gets_there(lag: float, speed: float, ahead: float) -> None:
    clock = SimulatedClock(sim_start=WALL - lag, wall_start=WALL, speed=speed)
    target = WALL - lag + ahead
    due = clock.due(target)
    # Publishing at the due wall time never puts a timestamp in the future...
    assert WALL + due >= target - 1e-6
    # ...and it is the first moment simulated time has reached the target (with max
    # speed, simulated time jumps to the wall clock at once, so it may be past it).
    assert clock.simulated(due) >= target - 1e-6
    if due > 1e-3:
        assert clock.simulated(due - 1e-3) < target
    if not math.isinf(speed):
        assert clock.simulated(due) == pytest.approx(target, abs=1e-6)


@given(lags, st.floats(1.01, 1000))
def test_speed_while_behind(lag: float, speed: float) -> None:
    clock = SimulatedClock(sim_start=WALL - lag, wall_start=WALL, speed=speed)
    w = clock.catch_up() / 2
    assert clock.simulated(w) == pytest.approx(WALL - lag + speed * w)
