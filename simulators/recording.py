"""A publisher that keeps messages in memory: for tests and for checking traffic offline."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class Published:
    """One message as it would have gone to the broker."""

    topic: str
    payload: bytes


@dataclass(slots=True)
class RecordingPublisher:
    """Collects every publish in order; everything counts as acknowledged at once."""

    messages: list[Published] = field(default_factory=list)
    closed: bool = False

    def publish(self, topic: str, payload: bytes) -> None:
        """Keep the message."""
        self.messages.append(Published(topic, payload))

    def wait_all(self, timeout_s: float) -> bool:
        """Nothing is ever pending."""
        return True

    def close(self) -> None:
        """Mark the publisher closed."""
        self.closed = True
