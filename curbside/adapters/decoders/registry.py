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
