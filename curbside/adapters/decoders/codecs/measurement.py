"""What a device codec reads out of one frame, before it is tied to a space or bin.

Every field is optional: a heartbeat carries no distance, an attribute frame nothing at all.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from curbside.vocabulary.devices import SensorModel
from curbside.vocabulary.rejection import Skipped

JsonObject = Mapping[str, Any]


@dataclass(frozen=True, slots=True)
class Measurement:
    """The facts in one uplink frame, in Curbside's units."""

    occupied: bool | None = None
    distance_mm: float | None = None
    battery_pct: float | None = None
    battery_v: float | None = None
    temp_c: float | None = None
    tilted: bool | None = None
    distance_alarm: bool | None = None
    temp_alarm: bool | None = None
    previous_state_min: int | None = None
    hw_health: int | None = None
    # Parts of the frame left out (configuration replies, unknown channels or values).
    skipped: tuple[Skipped, ...] = ()

    @property
    def empty(self) -> bool:
        """Whether the frame carried nothing Curbside stores (attribute, debug frames)."""
        return all(getattr(self, name) is None for name in _FACTS)


_FACTS = tuple(name for name in Measurement.__slots__ if name != "skipped")


class DeviceCodec(Protocol):
    """One sensor model's payload: from the raw frame, or from a network server's decoding."""

    model: SensorModel

    def from_bytes(self, f_port: int, frame: bytes) -> Measurement:
        """The frame's facts; raises Rejected when the frame is malformed."""
        ...

    def from_object(self, f_port: int, decoded: JsonObject) -> Measurement:
        """The facts in the object the vendor's codec made of the frame on the network server."""
        ...
