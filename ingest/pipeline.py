"""From one MQTT message to line-protocol lines: size check, decode, admit, encode. Pure."""

from __future__ import annotations

from datetime import datetime

from city.registry import City
from decoders.registry import decoder_for
from store.schema import to_line
from telemetry.admission import TimestampPolicy, admit
from telemetry.rejection import Reason, Rejected


class Pipeline:
    """Turns a message into the lines to store, or raises Rejected saying why not."""

    def __init__(self, city: City, policy: TimestampPolicy, max_payload_bytes: int) -> None:
        self._city = city
        self._policy = policy
        self._max_payload_bytes = max_payload_bytes

    def lines(self, topic: str, payload: bytes, received_at: datetime) -> list[str]:
        """The lines for every reading in the message."""
        if len(payload) > self._max_payload_bytes:
            raise Rejected(
                Reason.TOO_LARGE,
                f"{len(payload)} bytes is over the limit of {self._max_payload_bytes}",
            )
        readings = decoder_for(topic).decode(topic, payload, self._city.sensors)
        return [to_line(admit(r, self._city, received_at, self._policy)) for r in readings]
