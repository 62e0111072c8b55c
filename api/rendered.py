"""JSON bodies rendered once per live-state snapshot, for the endpoints every dashboard polls.

Between two live-state ticks every request for the same thing gets the same answer, so the first
request after a tick renders it and the others send the same bytes: building and
validating a hundred response models per request was most of an occupancy request's cost.
The active alerts use it the same way, with the alert view's version for the snapshot.
A zone's sessions, read from the records, have no snapshot to follow: they are rendered again
after a while, in the background, the last body served meanwhile (``RenderedForAWhile``).
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Hashable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from curbside.adapters.log_throttle import Throttle

# Keys are bounded by the registry and the keys' scopes, but a caller choosing odd parameters
# (every ``limit`` from 1 to 10,000) must not fill memory before the next snapshot.
MAX_BODIES = 1_000

V = TypeVar("V")
log = logging.getLogger(__name__)
# One line a minute per key: a record store that is down fails every window's refresh.
_FAILURES_LOGGED = Throttle(60.0)


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


class RenderedForAWhile(Generic[V]):
    """Values (rendered bodies) by key, for answers from data another process keeps (the
    records), which the API cannot see change: stale-while-revalidate.

    - A value younger than ``refresh_after_s`` is sent again as it is; with ``spread``, each
      value is due again at a random point of the last ``spread`` share of that interval
      instead, so values first rendered together (all windows at start) do not fall due
      together for ever and come as bursts of renders that hold the GIL while requests wait.
    - An older one, up to ``max_age_s``, is still sent at once, while one background task per
      key renders the next; at most ``max_refreshes`` of those run at a time, so a burst of
      windows going stale together cannot take the CPU from the requests (the rest queue).
    - A key with no value, or only one ``max_age_s`` old or more, waits for its render, which
      requests arriving meanwhile share (under load, dozens would render the same again);
      that render is not queued behind the refreshes.
    - A failed refresh is retried ``refresh_after_s`` later; the last good value is served
      meanwhile, until it is ``max_age_s`` old: then requests wait for a render and get its
      exception if it fails too.
    - A value ``max_age_s`` old is of no use and is dropped, so memory holds only keys asked
      for within ``max_age_s``, and at most ``max_kept`` of them (the oldest go first).

    Ages count from when the render was asked for, so a value is never older than it says.
    Use it from the event loop only.
    """

    def __init__(
        self,
        refresh_after_s: float,
        max_age_s: float,
        *,
        max_refreshes: int = 2,
        max_kept: int = MAX_BODIES,
        spread: float = 0.0,
        clock: Callable[[], float] = time.monotonic,
        draw: Callable[[], float] = random.random,
    ) -> None:
        if not 0 < refresh_after_s < max_age_s:
            raise ValueError("need 0 < refresh_after_s < max_age_s")
        if not 0 <= spread < 1:
            raise ValueError("need 0 <= spread < 1")
        self._refresh_after_s = refresh_after_s
        self._max_age_s = max_age_s
        self._max_kept = max_kept
        self._clock = clock
        self._spread = spread
        self._draw = draw
        self._refreshes = asyncio.Semaphore(max_refreshes)
        # Oldest first (a new value moves its key to the end).
        self._kept: OrderedDict[Hashable, _Kept[V]] = OrderedDict()
        self._rendering: dict[Hashable, asyncio.Future[V]] = {}
        self._due_when_rendered: set[Hashable] = set()
        self.failed_refreshes = 0
        """Background renders that failed so far (each logged, throttled per key)."""

    def __len__(self) -> int:
        return len(self._kept)

    async def get_or_render(self, key: Hashable, render: Callable[[], Awaitable[V]]) -> V:
        """The value for ``key``: the kept one while younger than ``max_age_s`` (a refresh
        started in the background once it is ``refresh_after_s`` old), else the one
        ``render`` makes (or is making for another request); its exception, if it fails, to
        each caller waiting for it."""
        now = self._clock()
        self._forget_old(now)
        kept = self._kept.get(key)
        if kept is not None and now - kept.asked_at < self._max_age_s:
            if now >= kept.refresh_at and key not in self._rendering:
                self._start(key, render, now, queued=True)
            return kept.value
        task = self._rendering.get(key)
        if task is None:
            task = self._start(key, render, now, queued=False)
        return await asyncio.shield(task)

    def refresh_soon(self, which: Callable[[Hashable], bool]) -> int:
        """Have the kept values whose key ``which`` accepts rendered again at their next
        request (the kept one sent meanwhile, as for any refresh); how many there were."""
        now = self._clock()
        marked = 0
        for key, kept in self._kept.items():
            if which(key) and kept.refresh_at > now:
                kept.refresh_at = now
                marked += 1
        # A render under way may have read before the change: its value is due again at once.
        self._due_when_rendered.update(key for key in self._rendering if which(key))
        return marked

    def _start(
        self, key: Hashable, render: Callable[[], Awaitable[V]], asked_at: float, *, queued: bool
    ) -> asyncio.Future[V]:
        # A task of its own: a caller that goes away does not cancel the others' answer.
        task = asyncio.ensure_future(self._render(key, render, asked_at, queued))
        self._rendering[key] = task
        task.add_done_callback(_retrieved)
        return task

    async def _render(
        self, key: Hashable, render: Callable[[], Awaitable[V]], asked_at: float, queued: bool
    ) -> V:
        try:
            if queued:
                async with self._refreshes:
                    value = await render()
            else:
                value = await render()
        except Exception as exc:
            kept = self._kept.get(key)
            if kept is not None:  # a refresh: keep serving the last value, try again later
                kept.refresh_at = self._clock() + self._refresh_after_s
                self.failed_refreshes += 1
                if _FAILURES_LOGGED.allow(repr(key)):
                    log.warning(
                        "refresh of %r failed (%s: %s); its last answer is served until it "
                        "is %.0f s old",
                        key,
                        type(exc).__name__,
                        exc,
                        self._max_age_s,
                    )
            raise
        finally:
            del self._rendering[key]
            due_at_once = key in self._due_when_rendered
            self._due_when_rendered.discard(key)
        interval = self._refresh_after_s * (1.0 - self._spread * self._draw())
        due = asked_at if due_at_once else asked_at + interval
        self._put(key, _Kept(value, asked_at, due))
        return value

    def _put(self, key: Hashable, kept: _Kept[V]) -> None:
        self._kept.pop(key, None)
        self._kept[key] = kept
        while len(self._kept) > self._max_kept:
            self._kept.popitem(last=False)

    def _forget_old(self, now: float) -> None:
        # Values enter in about the order they were asked for: the front is the oldest.
        kept = self._kept
        while kept and now - next(iter(kept.values())).asked_at >= self._max_age_s:
            kept.popitem(last=False)


@dataclass(slots=True)
class _Kept(Generic[V]):
    value: V
    asked_at: float  # when its render was asked for: its age counts from then
    refresh_at: float  # when to render it again (later after a failed refresh)


def _retrieved(task: asyncio.Future[Any]) -> None:
    # Each waiter gets the exception; when all of them went away, nobody needs it logged.
    if not task.cancelled():
        task.exception()
