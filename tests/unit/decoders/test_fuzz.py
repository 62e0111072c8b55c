"""Whatever bytes arrive on whatever topic, a decoder returns readings or raises Rejected."""

from __future__ import annotations

import base64
import json
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

import curbside.adapters.decoders.formats  # noqa: F401 - registers the formats under test
from curbside.adapters.decoders.registry import decoder_for
from curbside.city.registry import load_city
from curbside.vocabulary.readings import SpaceStatus
from curbside.vocabulary.rejection import Rejected

# Keys the vendors' codecs put in a decoded object, so fuzzing reaches the device codecs.
FRAME_KEYS = {
    "occupied",
    "temperature",
    "previous_state_duration",
    "battery_voltage",
    "hw_health_status",
    "battery",
    "distance",
    "position",
    "temperature_abnormal",
    "distance_alarming",
    "temperature_alarm",
    "distance_alarm",
}
SENSORS = load_city(Path(__file__).parent / "city.yaml").sensors
# One registered sensor of each model (see city.yaml), on each network server's topic.
DEV_EUIS = ["0101010101010101", "0004a30b001c0530", "24e124713d016172", "24e124713d400001"]
LORAWAN_TOPICS = [
    *(
        f"application/app/device/{eui}/event/{event}"
        for eui in DEV_EUIS
        for event in ("up", "status")
    ),
    *(f"v3/app@tenant/devices/dev-{n}/up" for n in range(len(DEV_EUIS))),
]
topics = st.sampled_from(
    [
        "parking/Z01/Z01-001/status",
        "sanitation/D1/D1-B001/fill",
        "sanitation/D1/D1-B001/emptied",
        *LORAWAN_TOPICS,
    ]
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
        decoder.decode(topic, payload, SENSORS)
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
    [reading] = decoder_for(topic).decode(topic, payload, SENSORS).readings
    assert reading == SpaceStatus("Z01", "Z01-001", occupied, None, battery, None)


def _uplinks(eui: str, frame: bytes, port: int, decoded: object) -> list[tuple[str, bytes]]:
    data = base64.b64encode(frame).decode()
    chirpstack = {"deviceInfo": {"devEui": eui}, "fPort": port, "data": data, "object": decoded}
    tts = {
        "end_device_ids": {"dev_eui": eui},
        "uplink_message": {"f_port": port, "frm_payload": data, "decoded_payload": decoded},
    }
    return [
        (f"application/app/device/{eui}/event/up", json.dumps(chirpstack).encode()),
        ("v3/app/devices/d/up", json.dumps(tts).encode()),
    ]


@settings(max_examples=400)
@given(
    st.sampled_from(DEV_EUIS),
    st.binary(max_size=24),
    st.integers(min_value=0, max_value=255),
    st.none() | st.dictionaries(st.sampled_from(sorted(FRAME_KEYS)), json_values, max_size=4),
)
def test_arbitrary_frames_and_decoded_objects_never_crash(
    eui: str, frame: bytes, port: int, decoded: object
) -> None:
    for topic, payload in _uplinks(eui, frame, port, decoded):
        _decode(topic, payload)
