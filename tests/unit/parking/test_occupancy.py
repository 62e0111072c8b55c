"""Zone occupancy counts, staleness, and the bound that finds when a status began."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from curbside.city.registry import Zone
from curbside.domain.parking.occupancy import (
    SpaceState,
    is_stale,
    opposite_status_seen,
    zone_occupancy,
)

NOW = datetime(2026, 11, 27, 8, 0, tzinfo=UTC)
HOUR = timedelta(hours=1)


def _zone(n: int, zone_id: str = "Z1") -> Zone:
    return Zone.model_validate(
        {
            "id": zone_id,
            "name": "Test Road",
            "tariff": "t",
            "spaces": [{"id": f"S{i}", "lat": 0, "lon": 0} for i in range(1, n + 1)],
        }
    )


def _state(
    space: str, occupied: bool | None, age: timedelta | None, zone: str = "Z1"
) -> SpaceState:
    seen = None if age is None else NOW - age
    return SpaceState(zone, space, occupied, since=seen, last_seen=seen, battery_v=3.6)


def test_counts_fresh_stale_and_missing_spaces() -> None:
    states = [
        _state("S1", True, timedelta(minutes=1)),
        _state("S2", True, timedelta(minutes=59)),
        _state("S3", False, timedelta(seconds=0)),
        _state("S4", True, timedelta(hours=2)),  # stale: counts as unknown, not occupied
        # S5 never reported
    ]
    result = zone_occupancy(_zone(5), states, NOW, HOUR)
    assert (result.zone, result.capacity) == ("Z1", 5)
    assert (result.occupied, result.free, result.unknown) == (2, 1, 2)
    assert result.occupancy_rate == pytest.approx(2 / 3)
    assert result.as_of == NOW


def test_rate_is_null_when_no_space_is_known() -> None:
    states = [_state("S1", True, timedelta(days=1)), _state("S2", None, None)]
    result = zone_occupancy(_zone(3), states, NOW, HOUR)
    assert (result.occupied, result.free, result.unknown) == (0, 0, 3)
    assert result.occupancy_rate is None


def test_all_free_is_rate_zero_not_null() -> None:
    states = [_state("S1", False, timedelta(minutes=5)), _state("S2", False, timedelta(0))]
    result = zone_occupancy(_zone(2), states, NOW, HOUR)
    assert result.occupancy_rate == 0.0


def test_states_outside_the_zone_or_registry_are_ignored() -> None:
    states = [
        _state("S1", True, timedelta(minutes=1)),
        _state("S1", False, timedelta(minutes=1), zone="Z2"),  # same space id, other zone
        _state("S9", True, timedelta(minutes=1)),  # not in the registry
    ]
    result = zone_occupancy(_zone(2), states, NOW, HOUR)
    assert (result.capacity, result.occupied, result.free, result.unknown) == (2, 1, 0, 1)
    assert result.occupancy_rate == 1.0


def test_stale_means_strictly_older_than_the_limit() -> None:
    assert not is_stale(_state("S1", True, HOUR), NOW, HOUR)
    assert is_stale(_state("S1", True, HOUR + timedelta(milliseconds=1)), NOW, HOUR)
    assert is_stale(_state("S1", None, None), NOW, HOUR)
    assert is_stale(None, NOW, HOUR)
    # A device clock slightly ahead (admitted within the future tolerance) is fresh.
    assert not is_stale(_state("S1", False, -timedelta(minutes=2)), NOW, HOUR)


_reports = st.lists(
    st.tuples(
        st.one_of(st.none(), st.booleans()),
        st.integers(min_value=-300, max_value=3 * 3600),  # age in seconds
    ),
    max_size=40,
)


@given(capacity=st.integers(min_value=1, max_value=40), reports=_reports)
def test_counts_always_add_up_to_capacity(
    capacity: int, reports: list[tuple[bool | None, int]]
) -> None:
    states = [
        _state(f"S{i}", occupied, None if occupied is None else timedelta(seconds=age))
        for i, (occupied, age) in enumerate(reports, start=1)
    ]
    result = zone_occupancy(_zone(capacity), states, NOW, HOUR)
    assert result.occupied + result.free + result.unknown == capacity
    assert min(result.occupied, result.free, result.unknown) >= 0
    known = result.occupied + result.free
    if known == 0:
        assert result.occupancy_rate is None
    else:
        assert result.occupancy_rate is not None
        assert 0.0 <= result.occupancy_rate <= 1.0
    # Independently: the fresh, registered, occupied reports.
    fresh_occupied = sum(
        1
        for i, (occupied, age) in enumerate(reports, start=1)
        if i <= capacity and occupied is True and age <= 3600
    )
    assert result.occupied == fresh_occupied


T1 = NOW - timedelta(minutes=30)
T2 = NOW - timedelta(minutes=20)
LAST = NOW - timedelta(minutes=10)


@pytest.mark.parametrize(
    ("occupied", "last_vacant", "last_occupied", "expected"),
    [
        (True, T1, LAST, T1),  # occupied now: the status began after the last vacant report
        (False, LAST, T2, T2),  # vacant now: after the last occupied report
        (True, None, LAST, None),  # never seen vacant in the window
        (False, LAST, None, None),  # never seen occupied in the window
        # An opposite report at or after the latest one landed between two statements.
        (True, LAST, LAST, None),
        (False, NOW, LAST, None),
    ],
)
def test_opposite_status_seen(
    occupied: bool,
    last_vacant: datetime | None,
    last_occupied: datetime | None,
    expected: datetime | None,
) -> None:
    assert opposite_status_seen(occupied, LAST, last_vacant, last_occupied) == expected
