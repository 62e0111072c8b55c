"""Curbside's native JSON contract, version 1 (docs/mqtt.md).

Topics: ``parking/{zone}/{space}/status``, ``sanitation/{district}/{bin}/fill`` and
``sanitation/{district}/{bin}/emptied``. Whether the device exists is not this module's
business: that is admission's, which knows the registry.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from curbside.adapters.decoders import fields
from curbside.adapters.decoders.registry import Decoded, register
from curbside.vocabulary.devices import DeviceDirectory
from curbside.vocabulary.readings import BinEmptied, BinLevel, Reading, SpaceStatus
from curbside.vocabulary.rejection import Reason, Rejected

# Whole subtrees, not the three exact shapes: a device publishing on a wrong topic
# (an extra level, a typo) must reach the decoder to be rejected and counted, not vanish.
TOPIC_FILTERS = ("parking/#", "sanitation/#")

# The largest message counter accepted: 32 bits (16-bit counters are the usual kind).
MAX_SEQ = 2**32 - 1


def _space_status(zone: str, space: str, payload: bytes) -> Reading:
    obj = fields.parse_object(payload)
    return SpaceStatus(
        zone=zone,
        space=space,
        occupied=fields.required_bool(obj, "occupied"),
        ts=fields.optional_timestamp(obj),
        battery_v=fields.optional_number(obj, "battery_v", 0.0, 10.0),
        rssi_dbm=fields.optional_number(obj, "rssi_dbm", -200.0, 0.0),
        seq=_optional_seq(obj),
    )


def _optional_seq(obj: fields.JsonObject) -> int | None:
    # A counter, so an integer: 7.0 or "7" is a device bug worth refusing, not rounding.
    if "seq" not in obj:
        return None
    value = obj["seq"]
    if isinstance(value, bool) or not isinstance(value, int):
        raise Rejected(Reason.BAD_SCHEMA, f"seq must be an integer, got {repr(value)[:60]}")
    if not 0 <= value <= MAX_SEQ:
        raise Rejected(Reason.OUT_OF_RANGE, f"seq={value} is outside 0..{MAX_SEQ}")
    return value


def _bin_level(district: str, bin_id: str, payload: bytes) -> Reading:
    obj = fields.parse_object(payload)
    fill_pct = fields.optional_number(obj, "fill_pct", 0.0, 100.0)
    distance_cm = fields.optional_number(obj, "distance_cm", 0.0, 1000.0)
    if fill_pct is None and distance_cm is None:
        raise Rejected(Reason.BAD_SCHEMA, "fill_pct or distance_cm is required")
    return BinLevel(
        district=district,
        bin=bin_id,
        fill_pct=fill_pct,
        distance_cm=None if fill_pct is not None else distance_cm,
        ts=fields.optional_timestamp(obj),
        battery_v=fields.optional_number(obj, "battery_v", 0.0, 10.0),
        temp_c=fields.optional_number(obj, "temp_c", -60.0, 200.0),
        tilted=fields.optional_bool(obj, "tilted"),
    )


def _bin_emptied(district: str, bin_id: str, payload: bytes) -> Reading:
    obj = fields.parse_object(payload)
    return BinEmptied(
        district=district,
        bin=bin_id,
        ts=fields.optional_timestamp(obj),
        truck=fields.optional_text(obj, "truck"),
    )


_BY_TOPIC: dict[tuple[str, str], Callable[[str, str, bytes], Reading]] = {
    ("parking", "status"): _space_status,
    ("sanitation", "fill"): _bin_level,
    ("sanitation", "emptied"): _bin_emptied,
}


class NativeJson:
    """Decoder for the native JSON contract v1."""

    name: str = "native"
    topic_filters: Sequence[str] = TOPIC_FILTERS

    def decode(self, topic: str, payload: bytes, devices: DeviceDirectory) -> Decoded:
        """The one reading a native message carries (``devices`` is not needed)."""
        levels = topic.split("/")
        if len(levels) != 4 or not levels[1] or not levels[2]:
            raise Rejected(Reason.BAD_TOPIC, f"expected 4 topic levels in {topic[:200]!r}")
        kind, group, device, message = levels
        build = _BY_TOPIC.get((kind, message))
        if build is None:
            raise Rejected(Reason.BAD_TOPIC, f"no native message type at {topic[:200]!r}")
        return Decoded([build(group, device, payload)])


register(NativeJson())
