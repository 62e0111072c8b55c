"""Fans alert changes heard on MQTT out to every open server-sent-events stream.

The API's MQTT link (curbside/adapters/mqtt/link.py) calls :meth:`AlertFeed.deliver` on the
event loop, and any thread may; each change is copied into one bounded queue per listener.
A listener too slow to keep up loses its oldest undelivered changes rather than holding
memory without bound (it can re-read the list endpoint).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

QUEUE_LIMIT = 1000

AlertDocument = dict[str, Any]


class AlertFeed:
    """Create it inside the running event loop (the API's lifespan)."""

    def __init__(self, on_change: Callable[[AlertDocument], None] | None = None) -> None:
        self._loop = asyncio.get_running_loop()
        self._listeners: set[asyncio.Queue[AlertDocument]] = set()
        # Called on the event loop with every change first (the active-alerts view).
        self._on_change = on_change

    def deliver(self, document: AlertDocument) -> None:
        """Hand over one change; safe to call from any thread."""
        self._loop.call_soon_threadsafe(self._fan_out, document)

    def _fan_out(self, document: AlertDocument) -> None:
        if self._on_change is not None:
            self._on_change(document)
        for queue in self._listeners:
            if queue.full():
                queue.get_nowait()
            queue.put_nowait(document)

    @asynccontextmanager
    async def listen(self) -> AsyncIterator[asyncio.Queue[AlertDocument]]:
        """A queue of the changes from now on, for as long as the context lasts."""
        queue: asyncio.Queue[AlertDocument] = asyncio.Queue(QUEUE_LIMIT)
        self._listeners.add(queue)
        try:
            yield queue
        finally:
            self._listeners.discard(queue)

    @property
    def listeners(self) -> int:
        """How many streams are open."""
        return len(self._listeners)
