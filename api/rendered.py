"""JSON bodies rendered once per live-state snapshot, for the endpoints every dashboard polls.

Between two live-state ticks every request for the same thing gets the same answer, so the first
request after a tick renders it and the others send the same bytes: building and
validating a hundred response models per request was most of an occupancy request's cost.
The active alerts use it the same way, with the alert view's version for the snapshot.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Hashable

# Keys are bounded by the registry and the keys' scopes, but a caller choosing odd parameters
# (every ``limit`` from 1 to 10,000) must not fill memory before the next snapshot.
MAX_BODIES = 1_000


class RenderedPerSnapshot:
    """Bodies by key, valid while the snapshot (any object standing for one version of the
    data, compared by identity) they were rendered from is current."""

    def __init__(self) -> None:
        self._snapshot: object = None
        self._bodies: dict[Hashable, bytes] = {}

    def get(self, snapshot: object, key: Hashable, render: Callable[[], bytes]) -> bytes:
        """The body for ``key`` rendered from ``snapshot``, rendering it if needed."""
        if snapshot is not self._snapshot:
            self._snapshot, self._bodies = snapshot, {}
        body = self._bodies.get(key)
        if body is None:
            if len(self._bodies) >= MAX_BODIES:
                self._bodies = {}
            body = self._bodies[key] = render()
        return body


class RenderedForAWhile:
    """Bodies by key, each sent again for ``ttl_s`` seconds after it was rendered: for answers
    from data another process keeps (the records), which the API cannot see change."""

    def __init__(self, ttl_s: float, clock: Callable[[], float] = time.monotonic) -> None:
        self._ttl_s = ttl_s
        self._clock = clock
        self._bodies: dict[Hashable, tuple[float, bytes]] = {}

    def get(self, key: Hashable) -> bytes | None:
        """The body rendered for ``key`` less than ``ttl_s`` ago, if any."""
        kept = self._bodies.get(key)
        if kept is None or self._clock() - kept[0] >= self._ttl_s:
            return None
        return kept[1]

    def put(self, key: Hashable, body: bytes) -> None:
        """Keep ``body`` for ``key`` from now on (old bodies are dropped when too many)."""
        if len(self._bodies) >= MAX_BODIES:
            now = self._clock()
            self._bodies = {k: v for k, v in self._bodies.items() if now - v[0] < self._ttl_s}
            if len(self._bodies) >= MAX_BODIES:
                self._bodies = {}
        self._bodies[key] = (self._clock(), body)
