"""Reading the true stays back from the truth records."""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from simulators.options import FaultRates
from simulators.truth import TrueStay, true_stays

from .support import START, Simulate


def _at(minute: int) -> datetime:
    return datetime(2026, 11, 25, 22, minute, tzinfo=UTC)


def _ts(minute: int) -> str:
    return f"2026-11-25T22:{minute:02d}:00Z"


def _move(kind: str, space: str, minute: int) -> dict[str, Any]:
    return {"type": kind, "zone": "Z01", "space": space, "ts": _ts(minute)}


INITIAL = {
    "type": "initial",
    "ts": _ts(0),
    "spaces": {"Z01": {"Z01-001": True, "Z01-002": False, "Z01-003": True}},
    "bins": {},
}


def test_stays_from_hand_written_records() -> None:
    records: list[dict[str, Any]] = [
        {"type": "run", "seed": 1},
        INITIAL,
        _move("arrival", "Z01-002", 5),
        {"type": "fault", "kind": "flicker", "topic": "parking/Z01/Z01-002/status"},
        _move("departure", "Z01-001", 7),
        _move("departure", "Z01-002", 20),
        _move("arrival", "Z01-002", 30),
        _move("arrival", "Z01-001", 40),
        _move("departure", "Z01-001", 50),
        {"type": "final", "end": _ts(59), "spaces": {}},
    ]
    assert true_stays(records) == [
        TrueStay("Z01", "Z01-001", _at(0), _at(7), before_start=True),
        TrueStay("Z01", "Z01-003", _at(0), None, before_start=True),
        TrueStay("Z01", "Z01-002", _at(5), _at(20)),
        TrueStay("Z01", "Z01-002", _at(30), None),
        TrueStay("Z01", "Z01-001", _at(40), _at(50)),
    ]


@pytest.mark.parametrize(
    "records",
    [
        [INITIAL, _move("arrival", "Z01-001", 5)],
        [INITIAL, _move("departure", "Z01-002", 5)],
        [_move("arrival", "Z01-002", 5), INITIAL],
    ],
)
def test_contradictions_are_refused(records: list[dict[str, Any]]) -> None:
    with pytest.raises(ValueError, match="Z01/Z01-00"):
        true_stays(records)


def _when(ts: str) -> datetime:
    return datetime.fromisoformat(ts.replace("Z", "+00:00"))


def test_stays_agree_with_the_status_stream(simulate: Simulate) -> None:
    out = simulate(devices="parking", faults=FaultRates(flicker=0.3))
    stays = true_stays(out.truth)
    by_space: dict[tuple[str, str], list[TrueStay]] = defaultdict(list)
    for stay in stays:
        by_space[(stay.zone, stay.space)].append(stay)
    flickers = {
        (r["topic"], _when(r["detail"][key]))
        for r in out.records("fault")
        if r["kind"] == "flicker"
        for key in ("ts", "until")
    }
    assert flickers
    end = START + timedelta(hours=6)
    statuses: dict[tuple[str, str, datetime], bool] = {}
    for topic, payload in out.payloads("/status"):
        _, zone, space, _ = topic.split("/")
        moment = _when(payload["ts"])
        statuses[(zone, space, moment)] = payload["occupied"]
        if (topic, moment) in flickers:
            continue
        # Every other status message says whether a stay covers its instant.
        covered = any(
            s.start <= moment < (s.end or end + timedelta(seconds=1))
            for s in by_space[(zone, space)]
        )
        assert payload["occupied"] is covered, (topic, payload)
    for stay in stays:
        assert stay.start >= START
        if stay.before_start:
            assert stay.start == START
        else:
            assert statuses[(stay.zone, stay.space, stay.start)] is True
        if stay.end is not None:
            assert stay.start < stay.end <= end
            assert statuses[(stay.zone, stay.space, stay.end)] is False
    initial = out.records("initial")[0]["spaces"]
    final = out.records("final")[0]["spaces"]
    assert {(s.zone, s.space) for s in stays if s.before_start} == {
        (z, s) for z, states in initial.items() for s, there in states.items() if there
    }
    assert {(s.zone, s.space) for s in stays if s.end is None} == {
        (z, s) for z, states in final.items() for s, there in states.items() if there
    }
    assert len(stays) > 50
