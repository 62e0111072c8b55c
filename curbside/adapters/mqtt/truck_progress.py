"""Hears the trucks' progress reports on ``dispatch/{truck}/progress`` (docs/mqtt.md).

A report is a JSON document: ``{"ts": "...Z", "lat": 29.87, "lon": 121.54, "done": ["D1-B001",
"TS1", ...]}``, the stops of its current route done so far, in order. Only a truck's own
account may publish on its topic (broker ACL), so the truck is the topic's. A bad report is
logged (throttled), counted and dropped; nothing escapes into paho's thread.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from typing import Annotated, Any

import paho.mqtt.client as mqtt
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, ValidationError

from curbside.adapters.log_throttle import Throttle
from curbside.adapters.mqtt.client import BrokerAccess, new_client
from curbside.config.settings import Settings
from curbside.vocabulary.topics import DISPATCH_ROOT, progress_topic

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


class ProgressListener:
    """A paho client subscribed to every truck's progress topic; reconnects by itself."""

    def __init__(
        self,
        settings: Settings,
        on_report: Callable[[str, ProgressReport], None],
        client_id: str | None = None,
    ) -> None:
        self.rejected = 0
        self._on_report = on_report
        self._throttle = Throttle(60.0)
        self._client = new_client(
            BrokerAccess.from_settings(settings),
            client_id=client_id or f"curbside-progress-{uuid.uuid4().hex[:8]}",
        )
        self._client.reconnect_delay_set(min_delay=1, max_delay=30)
        self._client.on_connect = self._subscribe
        self._client.on_message = self._heard
        self._client.connect_async(
            settings.mqtt.host, settings.mqtt.port, settings.mqtt.keepalive_s
        )
        self._client.loop_start()

    def _subscribe(self, client: mqtt.Client, *args: Any) -> None:
        client.subscribe(progress_topic("+"), qos=1)

    def _heard(self, client: mqtt.Client, userdata: Any, message: mqtt.MQTTMessage) -> None:
        truck = truck_of(message.topic)
        try:
            if truck is None:
                raise ValueError("not a truck's progress topic")
            report = parse_report(bytes(message.payload))
        except ValueError as exc:
            self.rejected += 1
            if self._throttle.allow(message.topic[:200]):
                log.warning("progress report on %s dropped: %s", message.topic[:200], exc)
            return
        try:
            self._on_report(truck, report)
        except Exception:
            log.exception("could not take %s's progress report; it is dropped", truck)

    def close(self) -> None:
        """Disconnect."""
        self._client.loop_stop()
        self._client.disconnect()
