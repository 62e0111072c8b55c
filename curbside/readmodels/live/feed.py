"""The API's following of the telemetry stream for the live state, on the process's one MQTT
link (curbside/adapters/mqtt/link.py).

Each message is decoded and admitted on the event loop (curbside/adapters/intake.py, the very
code ingest runs) and its readings queued; the live state applies them at its next tick
(curbside/readmodels/live/state.py). Rejected messages are counted, not dead-lettered:
ingest does that.

The link's session is clean (the API keeps no state at the broker): what it misses while away
is read back from InfluxDB after every reconnect, which :attr:`LiveFeed.connects` signals.
The link connects in the background and reconnects by itself, so the API starts (and keeps
serving) while the broker is down; /health reports the connection as it is.
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter, deque
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Protocol

import curbside.adapters.decoders.formats  # noqa: F401 - registers every payload format
from curbside.adapters.decoders.registry import subscriptions
from curbside.adapters.intake import Intake
from curbside.adapters.mqtt.link import MqttLink
from curbside.vocabulary.readings import Reading
from curbside.vocabulary.rejection import Reason, Rejected

# Readings waiting for the event loop. Past this the feed drops them and says so
# (:attr:`LiveFeed.overflows`): the live state then reads everything back from InfluxDB.
MAX_QUEUED = 100_000


class BrokerStatus(Protocol):
    """What /health needs to know about the broker."""

    @property
    def connected(self) -> bool:
        """Whether the connection to the broker is up right now."""
        ...

    @property
    def following(self) -> bool:
        """Whether the telemetry subscriptions are in place on the current connection."""
        ...

    @property
    def received(self) -> int:
        """Sensor messages received so far."""
        ...

    @property
    def rejected(self) -> Mapping[str, int]:
        """Of those, how many the intake refused, by reason."""
        ...


class LiveFeed:
    """Every sensor topic heard on the link, admitted readings queued for the live state."""

    def __init__(
        self,
        link: MqttLink,
        intake: Intake,
        *,
        topic_filters: list[str] | None = None,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._link = link
        self._intake = intake
        self._clock = clock
        # (monotonic receive time, readings)
        self._queue: deque[tuple[float, list[Reading]]] = deque()
        self.overflows = 0
        self.received = 0
        self._rejected: Counter[str] = Counter()
        for topic_filter in topic_filters if topic_filters is not None else subscriptions():
            link.subscribe(topic_filter, self.heard)

    @property
    def connected(self) -> bool:
        """Whether the connection to the broker is up right now."""
        return self._link.connected

    @property
    def following(self) -> bool:
        """Whether the broker granted the telemetry subscriptions on the current connection."""
        return self._link.following

    @property
    def connects(self) -> int:
        """Connections made so far, each followed by a read-back of what it missed."""
        return self._link.connects

    async def wait_following(self, timeout_s: float) -> bool:
        """Wait up to ``timeout_s`` for the subscriptions to be granted; whether they were."""
        deadline = time.monotonic() + timeout_s
        while not self.following and time.monotonic() < deadline:
            await asyncio.sleep(0.02)
        return self.following

    @property
    def rejected(self) -> dict[str, int]:
        """Of the messages received, how many the intake refused, by reason."""
        return dict(self._rejected)

    def drain(self, limit: int) -> list[tuple[float, list[Reading]]]:
        """Up to ``limit`` queued messages' readings, oldest first, with their receive times."""
        taken: list[tuple[float, list[Reading]]] = []
        while len(taken) < limit and self._queue:
            taken.append(self._queue.popleft())
        return taken

    @property
    def queued(self) -> int:
        """How many messages wait to be applied."""
        return len(self._queue)

    def heard(self, topic: str, payload: bytes, retain: bool) -> None:
        """One sensor message from the link."""
        received = time.monotonic()
        self.received += 1
        # ingest logs and dead-letters the same message; here it is only counted.
        try:
            readings = self._intake.readings(topic, payload, self._clock(), retained=retain)
        except Rejected as rejected:
            self._rejected[str(rejected.reason)] += 1
            return
        except Exception:  # noqa: BLE001 - a topic the intake cannot read, or a bug
            self._rejected[str(Reason.INTERNAL_ERROR)] += 1
            return
        if len(self._queue) >= MAX_QUEUED:
            self.overflows += 1
            return
        self._queue.append((received, readings))
