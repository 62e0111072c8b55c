"""Hears the trucks' progress reports on ``dispatch/{truck}/progress`` (docs/mqtt.md).

A report is a JSON document: ``{"ts": "...Z", "lat": 29.87, "lon": 121.54, "done": ["D1-B001",
"TS1", ...]}``, the stops of its current route done so far, in order. Only a truck's own
account may publish on its topic (broker ACL), so the truck is the topic's. A bad report is
logged (throttled), counted and dropped; nothing escapes into the link.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Annotated

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, ValidationError

from curbside.adapters.log_throttle import Throttle
from curbside.vocabulary.topics import DISPATCH_ROOT

log = logging.getLogger(__name__)

StopId = Annotated[str, Field(pattern=r"^[A-Za-z0-9_.-]{1,64}$")]
MAX_PAYLOAD_BYTES = 64 * 1024


class ProgressReport(BaseModel):
    """One progress report of a truck."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    ts: AwareDatetime
    lat: float = Field(ge=-90, le=90)
    lon: float = Field(ge=-180, le=180)
    done: list[StopId] = Field(default_factory=list, max_length=2_000)


def truck_of(topic: str) -> str | None:
    """The truck a progress topic belongs to, or None if it is not one."""
    parts = topic.split("/")
    if len(parts) == 3 and parts[0] == DISPATCH_ROOT and parts[2] == "progress" and parts[1]:
        return parts[1]
    return None


def parse_report(payload: bytes) -> ProgressReport:
    """The report in ``payload``; raises ValueError saying what is wrong."""
    if len(payload) > MAX_PAYLOAD_BYTES:
        raise ValueError(f"report of {len(payload)} bytes is over {MAX_PAYLOAD_BYTES}")
    try:
        return ProgressReport.model_validate_json(payload)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "document"
        raise ValueError(f"{where}: {first['msg']}") from None


class ProgressReports:
    """What hears every truck's progress topic on an MQTT link (curbside/adapters/mqtt/link.py)."""

    def __init__(self, on_report: Callable[[str, ProgressReport], None]) -> None:
        self.rejected = 0
        self._on_report = on_report
        self._throttle = Throttle(60.0)

    def __call__(self, topic: str, payload: bytes, _retain: bool) -> None:
        """One message on a progress topic: a good report is handed on, a bad one dropped."""
        truck = truck_of(topic)
        try:
            if truck is None:
                raise ValueError("not a truck's progress topic")
            report = parse_report(payload)
        except ValueError as exc:
            self.rejected += 1
            if self._throttle.allow(topic[:200]):
                log.warning("progress report on %s dropped: %s", topic[:200], exc)
            return
        try:
            self._on_report(truck, report)
        except Exception:
            log.exception("could not take %s's progress report; it is dropped", truck)
