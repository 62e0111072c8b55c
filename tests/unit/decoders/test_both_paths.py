"""The raw-bytes path and the decoded-object path give the same readings.

A network server either forwards the frame (ChirpStack ``data``, The Things Stack
``frm_payload``) or also the object its device codec made of it (``object``,
``decoded_payload``). Curbside promises both give the same readings. Every golden uplink case
that gives readings runs twice, once with the frame only and once with the object only. The
other form comes from the case folder: ``vendor.json`` (a vendor's published example: its
expected output is the object, and both paths must give the case's expected readings),
``object.json`` (what the vendor's codec returns for the case's frame) or ``frame.hex`` (a
frame the vendor's codec decodes to the case's object); SOURCE.md says where each came from.
"""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import pytest

import curbside.adapters.decoders.formats  # noqa: F401 - registers the formats under test
from curbside.adapters.decoders.registry import decoder_for
from tests.unit.decoders.test_golden import CASES, SENSORS, as_json

# Where each network server puts the frame and the decoded object.
_KEYS = {"cs": ("data", "object"), "tts": ("frm_payload", "decoded_payload")}


def _uplink(case: Path) -> tuple[dict[str, Any], dict[str, Any], str, str]:
    """(the message, the dict holding frame and object, frame key, object key)."""
    message = json.loads((case / "payload.bin").read_text())
    wire = case.name.split("_", 1)[0]
    frame_key, object_key = _KEYS[wire]
    return message, message if wire == "cs" else message["uplink_message"], frame_key, object_key


def _forms(case: Path) -> tuple[str | None, Any]:
    """The case's frame (base64) and decoded object, from the payload or beside it."""
    _message, up, frame_key, object_key = _uplink(case)
    frame, obj = up.get(frame_key), up.get(object_key)
    if (case / "vendor.json").exists():
        obj = json.loads((case / "vendor.json").read_text())["output"]
    elif (case / "object.json").exists():
        obj = json.loads((case / "object.json").read_text())
    if (case / "frame.hex").exists():
        frame = base64.b64encode(bytes.fromhex((case / "frame.hex").read_text())).decode()
    return frame, obj


def _is_uplink_with_readings(case: Path) -> bool:
    topic = (case / "topic.txt").read_text().strip()
    expected = json.loads((case / "expected.json").read_text())
    return topic.endswith("/up") and bool(expected.get("readings"))


# A home-made ("foreign") codec's object is not the vendor's: the bytes decide there.
UPLINKS = [
    c
    for c in CASES
    if c.name.startswith(("cs_", "tts_"))
    and "foreign" not in c.name
    and _is_uplink_with_readings(c)
]
BOTH = [c for c in UPLINKS if all(form is not None for form in _forms(c))]


def _readings(case: Path, *, keep: str) -> list[dict[str, Any]]:
    message, up, frame_key, object_key = _uplink(case)
    frame, obj = _forms(case)
    up.pop(frame_key, None)
    up.pop(object_key, None)
    if keep == "bytes":
        up[frame_key] = frame
    else:
        up[object_key] = obj
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


def test_every_uplink_case_runs_both_paths() -> None:
    # Only an object no vendor codec can produce (an unknown word) has no frame to match.
    missing = {c.name for c in UPLINKS} - {c.name for c in BOTH}
    assert missing == {"cs_em310_object_position_unknown_word"}
    assert any((c / "vendor.json").exists() for c in BOTH)
