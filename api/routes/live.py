"""GET /api/v1/live/stream: live-state changes as server-sent events, for maps."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

from fastapi import APIRouter
from fastapi.responses import StreamingResponse

from api.deps import CityDep, LiveStateDep
from api.livechanges import live_changes
from api.livestate import Snapshot

router = APIRouter(prefix="/api/v1/live", tags=["live"])

# How often a stream looks for a new snapshot: well below the refresh interval, and a
# comparison of one reference, so cheap for any number of listeners.
POLL_S = 0.5
KEEPALIVE_S = 15.0


@router.get(
    "/stream",
    response_class=StreamingResponse,
    responses={200: {"content": {"text/event-stream": {}}, "description": "live changes"}},
    summary="Zone counts and changed spaces and bins after each refresh, as server-sent events",
)
async def stream_live(city: CityDep, live: LiveStateDep) -> StreamingResponse:
    """After each live-state refresh, one ``changes`` event: every zone's counts and the
    spaces and bins that changed since the previous event. The first event carries every
    space and bin; a comment line every 15 s keeps proxies from closing an idle stream."""

    async def events() -> AsyncIterator[str]:
        yield ": connected\n\n"
        sent: Snapshot | None = None
        loop = asyncio.get_running_loop()
        quiet_since = loop.time()
        while True:
            current = live.snapshot
            if current is not None and current is not sent:
                changes = live_changes(city, sent, current)
                sent = current
                quiet_since = loop.time()
                yield f"event: changes\ndata: {changes.model_dump_json()}\n\n"
            elif loop.time() - quiet_since >= KEEPALIVE_S:
                quiet_since = loop.time()
                yield ": keepalive\n\n"
            await asyncio.sleep(POLL_S)

    return StreamingResponse(
        events(), media_type="text/event-stream", headers={"Cache-Control": "no-cache"}
    )
