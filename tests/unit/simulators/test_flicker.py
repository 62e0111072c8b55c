"""The flicker fault: cars passing over a free space's sensor, clear of the real changes."""

from __future__ import annotations

import itertools
import json
from collections import defaultdict
from dataclasses import replace
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st

from curbside.city.registry import City
from simulators.events import Event, SensorFlicker, SpaceReport, VehicleMovement
from simulators.options import FaultRates
from simulators.parking import ParkingSpaceModel
from simulators.plan import TrafficPlan
from simulators.timestamps import instant_of

from .support import START, Outcome, Simulate

SHANGHAI = ZoneInfo("Asia/Shanghai")
T0 = instant_of(START)
CLEARANCE = timedelta(seconds=60)
ALWAYS = FaultRates(flicker=1.0)
Space = tuple[str, str]
Pair = tuple[str, datetime, datetime]


def _when(ts: str) -> datetime:
    return datetime.fromisoformat(ts.replace("Z", "+00:00"))


def _space(topic: str) -> Space:
    _, zone, space, _ = topic.split("/")
    return zone, space


def _movements(out: Outcome) -> dict[Space, list[tuple[datetime, bool]]]:
    moves: dict[Space, list[tuple[datetime, bool]]] = defaultdict(list)
    for record in out.truth:
        if record["type"] in ("arrival", "departure"):
            key = (record["zone"], record["space"])
            moves[key].append((_when(record["ts"]), record["type"] == "arrival"))
    return moves


def _statuses(out: Outcome) -> dict[str, list[tuple[datetime, bool]]]:
    """Each sensor's (ts, occupied) messages in time order."""
    by_topic: dict[str, list[tuple[datetime, bool]]] = defaultdict(list)
    for topic, payload in out.payloads("/status"):
        by_topic[topic].append((_when(payload["ts"]), payload["occupied"]))
    return {topic: sorted(messages) for topic, messages in by_topic.items()}


def _flicker_pairs(out: Outcome) -> set[Pair]:
    """Messages saying occupied while no car is there, each with the message that follows."""
    initial = out.records("initial")[0]["spaces"]
    moves = _movements(out)
    pairs: set[Pair] = set()
    for topic, messages in _statuses(out).items():
        zone, space = _space(topic)
        for (ts, occupied), after in itertools.pairwise(messages):
            truly = initial[zone][space]
            for moment, arrived in moves[(zone, space)]:
                if moment <= ts:
                    truly = arrived
            if occupied and not truly:
                assert after[1] is False, (topic, ts, after)  # the sensor sees free again
                pairs.add((topic, ts, after[0]))
    return pairs


def _flicker_records(out: Outcome) -> set[Pair]:
    return {
        (r["topic"], _when(r["detail"]["ts"]), _when(r["detail"]["until"]))
        for r in out.records("fault")
        if r["kind"] == "flicker"
    }


def test_flickers_are_short_and_clear_of_real_changes(simulate: Simulate) -> None:
    out = simulate(devices="parking", faults=ALWAYS)
    pairs = _flicker_pairs(out)
    assert len(pairs) > 200
    assert _flicker_records(out) == pairs
    moves = _movements(out)
    for topic, on, off in pairs:
        assert timedelta(seconds=5) <= off - on <= timedelta(seconds=40)
        assert on - CLEARANCE >= START
        # Free at ``on`` and no car comes or goes within a minute of the flicker: it lies
        # well inside a free period, ending a minute before the next arrival at the latest.
        for moment, _ in moves[_space(topic)]:
            assert not on - CLEARANCE <= moment <= off + CLEARANCE, (topic, on, moment)
    by_topic: dict[str, list[tuple[datetime, datetime]]] = defaultdict(list)
    for topic, on, off in sorted(pairs):
        by_topic[topic].append((on, off))
    for flickers in by_topic.values():
        for (_, off), (on, _) in itertools.pairwise(flickers):
            assert on - off >= CLEARANCE  # and clear of each other


def test_flickers_leave_the_truth_and_every_other_message_alone(simulate: Simulate) -> None:
    plain = simulate(devices="parking")
    out = simulate(devices="parking", faults=ALWAYS)

    def movements(outcome: Outcome) -> list[dict[str, object]]:
        kinds = ("initial", "arrival", "departure")
        return [r for r in outcome.truth if r["type"] in kinds]

    assert len(movements(plain)) > 100
    assert movements(out) == movements(plain)
    assert out.records("final")[0]["spaces"] == plain.records("final")[0]["spaces"]
    assert out.summary.spaces == plain.summary.spaces
    flickered = {(topic, ts) for topic, on, off in _flicker_pairs(out) for ts in (on, off)}
    rest = [
        m for m in out.messages if (m.topic, _when(json.loads(m.payload)["ts"])) not in flickered
    ]
    assert rest == plain.messages
    assert len(out.messages) == len(plain.messages) + len(flickered)


def test_flickers_do_not_move_cars_among_other_faults(simulate: Simulate) -> None:
    faults = FaultRates(duplicate=0.05, reorder=0.05, drop=0.02, malformed=0.03)
    plain = simulate(faults=faults)
    out = simulate(faults=replace(faults, flicker=0.3))
    kinds = ("arrival", "departure")
    assert [r for r in out.truth if r["type"] in kinds] == [
        r for r in plain.truth if r["type"] in kinds
    ]
    assert out.records("final")[0]["spaces"] == plain.records("final")[0]["spaces"]
    assert _flicker_records(out)
    assert out.records("run")[0]["options"]["faults"]["flicker"] == 0.3


def _debounced(out: Outcome, hold_s: int) -> dict[str, list[tuple[datetime, bool]]]:
    """The changes a debounce derives: a new state counts once it has held for ``hold_s``."""
    derived: dict[str, list[tuple[datetime, bool]]] = {}
    hold = timedelta(seconds=hold_s)
    for topic, messages in _statuses(out).items():
        # Runs of one state, each lasting until the next run's first message.
        runs = [m for i, m in enumerate(messages) if i == 0 or messages[i - 1][1] != m[1]]
        held = [
            run
            for run, following in itertools.zip_longest(runs, runs[1:])
            if following is None or following[0] - run[0] >= hold
        ]
        derived[topic] = [run for i, run in enumerate(held) if i == 0 or held[i - 1][1] != run[1]]
    return derived


def test_a_one_minute_debounce_sees_through_flickers(simulate: Simulate) -> None:
    plain = simulate(devices="parking")
    out = simulate(devices="parking", faults=ALWAYS)
    assert _debounced(out, 60) == _debounced(plain, 60)
    assert _debounced(out, 0) != _debounced(plain, 0)  # without it, flickers would count


def test_a_run_cut_off_mid_flicker_says_so(simulate: Simulate) -> None:
    whole = simulate(devices="parking", faults=ALWAYS, duration=None, count=500)
    topic, on, _ = min(_flicker_records(whole), key=lambda pair: pair[1])
    index = next(
        i
        for i, m in enumerate(whole.messages)
        if m.topic == topic and _when(json.loads(m.payload)["ts"]) == on
    )
    cut = simulate(devices="parking", faults=ALWAYS, duration=None, count=index + 1)
    last = json.loads(cut.messages[-1].payload)
    assert (cut.messages[-1].topic, last["occupied"]) == (topic, True)
    zone, space = _space(topic)
    final = cut.records("final")[0]
    assert final["spaces"][zone][space] is False
    until = next(u for t, o, u in _flicker_records(cut) if (t, o) == (topic, on))
    assert until > _when(final["end"])


def _events(city: City, space: int, plan: TrafficPlan, end: int) -> list[Event]:
    zone = city.parking_zones[space % 2]
    model = ParkingSpaceModel(zone, zone.spaces[space // 2], plan)
    return list(itertools.takewhile(lambda e: e.t <= end, model.events()))


@given(
    seed=st.integers(0, 10_000),
    space=st.integers(0, 39),
    heartbeat_s=st.sampled_from([60, 600, 1800]),
    hours=st.integers(1, 30),
    rate=st.sampled_from([0.3, 1.0]),
)
@settings(max_examples=40, deadline=None)
def test_the_model_fits_flickers_between_reports(
    small_city: City, *, seed: int, space: int, heartbeat_s: int, hours: int, rate: float
) -> None:
    end = T0 + hours * 3600
    plan = TrafficPlan(seed=seed, start=T0, tz=SHANGHAI, heartbeat_s=heartbeat_s, end=end)
    plain = _events(small_city, space, plan, end)
    events = _events(small_city, space, replace(plan, flicker=rate), end)
    flickers = [e for e in events if isinstance(e, SensorFlicker)]
    reports = [e for e in events if isinstance(e, SpaceReport)]
    # Still one report a second at most, so "the latest report" stays unambiguous.
    assert all(a.t < b.t for a, b in itertools.pairwise(reports))
    by_t = {r.t: r for r in reports}
    for flicker in flickers:
        assert T0 < flicker.t < flicker.until <= end
        assert (by_t[flicker.t].occupied, by_t[flicker.until].occupied) == (True, False)
    # Apart from the flickers (and the numbering), the space's story is the one without.
    flickered = {t for f in flickers for t in (f.t, f.until)}
    rest = [
        replace(e, seq=0) if isinstance(e, SpaceReport) else e
        for e in events
        if not isinstance(e, SensorFlicker) and e.t not in flickered
    ]
    assert rest == [replace(e, seq=0) if isinstance(e, SpaceReport) else e for e in plain]
    assert [e for e in events if isinstance(e, VehicleMovement)] == [
        e for e in plain if isinstance(e, VehicleMovement)
    ]


def test_a_run_with_an_end_has_no_flicker_left_open(small_city: City) -> None:
    plan = TrafficPlan(seed=3, start=T0, tz=SHANGHAI, flicker=1.0)
    horizon = T0 + 6 * 3600
    tried = 0
    for space in range(0, 40, 4):
        events = _events(small_city, space, plan, horizon)
        for flicker in [e for e in events if isinstance(e, SensorFlicker)][:3]:
            # Ends that would cut this flicker in two if it stayed where it was.
            for end in (flicker.t, flicker.t + 1, flicker.until - 1):
                tried += 1
                ended = _events(small_city, space, replace(plan, end=end), end)
                assert all(e.until <= end for e in ended if isinstance(e, SensorFlicker))
                # So the last report is the truth: the space is still free.
                last = [e for e in ended if isinstance(e, SpaceReport)][-1]
                assert last.occupied is False
    assert tried > 30
