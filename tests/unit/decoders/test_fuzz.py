"""Whatever bytes arrive on whatever topic, a decoder returns readings or raises Rejected."""

from __future__ import annotations

import json

from hypothesis import given, settings
from hypothesis import strategies as st

import decoders.formats  # noqa: F401 - registers the formats under test
from decoders.registry import decoder_for
from telemetry.readings import SpaceStatus
from telemetry.rejection import Rejected

topics = st.sampled_from(
    ["parking/Z01/Z01-001/status", "sanitation/D1/D1-B001/fill", "sanitation/D1/D1-B001/emptied"]
) | st.text(max_size=40)

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner),
    max_leaves=10,
)
objects = st.fixed_dictionaries(
    {},
    optional={
        "occupied": json_values,
        "ts": json_values,
        "battery_v": json_values,
        "fill_pct": json_values,
        "distance_cm": json_values,
        "truck": json_values,
        "tilted": json_values,
    },
)


def _decode(topic: str, payload: bytes) -> None:
    try:
        decoder = decoder_for(topic)
        decoder.decode(topic, payload)
    except Rejected:
        pass


@settings(max_examples=500)
@given(topics, st.binary(max_size=300))
def test_arbitrary_bytes_never_crash(topic: str, payload: bytes) -> None:
    _decode(topic, payload)


@settings(max_examples=500)
@given(topics, objects)
def test_arbitrary_json_objects_never_crash(topic: str, obj: dict[str, object]) -> None:
    _decode(topic, json.dumps(obj).encode())


@given(st.booleans(), st.floats(min_value=0, max_value=10, allow_nan=False))
def test_valid_status_round_trips(occupied: bool, battery: float) -> None:
    payload = json.dumps({"occupied": occupied, "battery_v": battery}).encode()
    topic = "parking/Z01/Z01-001/status"
    [reading] = decoder_for(topic).decode(topic, payload)
    assert reading == SpaceStatus("Z01", "Z01-001", occupied, None, battery, None)
