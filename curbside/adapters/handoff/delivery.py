"""What a channel does with one outbox message, and how it says it failed."""

from __future__ import annotations

from typing import Protocol

from curbside.adapters.records.models import OutboxMessage


class DeliveryFailed(Exception):
    """This attempt did not deliver the message; the reason is kept with it."""


class Sender(Protocol):
    """Delivers one message or raises :class:`DeliveryFailed`."""

    def send(self, message: OutboxMessage) -> None:
        """Deliver the message (the receiver confirmed it) or raise DeliveryFailed."""
        ...

    def close(self) -> None:
        """Release connections."""
        ...
