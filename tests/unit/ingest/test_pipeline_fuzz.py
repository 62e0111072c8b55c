"""Fuzzing ingest's whole pure path: any topic, any bytes, JSON-ish payloads of every shape.
A message is either rejected or turned into well-formed lines; nothing else may happen."""

from __future__ import annotations

import json
from datetime import UTC, timedelta, timezone

from hypothesis import given, settings
from hypothesis import strategies as st

from tests.fuzz.pipeline_target import TOPICS, check_one_message

OFFSETS = [UTC, timezone(timedelta(hours=8)), timezone(timedelta(hours=-9, minutes=-30))]
topics = st.sampled_from(TOPICS) | st.text(max_size=60)
scalars = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats()
    | st.text(max_size=30)
    | st.datetimes(timezones=st.sampled_from(OFFSETS)).map(lambda d: d.isoformat())
)
values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner),
    max_leaves=8,
)
fields = st.sampled_from(
    [
        "occupied",
        "ts",
        "battery_v",
        "rssi_dbm",
        "seq",
        "fill_pct",
        "distance_cm",
        "temp_c",
        "tilted",
        "truck",
    ]
)


@settings(max_examples=3000)
@given(topics, st.binary(max_size=600))
def test_any_bytes_on_any_topic_are_rejected_or_stored_well_formed(
    topic: str, payload: bytes
) -> None:
    check_one_message(topic, payload)


@settings(max_examples=1000)
@given(topics, st.dictionaries(fields, values, max_size=6))
def test_any_json_object_is_rejected_or_stored_well_formed(
    topic: str, obj: dict[str, object]
) -> None:
    check_one_message(topic, json.dumps(obj, allow_nan=True).encode())
