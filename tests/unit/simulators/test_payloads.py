"""Contract v1 payloads, byte for byte, and every message of a run within the contract."""

from __future__ import annotations

import re
from zoneinfo import ZoneInfo

from simulators.events import EmptyingReport, FillReport, SpaceReport, VehicleMovement
from simulators.options import FaultRates
from simulators.payloads import encode
from simulators.timestamps import instant_of, local_rfc3339, utc_rfc3339

from .contract import problem
from .support import START, Simulate

SHANGHAI = ZoneInfo("Asia/Shanghai")
EIGHT_AM = 1_795_737_600  # 2026-11-27T08:00:00+08:00


def test_timestamps() -> None:
    assert local_rfc3339(EIGHT_AM, SHANGHAI) == "2026-11-27T08:00:00+08:00"
    assert utc_rfc3339(EIGHT_AM) == "2026-11-27T00:00:00Z"
    assert instant_of(START) == EIGHT_AM - 26 * 3600


def test_the_contracts_examples_byte_for_byte() -> None:
    status = encode(SpaceReport(EIGHT_AM, "Z01", "Z01-002", True, 3.61, -91, "change"), SHANGHAI)
    assert status is not None
    assert status.topic == "parking/Z01/Z01-002/status"
    assert status.payload == (
        b'{"occupied": true, "ts": "2026-11-27T08:00:00+08:00", "battery_v": 3.61, "rssi_dbm": -91}'
    )
    fill = encode(
        FillReport(EIGHT_AM, "D1", "D1-B001", 73.2, 73.5, 73.5, None, 3.5, 21.0, False), SHANGHAI
    )
    assert fill is not None
    assert fill.topic == "sanitation/D1/D1-B001/fill"
    assert fill.payload == (
        b'{"fill_pct": 73.5, "ts": "2026-11-27T08:00:00+08:00", "battery_v": 3.5, '
        b'"temp_c": 21.0, "tilted": false}'
    )
    distance = encode(
        FillReport(EIGHT_AM, "D1", "D1-B002", 75.3, 75.0, None, 25.0, 3.5, 21.0, True), SHANGHAI
    )
    assert distance is not None
    assert distance.payload.startswith(b'{"distance_cm": 25.0, "ts": ')
    assert b"fill_pct" not in distance.payload
    emptied = encode(EmptyingReport(EIGHT_AM + 900, "D1", "D1-B001", "T03"), SHANGHAI)
    assert emptied is not None
    assert emptied.topic == "sanitation/D1/D1-B001/emptied"
    assert emptied.payload == b'{"ts": "2026-11-27T08:15:00+08:00", "truck": "T03"}'
    assert encode(VehicleMovement(EIGHT_AM, "Z01", "Z01-002", True), SHANGHAI) is None


def test_seq_comes_last_and_only_when_asked_for() -> None:
    report = SpaceReport(EIGHT_AM, "Z01", "Z01-002", True, 3.61, -91, "change", seq=65_535)
    numbered = encode(report, SHANGHAI, seq=True)
    assert numbered is not None
    assert numbered.payload == (
        b'{"occupied": true, "ts": "2026-11-27T08:00:00+08:00", "battery_v": 3.61, '
        b'"rssi_dbm": -91, "seq": 65535}'
    )
    plain = encode(report, SHANGHAI)
    assert plain is not None
    assert b"seq" not in plain.payload
    fill = FillReport(EIGHT_AM, "D1", "D1-B001", 73.2, 73.5, 73.5, None, 3.5, 21.0, False)
    numbered_fill = encode(fill, SHANGHAI, seq=True)
    assert numbered_fill is not None
    assert b"seq" not in numbered_fill.payload  # only parking sensors count


def test_every_message_of_a_run_keeps_the_contract(simulate: Simulate) -> None:
    out = simulate()
    topic_shape = re.compile(
        r"^(parking/Z0[12]/Z0[12]-\d{3}/status|sanitation/D[12]/D[12]-B\d{3}/(fill|emptied))$"
    )
    kinds = set()
    for message in out.messages:
        assert topic_shape.match(message.topic), message.topic
        assert problem(message.topic, message.payload) is None, message.payload
        kinds.add(message.topic.rsplit("/", 1)[1])
    assert kinds == {"status", "fill", "emptied"}
    for _, payload in out.payloads("/status"):
        assert list(payload) == ["occupied", "ts", "battery_v", "rssi_dbm"]
        assert -110 <= payload["rssi_dbm"] <= -70
        assert 3.0 <= payload["battery_v"] <= 3.7
    for _, payload in out.payloads("/fill"):
        level, *rest = payload
        assert level in ("fill_pct", "distance_cm")
        assert rest == ["ts", "battery_v", "temp_c", "tilted"]
    for _, payload in out.payloads("/emptied"):
        assert list(payload) == ["ts", "truck"]


def test_flickers_and_numbers_keep_the_contract(simulate: Simulate) -> None:
    out = simulate(devices="parking", seq=True, faults=FaultRates(flicker=1.0))
    for message in out.messages:
        assert problem(message.topic, message.payload) is None, message.payload
    for _, payload in out.payloads("/status"):
        assert list(payload) == ["occupied", "ts", "battery_v", "rssi_dbm", "seq"]
        assert 0 <= payload["seq"] < 65_536


def test_batteries_drain_slowly(simulate: Simulate) -> None:
    out = simulate(devices="parking")
    by_space: dict[str, list[float]] = {}
    for topic, payload in out.payloads("/status"):
        by_space.setdefault(topic, []).append(payload["battery_v"])
    for volts in by_space.values():
        assert volts == sorted(volts, reverse=True)
        assert volts[0] - volts[-1] <= 0.02  # six hours
