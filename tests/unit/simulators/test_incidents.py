"""Sanitation incidents: skipped visits, overfilling bins, fires and silent sensors."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timedelta

import pytest

from simulators.options import IncidentSpec, OptionError, parse_incidents
from simulators.truth import incidents

from .support import Simulate

TWELVE_HOURS = timedelta(hours=12)


def _at(ts: str) -> datetime:
    return datetime.fromisoformat(ts)


def _bin_of(topic: str) -> tuple[str, str]:
    _, district, bin_id, _ = topic.split("/")
    return district, bin_id


def test_skip_all_visits_empties_nothing(simulate: Simulate) -> None:
    outcome = simulate(duration=TWELVE_HOURS, incidents=IncidentSpec(skip=1.0))
    assert outcome.payloads("/emptied") == []
    assert outcome.records("emptied") == []
    skips = [r for r in incidents(outcome.truth) if r["kind"] == "skip"]
    assert len(skips) > 20  # the trucks did come by
    assert set(skips[0]) == {"type", "kind", "district", "bin", "ts", "truck"}
    plain = simulate(duration=TWELVE_HOURS)
    assert [(r["bin"], r["ts"]) for r in plain.records("emptied")] == [
        (r["bin"], r["ts"]) for r in skips
    ]


def test_some_visits_skipped(simulate: Simulate) -> None:
    plain = simulate(duration=TWELVE_HOURS)
    outcome = simulate(duration=TWELVE_HOURS, incidents=IncidentSpec(skip=0.5))
    emptied = {(r["bin"], r["ts"]) for r in outcome.records("emptied")}
    skipped = {(r["bin"], r["ts"]) for r in incidents(outcome.truth) if r["kind"] == "skip"}
    assert emptied and skipped
    assert not emptied & skipped
    assert emptied | skipped == {(r["bin"], r["ts"]) for r in plain.records("emptied")}
    assert len(outcome.payloads("/emptied")) == len(emptied)


@pytest.mark.parametrize("seed", [1, 2, 3, 4])
def test_overfill_bins_reach_80_percent(simulate: Simulate, seed: int) -> None:
    outcome = simulate(seed=seed, duration=TWELVE_HOURS, incidents=IncidentSpec(overfill=3))
    records = [r for r in incidents(outcome.truth) if r["kind"] == "overfill"]
    assert len(records) == 3
    assert set(records[0]) == {"type", "kind", "district", "bin"}
    peak: dict[tuple[str, str], float] = defaultdict(float)
    for record in outcome.records("fill"):
        key = (record["district"], record["bin"])
        peak[key] = max(peak[key], record["reported_pct"])
    for record in records:
        assert peak[(record["district"], record["bin"])] >= 80


def test_fire_only_inside_its_period(simulate: Simulate) -> None:
    outcome = simulate(duration=TWELVE_HOURS, incidents=IncidentSpec(fire=2))
    fires = {
        (r["district"], r["bin"]): (_at(r["start"]), _at(r["end"]))
        for r in incidents(outcome.truth)
        if r["kind"] == "fire"
    }
    assert len(fires) == 2
    hot_inside = 0
    for topic, payload in outcome.payloads("/fill"):
        key = _bin_of(topic)
        inside = key in fires and fires[key][0] <= _at(payload["ts"]) < fires[key][1]
        assert (payload["temp_c"] >= 70) == inside, (topic, payload)
        hot_inside += inside
    assert hot_inside >= 2
    for start, end in fires.values():
        assert timedelta(minutes=30) <= end - start <= timedelta(minutes=60)


def test_silent_bins_publish_nothing_after_since(simulate: Simulate) -> None:
    outcome = simulate(duration=TWELVE_HOURS, incidents=IncidentSpec(silent=2))
    silent = {
        (r["district"], r["bin"]): _at(r["since"])
        for r in incidents(outcome.truth)
        if r["kind"] == "silent"
    }
    assert len(silent) == 2
    seen_before = set()
    for topic, payload in outcome.payloads("/fill"):
        key = _bin_of(topic)
        if key in silent:
            assert _at(payload["ts"]) <= silent[key]
            seen_before.add(key)
    assert seen_before == set(silent)
    for record in outcome.records("fill"):
        key = (record["district"], record["bin"])
        assert key not in silent or _at(record["ts"]) <= silent[key]


def test_incident_bins_are_distinct_and_recorded_up_front(simulate: Simulate) -> None:
    spec = IncidentSpec(overfill=2, fire=2, silent=2)
    outcome = simulate(incidents=spec)
    planned = incidents(outcome.truth)
    assert [r["kind"] for r in planned].count("fire") == 2
    assert len({(r["district"], r["bin"]) for r in planned}) == 6
    assert outcome.truth[2]["type"] == "incident"  # right after run and initial
    assert outcome.records("run")[0]["options"]["incidents"] == spec.as_dict()


def test_determinism_by_seed(simulate: Simulate) -> None:
    spec = parse_incidents("skip=0.2,overfill=2,fire=1,silent=1")
    first, again = simulate(incidents=spec), simulate(incidents=spec)
    assert first.messages == again.messages
    assert first.truth_text == again.truth_text
    other = simulate(seed=2, incidents=spec)
    assert incidents(other.truth) != incidents(first.truth)


def test_off_changes_nothing(simulate: Simulate) -> None:
    plain, off = simulate(), simulate(incidents=parse_incidents("none"))
    assert plain.messages == off.messages
    assert plain.truth_text == off.truth_text
    assert "incidents" not in plain.records("run")[0]["options"]
    assert incidents(plain.truth) == []


def test_parse_incidents() -> None:
    spec = parse_incidents(" skip=0.1, Overfill=2,fire=1,silent=0 ")
    assert spec == IncidentSpec(skip=0.1, overfill=2, fire=1, silent=0)
    assert spec.any
    assert not parse_incidents("none").any
    assert spec.as_dict() == {"skip": 0.1, "overfill": 2, "fire": 1, "silent": 0}


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("skip=1.5", "skip must be a probability in 0..1"),
        ("skip=often", "skip='often' is not a probability"),
        ("overfill=1.5", "overfill='1.5' is not a whole number"),
        ("fire=-1", "fire must be a whole number >= 0"),
        ("flood=1", "'flood=1' is not KIND=VALUE with KIND one of skip, overfill"),
        ("fire", "'fire' is not KIND=VALUE"),
        ("fire=1,fire=2", "fire given twice"),
    ],
)
def test_bad_incident_specs(spec: str, message: str) -> None:
    with pytest.raises(OptionError, match=message.replace("(", r"\(").replace(".", r"\.")):
        parse_incidents(spec)


def test_more_incident_bins_than_bins_is_refused(simulate: Simulate) -> None:
    with pytest.raises(OptionError, match="only 30 bins are simulated"):
        simulate(incidents=IncidentSpec(overfill=20, fire=11))
