"""All devices' events as one stream in time order."""

from __future__ import annotations

import heapq
from collections.abc import Iterator

from simulators.events import Event
from simulators.fleet import Fleet
from simulators.timestamps import Instant


def _time_of(event: Event) -> Instant:
    return event.t


def merged_events(fleet: Fleet) -> Iterator[Event]:
    """Every device's events merged by time (endless).

    Events in the same second keep registry order (spaces, then bins), and a device's own
    events keep their order, so the stream is the same on every run with the same inputs.
    """
    streams = [space.events() for space in fleet.spaces] + [b.events() for b in fleet.bins]
    return heapq.merge(*streams, key=_time_of)


def events_until(events: Iterator[Event], end: Instant | None) -> Iterator[Event]:
    """The events at or before ``end`` (all of them if ``end`` is None)."""
    for event in events:
        if end is not None and event.t > end:
            return
        yield event
