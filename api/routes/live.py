"""GET /api/v1/live/stream: live-state changes as server-sent events, for maps."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator

from fastapi import APIRouter
from fastapi.responses import StreamingResponse

from api.auth import AccessDep, CallerDep, ReadableAreasDep
from api.deps import LiveStateDep
from api.eventstream import CONNECTED, KEEPALIVE, KEEPALIVE_S, event, keyed_stream
from api.eventstream import openapi_responses as stream_responses
from api.livechanges import live_changes
from curbside.readmodels.live.state import Snapshot

router = APIRouter(prefix="/api/v1/live", tags=["live"])

# How often a stream looks for a new snapshot: below the tick interval, and a
# comparison of one reference, so cheap for any number of listeners.
POLL_S = 0.5


@router.get(
    "/stream",
    response_class=StreamingResponse,
    responses=stream_responses("live changes"),
    summary="Zone counts and changed spaces and bins after each tick, as server-sent events",
)
async def stream_live(
    live: LiveStateDep, areas: ReadableAreasDep, key: CallerDep, access: AccessDep
) -> StreamingResponse:
    """After each live-state tick, one ``changes`` event: the counts of every zone the
    key may read and the spaces and bins it may read that changed since the previous
    event. The first event carries all of them; a comment line every 15 s keeps proxies
    from closing an idle stream. The stream ends within 15 s of its key being revoked."""

    async def events() -> AsyncGenerator[str, None]:
        yield CONNECTED
        sent: Snapshot | None = None
        loop = asyncio.get_running_loop()
        quiet_since = loop.time()
        while True:
            current = live.snapshot
            if current is not None and current is not sent:
                changes = live_changes(areas.zones, areas.districts, sent, current)
                sent = current
                quiet_since = loop.time()
                yield event("changes", changes.model_dump_json())
            elif loop.time() - quiet_since >= KEEPALIVE_S:
                quiet_since = loop.time()
                yield KEEPALIVE
            await asyncio.sleep(POLL_S)

    return keyed_stream(events(), access, key)
