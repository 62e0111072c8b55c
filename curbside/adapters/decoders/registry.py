"""The decoder registry: every payload format registers itself here, explicitly.

A decoder is pure: ``decode(topic, payload, devices)`` returns the readings (and the parts of
the message it had to skip, each with its reason) or raises
:class:`curbside.vocabulary.rejection.Rejected`; it reads no clock, no file and no network.
``devices``
is the registry's LoRaWAN sensors by DevEUI, passed in for the network-server formats that
must know a sensor's model and place before they can decode its frame.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from curbside.adapters.decoders.topics import topic_matches
from curbside.vocabulary.devices import DeviceDirectory
from curbside.vocabulary.readings import Reading
from curbside.vocabulary.rejection import Reason, Rejected, Skipped


@dataclass(frozen=True, slots=True)
class Decoded:
    """What a message gave: its readings, and the parts left out (to be counted)."""

    readings: list[Reading]
    skipped: tuple[Skipped, ...] = ()


class Decoder(Protocol):
    """One payload format: the topics it owns and how to turn a payload into readings."""

    name: str
    topic_filters: Sequence[str]

    def decode(self, topic: str, payload: bytes, devices: DeviceDirectory) -> Decoded:
        """Readings in the payload (possibly none); raises Rejected for anything not valid."""
        ...


_REGISTRY: dict[str, Decoder] = {}


def register(decoder: Decoder) -> Decoder:
    """Add a decoder under its unique name; returns it so modules can register on import."""
    if decoder.name in _REGISTRY:
        raise ValueError(f"decoder {decoder.name!r} is registered twice")
    _REGISTRY[decoder.name] = decoder
    return decoder


def registered() -> dict[str, Decoder]:
    """All registered decoders by name."""
    return dict(_REGISTRY)


def subscriptions() -> list[str]:
    """The topic filters ingest must subscribe to so that every format reaches its decoder."""
    return [f for decoder in _REGISTRY.values() for f in decoder.topic_filters]


def decoder_for(topic: str) -> Decoder:
    """The decoder that owns ``topic``; raises Rejected(bad_topic) if none does."""
    for decoder in _REGISTRY.values():
        if any(topic_matches(f, topic) for f in decoder.topic_filters):
            return decoder
    raise Rejected(Reason.BAD_TOPIC, f"no decoder for topic {topic[:200]!r}")


class TopicDecoders:
    """``decoder_for`` with a memory of topics whose messages were accepted.

    Finding a topic's decoder tries every registered filter; ingest meets the same few
    topics (one per device and message type) over and over. Only topics the caller
    remembers (after accepting a message) are kept, so they are bounded by the
    registry's devices; ``max_topics`` bounds them in any case (past it the memory starts
    again), so a flood of distinct topics cannot make it grow.
    """

    def __init__(self, max_topics: int = 100_000) -> None:
        self._known: dict[str, Decoder] = {}
        self._max_topics = max_topics

    def decoder_for(self, topic: str) -> Decoder:
        """The decoder that owns ``topic``; raises Rejected(bad_topic) if none does."""
        found = self._known.get(topic)
        return found if found is not None else decoder_for(topic)

    def remember(self, topic: str, decoder: Decoder) -> None:
        """Keep ``topic``'s decoder: one of its messages was accepted."""
        if topic not in self._known:
            if len(self._known) >= self._max_topics:
                self._known.clear()
            self._known[topic] = decoder

    def __len__(self) -> int:
        return len(self._known)
