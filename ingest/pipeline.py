"""From one MQTT message to line-protocol lines: the shared intake, then encode. Pure."""

from __future__ import annotations

from datetime import datetime

from curbside.adapters.influx.schema import to_line
from curbside.adapters.intake import Intake


class Pipeline:
    """Turns a message into the lines to store, or raises Rejected saying why not."""

    def __init__(self, intake: Intake) -> None:
        self._intake = intake

    def lines(
        self, topic: str, payload: bytes, received_at: datetime, *, retained: bool = False
    ) -> list[str]:
        """The lines for every reading in the message (see curbside/adapters/intake.py)."""
        readings = self._intake.readings(topic, payload, received_at, retained=retained)
        return [to_line(r) for r in readings]
