"""Merging readings into the latest state: any order gives what InfluxDB's selectors give.

The oracle below computes each device's state from the whole set of its points, sorted by
timestamp, the way curbside/adapters/influx/latest.py's statements read them back: newest status,
newest value
of each field, and ``since`` = the first report after the newest opposite report.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from curbside.domain.parking.occupancy import SpaceState
from curbside.domain.sanitation.bins import BinState
from curbside.domain.telemetry.latest_state import BinRecord, LatestStates, SpaceRecord, Stamped
from curbside.vocabulary.readings import BinEmptied, BinLevel, SpaceStatus

T0 = datetime(2026, 11, 27, 8, 0, tzinfo=UTC)
SPACES = [("Z1", "A-1"), ("Z1", "A-2"), ("Z2", "B-1")]
BINS = [("D1", "B-1"), ("D2", "B-2")]


@st.composite
def space_points(draw: st.DrawFn) -> list[SpaceStatus]:
    points = []
    for zone, space in SPACES:
        # Distinct timestamps per device: two points at one timestamp are one point.
        minutes = draw(st.lists(st.integers(0, 120), unique=True, max_size=12))
        for minute in minutes:
            occupied = draw(st.booleans())
            battery = draw(st.none() | st.sampled_from([3.1, 3.3, 3.6]))
            points.append(
                SpaceStatus(zone, space, occupied, T0 + timedelta(minutes=minute), battery)
            )
    return points


@st.composite
def bin_points(draw: st.DrawFn) -> list[BinLevel]:
    points = []
    for district, bin_id in BINS:
        minutes = draw(st.lists(st.integers(0, 120), unique=True, max_size=8))
        for minute in minutes:
            maybe = st.none() | st.floats(0, 100, allow_nan=False)
            points.append(
                BinLevel(
                    district,
                    bin_id,
                    fill_pct=draw(maybe),
                    ts=T0 + timedelta(minutes=minute),
                    battery_v=draw(maybe),
                    temp_c=draw(maybe),
                    tilted=draw(st.none() | st.booleans()),
                )
            )
    return points


def _space_oracle(points: list[SpaceStatus]) -> dict[tuple[str, str], SpaceRecord]:
    found = {}
    for zone, space in SPACES:
        mine = sorted((p for p in points if (p.zone, p.space) == (zone, space)), key=_ts)
        if not mine:
            continue
        newest = mine[-1]
        opposite = [p for p in mine if p.occupied != newest.occupied]
        opposite_seen = opposite[-1].ts if opposite else None
        since = next(p.ts for p in mine if opposite_seen is None or _ts(p) > opposite_seen)
        batteries = [(_ts(p), p.battery_v) for p in mine if p.battery_v is not None]
        battery = Stamped(*batteries[-1]) if batteries else None
        found[(zone, space)] = SpaceRecord(
            newest.occupied, _ts(newest), opposite_seen, since, battery
        )
    return found


def _bin_oracle(points: list[BinLevel]) -> dict[tuple[str, str], BinState]:
    found = {}
    for district, bin_id in BINS:
        mine = sorted((p for p in points if (p.district, p.bin) == (district, bin_id)), key=_ts)

        def newest(field: str, mine: list[BinLevel] = mine) -> BinLevel | None:
            having = [p for p in mine if getattr(p, field) is not None]
            return having[-1] if having else None

        fields = {f: newest(f) for f in ("fill_pct", "battery_v", "temp_c", "tilted")}
        present = [p for p in fields.values() if p is not None]
        if not present:
            continue
        found[(district, bin_id)] = BinState(
            district,
            bin_id,
            fill_pct=getattr(fields["fill_pct"], "fill_pct", None),
            last_seen=max(_ts(p) for p in present),
            battery_v=getattr(fields["battery_v"], "battery_v", None),
            temp_c=getattr(fields["temp_c"], "temp_c", None),
            tilted=getattr(fields["tilted"], "tilted", None),
        )
    return found


def _ts(reading: SpaceStatus | BinLevel) -> datetime:
    assert reading.ts is not None
    return reading.ts


def _settled_from_database(states: LatestStates, truth: dict[tuple[str, str], SpaceRecord]) -> None:
    # What LiveState does for an unsettled space, with the oracle standing in for InfluxDB.
    for key, record in list(states.spaces.items()):
        if record.unsettled:
            answer = truth[key]
            assert answer.since is not None
            assert states.settle(key, record.occupied, answer.opposite_seen, answer.since)


def _served(states: LatestStates) -> dict[tuple[str, str], tuple[SpaceState, datetime | None]]:
    return {
        key: (record.state(*key), record.opposite_seen) for key, record in states.spaces.items()
    }


def _expected(
    truth: dict[tuple[str, str], SpaceRecord],
) -> dict[tuple[str, str], tuple[SpaceState, datetime | None]]:
    return {key: (record.state(*key), record.opposite_seen) for key, record in truth.items()}


@given(st.data(), space_points())
def test_any_order_of_space_reports_gives_the_sorted_answer(
    data: st.DataObject, points: list[SpaceStatus]
) -> None:
    order = data.draw(st.permutations(points))
    states = LatestStates()
    for reading in order:
        states.apply(reading)
    truth = _space_oracle(points)
    _settled_from_database(states, truth)
    assert _served(states) == _expected(truth)


@given(st.data(), space_points())
def test_a_full_read_then_every_report_again_gives_the_sorted_answer(
    data: st.DataObject, points: list[SpaceStatus]
) -> None:
    # A full read holds some of the points; the stream then brings all of them, in any order
    # (those already read come again: applying a stored point twice must change nothing).
    stored = data.draw(st.lists(st.sampled_from(points), unique=True) if points else st.just([]))
    states = LatestStates(spaces=_space_oracle(stored))
    for reading in data.draw(st.permutations(points)):
        states.apply(reading)
    truth = _space_oracle(points)
    _settled_from_database(states, truth)
    assert _served(states) == _expected(truth)


@given(st.data(), space_points())
def test_a_settled_space_needed_no_database(data: st.DataObject, points: list[SpaceStatus]) -> None:
    # In time order nothing is ever late: the stream settles every `since` by itself.
    states = LatestStates()
    for reading in sorted(points, key=_ts):
        states.apply(reading)
    assert not any(record.unsettled for record in states.spaces.values())
    assert _served(states) == _expected(_space_oracle(points))


@given(st.data(), bin_points())
def test_any_order_of_bin_reports_gives_each_fields_newest(
    data: st.DataObject, points: list[BinLevel]
) -> None:
    states = LatestStates()
    for reading in data.draw(st.permutations(points)):
        states.apply(reading)
    served = {key: record.state(*key) for key, record in states.bins.items()}
    assert served == _bin_oracle(points)


def test_a_late_report_says_which_device_changed_and_an_old_one_nothing() -> None:
    states = LatestStates()
    now = SpaceStatus("Z1", "A-1", True, T0 + timedelta(minutes=10))
    assert states.apply(now) == ("space", ("Z1", "A-1"))
    assert states.apply(now) is None  # the same point again
    # Older than the newest opposite report (none yet: it becomes the opposite report).
    assert states.apply(SpaceStatus("Z1", "A-1", False, T0)) == ("space", ("Z1", "A-1"))
    assert states.apply(SpaceStatus("Z1", "A-1", False, T0 - timedelta(minutes=1))) is None
    assert states.apply(BinEmptied("D1", "B-1", T0)) is None


def test_settle_is_ignored_once_the_space_changed_status() -> None:
    states = LatestStates()
    states.apply(SpaceStatus("Z1", "A-1", True, T0))
    states.apply(SpaceStatus("Z1", "A-1", True, T0 + timedelta(minutes=10)))
    states.apply(SpaceStatus("Z1", "A-1", False, T0 + timedelta(minutes=5)))
    assert states.spaces[("Z1", "A-1")].unsettled
    states.apply(SpaceStatus("Z1", "A-1", False, T0 + timedelta(minutes=20)))
    assert not states.settle(("Z1", "A-1"), True, T0, T0 + timedelta(minutes=10))
    record = states.spaces[("Z1", "A-1")]
    assert (record.occupied, record.since, record.unsettled) == (
        False,
        T0 + timedelta(minutes=20),
        False,
    )


def test_only_admitted_readings_apply() -> None:
    try:
        LatestStates().apply(SpaceStatus("Z1", "A-1", True))
    except ValueError as exc:
        assert "timestamp" in str(exc)
    else:
        raise AssertionError("a reading without ts was applied")


def test_a_bin_report_without_any_field_kept_changes_nothing() -> None:
    states = LatestStates()
    assert states.apply(BinLevel("D1", "B-1", ts=T0)) is None
    assert states.bins == {}
    assert BinRecord().state("D1", "B-1").last_seen is None
