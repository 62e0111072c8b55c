"""MQTT contract v1 (native JSON): topics and payloads of the simulated devices' reports."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import tzinfo
from typing import Literal

from curbside.vocabulary.topics import progress_topic
from simulators.events import EmptyingReport, Event, FillReport, SpaceReport, TruckProgress
from simulators.timestamps import Instant, local_rfc3339, utc_rfc3339

MessageKind = Literal["status", "fill", "emptied", "progress"]
JsonScalar = bool | int | float | str | list[str] | None
Report = SpaceReport | FillReport | EmptyingReport | TruckProgress


@dataclass(frozen=True, slots=True)
class Message:
    """One MQTT message to publish, with the fields it encodes and the report it came from."""

    topic: str
    payload: bytes
    kind: MessageKind
    fields: Mapping[str, JsonScalar]
    report: Report

    @property
    def t(self) -> Instant:
        """The simulated instant the message's ``ts`` names."""
        return self.report.t


def status_topic(zone: str, space: str) -> str:
    """``parking/{zone}/{space}/status``."""
    return f"parking/{zone}/{space}/status"


def fill_topic(district: str, bin_id: str) -> str:
    """``sanitation/{district}/{bin}/fill``."""
    return f"sanitation/{district}/{bin_id}/fill"


def emptied_topic(district: str, bin_id: str) -> str:
    """``sanitation/{district}/{bin}/emptied``."""
    return f"sanitation/{district}/{bin_id}/emptied"


def dump_payload(fields: Mapping[str, JsonScalar]) -> bytes:
    """A payload's JSON text, keys in the contract's order."""
    return json.dumps(fields, ensure_ascii=False, allow_nan=False).encode()


def _message(
    topic: str, kind: MessageKind, fields: dict[str, JsonScalar], report: Report
) -> Message:
    return Message(topic, dump_payload(fields), kind, fields, report)


def encode(event: Event, tz: tzinfo, *, seq: bool = False) -> Message | None:
    """The message a report is published as; None for events that are not messages.

    With ``seq``, status payloads end with the sensor's message number (optional in v1).
    """
    match event:
        case SpaceReport():
            status: dict[str, JsonScalar] = {
                "occupied": event.occupied,
                "ts": local_rfc3339(event.t, tz),
                "battery_v": event.battery_v,
                "rssi_dbm": event.rssi_dbm,
            }
            if seq:
                status["seq"] = event.seq
            return _message(status_topic(event.zone, event.space), "status", status, event)
        case FillReport():
            reading: dict[str, JsonScalar] = (
                {"fill_pct": event.fill_pct}
                if event.distance_cm is None
                else {"distance_cm": event.distance_cm}
            )
            fill = reading | {
                "ts": local_rfc3339(event.t, tz),
                "battery_v": event.battery_v,
                "temp_c": event.temp_c,
                "tilted": event.tilted,
            }
            return _message(fill_topic(event.district, event.bin), "fill", fill, event)
        case EmptyingReport():
            emptied: dict[str, JsonScalar] = {
                "ts": local_rfc3339(event.t, tz),
                "truck": event.truck,
            }
            return _message(emptied_topic(event.district, event.bin), "emptied", emptied, event)
        case TruckProgress():
            # The API reads ts as an aware instant: UTC, like the stops' times it planned.
            progress: dict[str, JsonScalar] = {
                "ts": utc_rfc3339(event.t),
                "lat": event.lat,
                "lon": event.lon,
                "done": list(event.done),
            }
            return _message(progress_topic(event.truck), "progress", progress, event)
        case _:
            return None
