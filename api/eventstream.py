"""Server-sent events for a caller with a key: the response, its comment lines, and its end
when the key is revoked (a stream outlives the request whose key was checked)."""

from __future__ import annotations

from collections.abc import AsyncGenerator, AsyncIterator
from contextlib import aclosing
from typing import Any

from fastapi.responses import StreamingResponse

from api.auth import Access
from curbside.adapters.access.keys import ApiKey

# Every stream sends something at least this often, so it notices a revoked key in time and
# proxies do not close it while it is quiet.
KEEPALIVE_S = 15.0
CONNECTED = ": connected\n\n"
KEEPALIVE = ": keepalive\n\n"


def event(name: str, data: str, event_id: str | None = None) -> str:
    """One event whose data is a single line of JSON."""
    head = f"id: {event_id}\n" if event_id is not None else ""
    return f"{head}event: {name}\ndata: {data}\n\n"


def openapi_responses(description: str) -> dict[int | str, dict[str, Any]]:
    """The OpenAPI ``responses`` of a stream route."""
    return {200: {"content": {"text/event-stream": {}}, "description": description}}


def keyed_stream(
    events: AsyncGenerator[str, None],
    access: Access,
    key: ApiKey,
) -> StreamingResponse:
    """Send ``events`` until they end or the key is revoked: the key is checked before each
    chunk, so a stream that sends a keep-alive every ``KEEPALIVE_S`` ends within that time."""

    async def checked() -> AsyncIterator[str]:
        async with aclosing(events):
            async for chunk in events:
                if not access.still_valid(key):
                    return
                yield chunk

    return StreamingResponse(
        checked(), media_type="text/event-stream", headers={"Cache-Control": "no-cache"}
    )
