"""JSON bodies rendered once per live-state snapshot, for the endpoints every dashboard polls.

Between two live-state ticks every request for the same thing gets the same answer, so the first
request after a tick renders it and the others send the same bytes: building and
validating a hundred response models per request was most of an occupancy request's cost.
The active alerts use it the same way, with the alert view's version for the snapshot.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Hashable

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
    from data another process keeps (the records), which the API cannot see change.

    One render per key at a time: requests arriving while it runs wait for its body rather
    than render the same again (under load, dozens would, each slower for the others).
    Use it from the event loop only.
    """

    def __init__(self, ttl_s: float, clock: Callable[[], float] = time.monotonic) -> None:
        self._ttl_s = ttl_s
        self._clock = clock
        self._bodies: dict[Hashable, tuple[float, bytes]] = {}
        self._rendering: dict[Hashable, asyncio.Future[bytes]] = {}

    async def get_or_render(self, key: Hashable, render: Callable[[], Awaitable[bytes]]) -> bytes:
        """The body rendered for ``key`` less than ``ttl_s`` ago, else the one ``render``
        makes (or is making for another request); its exception, if it fails, to each."""
        kept = self._bodies.get(key)
        if kept is not None and self._clock() - kept[0] < self._ttl_s:
            return kept[1]
        task = self._rendering.get(key)
        if task is None:
            # A task of its own: a caller that goes away does not cancel the others' answer.
            task = self._rendering[key] = asyncio.ensure_future(self._render(key, render))
            task.add_done_callback(_retrieved)
        return await asyncio.shield(task)

    async def _render(self, key: Hashable, render: Callable[[], Awaitable[bytes]]) -> bytes:
        try:
            body = await render()
        finally:
            del self._rendering[key]
        self._put(key, body)
        return body

    def _put(self, key: Hashable, body: bytes) -> None:
        if len(self._bodies) >= MAX_BODIES:
            now = self._clock()
            self._bodies = {k: v for k, v in self._bodies.items() if now - v[0] < self._ttl_s}
            if len(self._bodies) >= MAX_BODIES:
                self._bodies = {}
        self._bodies[key] = (self._clock(), body)


def _retrieved(task: asyncio.Future[bytes]) -> None:
    # Each waiter gets the exception; when all of them went away, nobody needs it logged.
    if not task.cancelled():
        task.exception()
