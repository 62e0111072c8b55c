"""The optional message counter: per sensor, one number per message, 16 bits."""

from __future__ import annotations

import itertools
import json
from collections import Counter, defaultdict
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from curbside.city.registry import City
from simulators.events import SpaceReport
from simulators.options import FaultRates
from simulators.parking import ParkingSpaceModel
from simulators.plan import TrafficPlan
from simulators.timestamps import instant_of

from .support import START, Outcome, Simulate

SHANGHAI = ZoneInfo("Asia/Shanghai")
T0 = instant_of(START)


def _by_topic(out: Outcome) -> dict[str, list[dict[str, Any]]]:
    """Each sensor's status payloads in publishing order."""
    by_topic: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for topic, payload in out.payloads("/status"):
        by_topic[topic].append(payload)
    return by_topic


def test_duplicates_repeat_the_number_and_drops_leave_a_gap(simulate: Simulate) -> None:
    faults = FaultRates(duplicate=0.1, drop=0.05, flicker=0.3)
    out = simulate(devices="parking", seq=True, faults=faults)
    dropped: dict[str, set[int]] = defaultdict(set)
    duplicated: Counter[str] = Counter()
    for record in out.records("fault"):
        if record["kind"] == "drop":
            dropped[record["topic"]].add(json.loads(record["detail"]["payload"])["seq"])
        elif record["kind"] == "duplicate":
            duplicated[record["topic"]] += 1
    assert sum(map(len, dropped.values())) > 10
    assert duplicated.total() > 10
    assert any(r["kind"] == "flicker" for r in out.records("fault"))
    for topic, payloads in _by_topic(out).items():
        repeats = 0
        for before, after in itertools.pairwise(payloads):
            if after["seq"] == before["seq"]:
                assert after == before  # a duplicate: the same message again
                repeats += 1
            else:
                # The next number, unless the messages in between were lost.
                lost = set(range(before["seq"] + 1, after["seq"]))
                assert lost <= dropped[topic], (topic, before, after)
        assert repeats == duplicated[topic]
        sent = {payload["seq"] for payload in payloads}
        assert not sent & dropped[topic]
        # Every message the sensor made has its number: 0, 1, 2, ... from the start.
        assert sorted(sent | dropped[topic]) == list(range(len(sent) + len(dropped[topic])))


def test_reordering_shows_in_the_numbers_not_in_them_by_time(simulate: Simulate) -> None:
    out = simulate(devices="parking", seq=True, faults=FaultRates(reorder=0.2, flicker=0.3))
    swapped = 0
    for payloads in _by_topic(out).values():
        by_time = sorted(payloads, key=lambda p: datetime.fromisoformat(p["ts"]))
        assert [p["seq"] for p in by_time] == list(range(len(payloads)))
        swapped += [p["seq"] for p in payloads] != list(range(len(payloads)))
    assert swapped > 0


def test_without_the_option_there_is_no_seq(simulate: Simulate) -> None:
    out = simulate(devices="parking", faults=FaultRates(flicker=0.3))
    assert all("seq" not in payload for _, payload in out.payloads("/status"))
    assert out.records("run")[0]["options"]["seq"] is False


def test_the_counter_wraps_at_65536(small_city: City) -> None:
    zone = small_city.parking_zones[0]
    # A report every second: a year's worth of numbers within a simulated day.
    plan = TrafficPlan(seed=1, start=T0, tz=SHANGHAI, heartbeat_s=1)
    model = ParkingSpaceModel(zone, zone.spaces[0], plan)
    reports = (e for e in model.events() if isinstance(e, SpaceReport))
    seqs = [r.seq for r in itertools.islice(reports, 65_536 + 100)]
    assert seqs[:3] == [0, 1, 2]
    assert seqs[65_534:65_538] == [65_534, 65_535, 0, 1]
    assert seqs == [i % 65_536 for i in range(65_636)]
