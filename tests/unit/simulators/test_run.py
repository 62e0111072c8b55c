"""Whole runs without a broker: determinism, time bounds, truth against the message stream."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml

from simulators.fleet import SelectionError
from simulators.options import FaultRates, OptionError, SimulationOptions
from simulators.recording import RecordingPublisher
from simulators.run import run_simulation

from .contract import problem
from .support import START, Outcome, Simulate, small_city_data

FAULTS = FaultRates(duplicate=0.05, reorder=0.05, drop=0.02, malformed=0.03)
DEPTHS: dict[tuple[str, str], float] = {
    (d["id"], b["id"]): b["depth_cm"]
    for d in small_city_data()["sanitation_districts"]
    for b in d["bins"]
}


def _when(ts: str) -> datetime:
    return datetime.fromisoformat(ts.replace("Z", "+00:00"))


def _device(topic: str) -> tuple[str, str]:
    _, group, device, _ = topic.split("/")
    return group, device


def _good(outcome: Outcome, suffix: str) -> list[tuple[str, dict[str, Any]]]:
    return [
        (topic, payload)
        for topic, payload in outcome.payloads(suffix)
        if problem(topic, json.dumps(payload).encode()) is None
    ]


def _reported(district: str, bin_id: str, payload: dict[str, Any]) -> float:
    """The fill a fill message stands for, by the contract's rule."""
    if "fill_pct" in payload:
        return float(payload["fill_pct"])
    depth = DEPTHS[(district, bin_id)]
    distance = float(payload["distance_cm"])
    return round(min(100.0, max(0.0, (depth - distance) / depth * 100)), 1)


def test_same_seed_same_bytes_other_seed_other_traffic(simulate: Simulate) -> None:
    a = simulate(faults=FAULTS)
    b = simulate(faults=FAULTS)
    c = simulate(faults=FAULTS, seed=2)
    assert a.messages == b.messages
    assert a.truth_text == b.truth_text
    assert len(a.messages) > 1000
    assert c.messages != a.messages


def test_timestamps_stay_within_the_run(simulate: Simulate) -> None:
    out = simulate(faults=FAULTS)
    end = START + timedelta(hours=6)
    for topic, payload in _good(out, ""):
        ts = payload["ts"]
        assert ts.endswith("+08:00"), (topic, ts)  # the city's offset, seconds precision
        assert len(ts) == len("2026-11-26T06:00:00+08:00")
        assert START <= _when(ts) <= end
    for record in out.truth:
        for key in ("ts", "start", "end"):
            if key in record:
                assert record[key].endswith("Z")
                assert START <= _when(record[key]) <= end
    assert out.summary.end == end
    assert out.summary.stopped_by == "duration"


def test_never_in_the_future_when_replaying_up_to_now(simulate: Simulate) -> None:
    before = datetime.now(UTC)
    # The small city sends well over 400 messages in any two hours, so this ends at once.
    out = simulate(start=None, since=timedelta(hours=2), duration=None, count=400)
    after = datetime.now(UTC)
    assert out.summary.published == 400
    for _, payload in out.payloads(""):
        moment = _when(payload["ts"])
        assert before - timedelta(hours=2, seconds=1) <= moment <= after


def test_every_space_reports_at_the_start(simulate: Simulate) -> None:
    out = simulate(devices="parking")
    first: dict[tuple[str, str], datetime] = {}
    for topic, payload in out.payloads("/status"):
        first.setdefault(_device(topic), _when(payload["ts"]))
    assert len(first) == 40
    assert set(first.values()) == {START}
    assert out.records("initial")[0]["spaces"]["Z01"].keys() == {
        f"Z01-{i:03d}" for i in range(1, 21)
    }


def test_statuses_follow_the_true_movements(simulate: Simulate) -> None:
    out = simulate()
    occupied = {
        (zone, space): state
        for zone, states in out.records("initial")[0]["spaces"].items()
        for space, state in states.items()
    }
    # Replay truth and messages together in time order; the status must match the truth.
    timeline: list[tuple[datetime, int, Any]] = []
    for record in out.truth:
        if record["type"] in ("arrival", "departure"):
            timeline.append((_when(record["ts"]), 0, record))
    for topic, payload in out.payloads("/status"):
        timeline.append((_when(payload["ts"]), 1, (topic, payload)))
    timeline.sort(key=lambda item: (item[0], item[1]))
    movements = 0
    for _, order, item in timeline:
        if order == 0:
            key = (item["zone"], item["space"])
            arrived = item["type"] == "arrival"
            assert occupied[key] != arrived  # arrivals and departures alternate
            occupied[key] = arrived
            movements += 1
        else:
            topic, payload = item
            assert payload["occupied"] == occupied[_device(topic)]
    assert movements > 100
    final = out.records("final")[0]["spaces"]
    assert {(z, s): v for z, states in final.items() for s, v in states.items()} == occupied


def test_final_spaces_are_the_last_status_unless_dropped(simulate: Simulate) -> None:
    out = simulate(faults=FAULTS)
    last: dict[tuple[str, str], tuple[datetime, bool]] = {}
    for topic, payload in _good(out, "/status"):
        moment = _when(payload["ts"])
        key = _device(topic)
        if key not in last or moment >= last[key][0]:
            last[key] = (moment, payload["occupied"])
    dropped = {
        _device(r["topic"]): _when(r["detail"]["ts"])
        for r in out.records("fault")
        if r["kind"] == "drop" and r["topic"].endswith("/status")
    }
    final = out.records("final")[0]["spaces"]
    for zone, states in final.items():
        for space, state in states.items():
            moment, reported = last[(zone, space)]
            if reported != state:
                # Only a dropped message later than the last published one explains it.
                assert dropped.get((zone, space), moment) > moment
    assert len(dropped) > 0


def test_final_bins_are_the_latest_published_fill(simulate: Simulate) -> None:
    out = simulate(faults=FAULTS)
    latest: dict[tuple[str, str], tuple[datetime, float]] = {}
    for topic, payload in _good(out, "/fill"):
        key = _device(topic)
        moment = _when(payload["ts"])
        if key not in latest or moment >= latest[key][0]:
            latest[key] = (moment, _reported(*key, payload))
    final = out.records("final")[0]["bins"]
    flat = {(d, b): v for d, fills in final.items() for b, v in fills.items()}
    assert flat.keys() == DEPTHS.keys()
    assert flat == {key: value for key, (_, value) in latest.items()}


def test_fill_truth_matches_the_messages(simulate: Simulate) -> None:
    out = simulate()
    truth = {(r["district"], r["bin"], r["ts"]): r for r in out.records("fill")}
    fills = out.payloads("/fill")
    assert len(fills) == len(truth)
    for topic, payload in fills:
        district, bin_id = _device(topic)
        ts = _when(payload["ts"]).astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        record = truth[(district, bin_id, ts)]
        assert abs(_reported(district, bin_id, payload) - record["reported_pct"]) <= 0.1
        assert abs(record["reported_pct"] - record["true_pct"]) <= 1.1
        assert 0 <= record["true_pct"] <= 100


def test_an_emptied_bin_reports_low_next(simulate: Simulate) -> None:
    out = simulate(duration=timedelta(hours=12))
    pending: dict[tuple[str, str], datetime] = {}
    checked = 0
    for message in out.messages:
        key = _device(message.topic)
        payload = json.loads(message.payload)
        if message.topic.endswith("/emptied"):
            assert payload["truck"].startswith("T")
            pending[key] = _when(payload["ts"])
        elif message.topic.endswith("/fill") and key in pending:
            assert _when(payload["ts"]) - pending.pop(key) <= timedelta(minutes=1)
            assert _reported(*key, payload) <= 5.0
            checked += 1
    assert checked >= 30  # every bin, at least once in the morning round
    assert len(out.records("emptied")) == checked


def test_count_stops_at_exactly_n(simulate: Simulate) -> None:
    for faults in (FaultRates(), FAULTS):
        out = simulate(count=137, faults=faults, duration=None)
        assert len(out.messages) == 137
        final = out.records("final")[0]
        assert final["published"] == 137
        assert out.summary.stopped_by == "count"


def test_published_and_malformed_counts(simulate: Simulate) -> None:
    out = simulate(faults=FAULTS)
    final = out.records("final")[0]
    assert final["published"] == len(out.messages) == out.summary.published
    bad = [m for m in out.messages if problem(m.topic, m.payload) is not None]
    assert final["malformed"] == len(bad) == out.summary.malformed > 0
    kinds = {r["kind"] for r in out.records("fault")}
    assert kinds == {"duplicate", "reorder", "drop", "malformed"}


def test_truth_file_layout(simulate: Simulate) -> None:
    out = simulate(faults=FAULTS)
    assert out.truth[0]["type"] == "run"
    assert out.truth[1]["type"] == "initial"
    assert out.truth[-1]["type"] == "final"
    run = out.truth[0]
    assert run["seed"] == 1
    assert run["start"] == "2026-11-25T22:00:00Z"
    assert run["speed"] == "max"
    assert run["options"]["faults"]["drop"] == 0.02
    types = {r["type"] for r in out.truth}
    assert types == {"run", "initial", "arrival", "departure", "fill", "emptied", "fault", "final"}


def test_filters_pick_devices_without_changing_them(simulate: Simulate) -> None:
    everything = simulate()
    only = simulate(devices="parking", zones=("Z02",))
    assert {m.topic.split("/")[1] for m in only.messages} == {"Z02"}
    assert [m for m in everything.messages if m.topic.startswith("parking/Z02/")] == only.messages
    bins = simulate(devices="bins", districts=("D2",))
    assert {m.topic.split("/")[:2] == ["sanitation", "D2"] for m in bins.messages} == {True}
    assert [m for m in everything.messages if m.topic.startswith("sanitation/D2/")] == bins.messages


def test_unknown_zone_or_future_start_is_refused(city_file: Path) -> None:
    publisher = RecordingPublisher()
    with pytest.raises(SelectionError, match="Z99"):
        run_simulation(SimulationOptions(city=city_file, zones=("Z99",)), publisher=publisher)
    future = datetime.now(UTC) + timedelta(hours=1)
    with pytest.raises(OptionError, match="future"):
        run_simulation(SimulationOptions(city=city_file, start=future), publisher=publisher)


class _StopAfter:
    """A stop flag that trips after it has been asked ``n`` times."""

    def __init__(self, n: int) -> None:
        self.asked = 0
        self.n = n

    def is_set(self) -> bool:
        self.asked += 1
        return self.asked > self.n

    def wait(self, timeout: float | None = None) -> bool:
        return self.is_set()


def test_a_stopped_run_still_writes_its_final_record(city_file: Path, tmp_path: Path) -> None:
    truth = tmp_path / "truth.jsonl"
    options = SimulationOptions(
        city=city_file, start=START, speed=float("inf"), truth=truth, log_every_s=0
    )
    publisher = RecordingPublisher()
    summary = run_simulation(options, publisher=publisher, stop=_StopAfter(500))
    assert summary.stopped_by == "signal"
    records = [json.loads(line) for line in truth.read_text().splitlines()]
    assert records[-1]["type"] == "final"
    assert records[-1]["published"] == len(publisher.messages) > 0
    assert START <= summary.end < START + timedelta(hours=3)


def test_stopping_never_splits_a_movement_from_its_report(city_file: Path) -> None:
    options = SimulationOptions(
        city=city_file,
        start=START + timedelta(hours=4),  # 10:00, when cars come and go
        speed=float("inf"),
        devices="parking",
        zones=("Z01",),
        heartbeat=timedelta(hours=1),  # so that most events are movements and their reports
        log_every_s=0,
    )
    for n in range(1, 60):
        publisher = RecordingPublisher()
        summary = run_simulation(options, publisher=publisher, stop=_StopAfter(n))
        last: dict[str, bool] = {}
        for message in publisher.messages:
            last[message.topic.split("/")[2]] = json.loads(message.payload)["occupied"]
        assert summary.spaces["Z01"] == last, n


def test_paced_run_takes_wall_time(city_file: Path) -> None:
    # 20 s of simulated time at 10x takes about 2 s of wall time.
    options = SimulationOptions(
        city=city_file,
        start=datetime.now(UTC) - timedelta(seconds=30),
        speed=10,
        duration=timedelta(seconds=20),
        devices="parking",
        heartbeat=timedelta(seconds=5),
        log_every_s=0,
    )
    began = time.monotonic()
    summary = run_simulation(options, publisher=RecordingPublisher())
    took = time.monotonic() - began
    assert 1.8 <= took <= 6.0
    assert summary.stopped_by == "duration"


def test_city_file_is_read_as_given(tmp_path: Path) -> None:
    data = small_city_data()
    data["parking_zones"] = data["parking_zones"][:1]
    path = tmp_path / "one-zone.yaml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    options = SimulationOptions(
        city=path, start=START, speed=float("inf"), count=100, devices="parking", log_every_s=0
    )
    publisher = RecordingPublisher()
    run_simulation(options, publisher=publisher)
    assert {m.topic.split("/")[1] for m in publisher.messages} == {"Z01"}
