"""The raw-bytes path and the decoded-object path give the same readings.

A network server either forwards the frame (ChirpStack ``data``, The Things Stack
``frm_payload``) or also the object its device codec made of it (``object``,
``decoded_payload``). Curbside promises both give the same readings. Every golden case that
knows both forms of its frame runs twice: once with the bytes only, once with the object
only. For vendor cases the object is the vendor's own expected output (``vendor.json``), so
both paths must also give the case's expected readings.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

import decoders.formats  # noqa: F401 - registers the formats under test
from decoders.registry import decoder_for
from tests.unit.decoders.test_golden import CASES, SENSORS, as_json

# Where each network server puts the frame and the decoded object.
_KEYS = {"cs": ("data", "object"), "tts": ("frm_payload", "decoded_payload")}


def _uplink(case: Path) -> tuple[str, dict[str, Any], dict[str, Any]]:
    """(wire, the message, the dict holding frame and object) for a case's payload."""
    message = json.loads((case / "payload.bin").read_text())
    wire = case.name.split("_", 1)[0]
    return wire, message, message if wire == "cs" else message["uplink_message"]


def _object_of(case: Path) -> dict[str, Any] | None:
    vendor = case / "vendor.json"
    if vendor.exists():
        output: dict[str, Any] = json.loads(vendor.read_text())["output"]
        return output
    wire, _message, up = _uplink(case)
    frame_key, object_key = _KEYS[wire]
    return up.get(object_key) if up.get(frame_key) else None


def _both_known(case: Path) -> bool:
    # A home-made ("foreign") codec's object is not the vendor's: the bytes decide there.
    if not case.name.startswith(("cs_", "tts_")) or "foreign" in case.name:
        return False
    expected = json.loads((case / "expected.json").read_text())
    return bool(expected.get("readings")) and _object_of(case) is not None


BOTH = [c for c in CASES if _both_known(c)]


def _readings(case: Path, *, keep: str) -> list[dict[str, Any]]:
    wire, message, up = _uplink(case)
    frame_key, object_key = _KEYS[wire]
    if keep == "bytes":
        up.pop(object_key, None)
    else:
        up[object_key] = _object_of(case)
        up.pop(frame_key)
    topic = (case / "topic.txt").read_text().strip()
    payload = json.dumps(message).encode()
    return [as_json(r) for r in decoder_for(topic).decode(topic, payload, SENSORS).readings]


@pytest.mark.parametrize("case", BOTH, ids=[c.name for c in BOTH])
def test_bytes_and_object_give_the_same_readings(case: Path) -> None:
    from_bytes = _readings(case, keep="bytes")
    from_object = _readings(case, keep="object")
    assert from_bytes == from_object
    if (case / "vendor.json").exists():
        expected = json.loads((case / "expected.json").read_text())["readings"]
        assert from_bytes == expected


def test_every_vendor_case_runs_both_paths() -> None:
    vendor = {c.name for c in CASES if (c / "vendor.json").exists()}
    assert vendor, "no vendor cases"
    assert vendor <= {c.name for c in BOTH}
