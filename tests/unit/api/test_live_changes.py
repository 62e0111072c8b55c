"""The live stream's changes between snapshots (pure), and the stream's first event."""

from __future__ import annotations

import dataclasses
import json
from datetime import timedelta

from fastapi.testclient import TestClient

from api.livechanges import live_changes
from curbside.domain.parking.occupancy import SpaceState
from curbside.readmodels.live.state import LiveState, build_snapshot
from tests.unit.api.conftest import NOW, STALE_AFTER, make_city, make_latest, make_snapshot


def test_without_a_previous_snapshot_every_space_and_bin_is_sent() -> None:
    city = make_city()
    changes = live_changes(city.parking_zones, city.sanitation_districts, None, make_snapshot())
    assert [s.space for s in changes.spaces] == ["B-1", "A-2", "A-1", "A-3", "A-4"]
    assert [b.bin for b in changes.bins] == ["D1-B2", "D1-B1", "D2-B1"]
    assert [(z.zone, z.occupied, z.unknown) for z in changes.zones] == [
        ("Z2", 0, 1),
        ("Z1", 1, 2),
    ]


def test_an_unchanged_snapshot_sends_only_the_zone_counts() -> None:
    city = make_city()
    before = make_snapshot()
    after = build_snapshot(city, make_latest(), NOW + timedelta(seconds=2), STALE_AFTER)
    changes = live_changes(city.parking_zones, city.sanitation_districts, before, after)
    assert (changes.spaces, changes.bins) == ([], [])
    assert len(changes.zones) == 2 and changes.as_of == after.as_of


def test_a_space_that_changed_or_went_stale_and_a_bin_that_changed_are_sent() -> None:
    city = make_city()
    before = make_snapshot()
    latest = make_latest()
    # A-2 turns occupied; a bin reports a new level; later, A-1 goes stale untouched.
    spaces = [
        SpaceState("Z1", "A-2", True, NOW, NOW, 3.5) if s.space == "A-2" else s
        for s in latest.spaces
    ]
    bins = [dataclasses.replace(b, fill_pct=80.0) if b.bin == "D1-B1" else b for b in latest.bins]
    later = NOW + timedelta(minutes=59, seconds=30)  # A-1 last seen at NOW - 1 min
    after = build_snapshot(
        city, dataclasses.replace(latest, spaces=spaces, bins=bins), later, STALE_AFTER
    )
    changes = live_changes(city.parking_zones, city.sanitation_districts, before, after)
    assert {(s.space, s.occupied, s.stale) for s in changes.spaces} == {
        ("A-2", True, False),
        ("A-1", True, True),
    }
    assert [(b.bin, b.fill_pct) for b in changes.bins] == [("D1-B1", 80.0)]


def test_only_the_zones_and_districts_given_are_sent() -> None:
    city = make_city()
    [z1] = [z for z in city.parking_zones if z.id == "Z1"]
    changes = live_changes([z1], [], None, make_snapshot())
    assert [z.zone for z in changes.zones] == ["Z1"]
    assert {s.zone for s in changes.spaces} == {"Z1"} and len(changes.spaces) == len(z1.spaces)
    assert changes.bins == []
    [d2] = [d for d in city.sanitation_districts if d.id == "D2"]
    changes = live_changes([], [d2], None, make_snapshot())
    assert (changes.zones, changes.spaces, [b.bin for b in changes.bins]) == ([], [], ["D2-B1"])


def test_the_stream_starts_with_every_space_and_bin(client: TestClient, live: LiveState) -> None:
    with client.stream("GET", "/api/v1/live/stream") as response:
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")
        lines = response.iter_lines()
        assert next(lines) == ": connected"
        data = next(line for line in lines if line.startswith("data: "))
    first = json.loads(data[len("data: ") :])
    assert first["as_of"] == "2026-11-27T08:00:00.000Z"
    assert len(first["spaces"]) == 5 and len(first["bins"]) == 3
    assert {s["space"]: s["stale"] for s in first["spaces"]}["A-3"] is True
