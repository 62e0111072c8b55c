"""What the outbox carries: an event of any kind, to be delivered at least once on each
channel (a webhook, MQTT), identified by its idempotency key (docs/handoff.md).

Generic on purpose: cases send their events through it, and other records (e.g. arrears)
can send theirs the same way.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

Channel = Literal["webhook", "mqtt"]
CHANNELS: tuple[Channel, ...] = ("webhook", "mqtt")


@dataclass(frozen=True, slots=True)
class OutgoingEvent:
    """One event to hand off.

    ``kind`` names it for the receiver (``case.dispatched``); ``key`` is its idempotency key,
    the same on every attempt and channel; events with the same ``ordering`` (a case's id) are
    delivered in the order they were written, each only after the one before it; ``topic``
    is where MQTT publishes it.
    """

    kind: str
    key: str
    ordering: str
    topic: str
    payload: dict[str, Any]
