"""With several API processes, the collection plan is the designated process's alone
(api/processes.py): one plan per deployment, made, re-made and published by one desk. Any
other process passes a request for ``/api/v1/dispatch/...`` on, as it came, over the
designated process's Unix socket, and gives its answer back. Keys and limits are checked
there, once; the limits' buckets are shared anyway."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
from fastapi import FastAPI
from fastapi.responses import JSONResponse, Response
from starlette.types import ASGIApp, Receive, Scope, Send

from api.processes import ProcessRole

PREFIX = "/api/v1/dispatch"
# Headers about one hop (RFC 9110, 7.6.1) and those the answer is re-framed with.
_NOT_PASSED = {
    b"connection",
    b"keep-alive",
    b"transfer-encoding",
    b"te",
    b"upgrade",
    b"host",
    b"content-length",
    b"content-encoding",
}


@asynccontextmanager
async def forwarding(app: FastAPI, role: ProcessRole, solve_s: float) -> AsyncIterator[None]:
    """While it lasts, this process forwards dispatch requests to the designated one, waiting
    for an answer as long as a solve of ``solve_s`` may take, and then some."""
    if role.designated_socket is None:
        raise ValueError("no designated process to forward to")
    transport = httpx.AsyncHTTPTransport(uds=str(role.designated_socket))
    async with httpx.AsyncClient(
        transport=transport, base_url="http://designated", timeout=solve_s + 30
    ) as client:
        app.state.dispatch_forward = client
        try:
            yield
        finally:
            app.state.dispatch_forward = None


class DispatchForwarder:
    """ASGI middleware: forwards dispatch requests when the lifespan set a client for it."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        client = getattr(scope["app"].state, "dispatch_forward", None) if "app" in scope else None
        if client is None or scope["type"] != "http" or not str(scope["path"]).startswith(PREFIX):
            await self.app(scope, receive, send)
            return
        response = await _forward(client, scope, await _body(receive))
        await response(scope, receive, send)


async def _forward(client: httpx.AsyncClient, scope: Scope, body: bytes) -> Response:
    target = scope.get("raw_path") or str(scope["path"]).encode()
    if scope.get("query_string"):
        target += b"?" + scope["query_string"]
    headers = [(k, v) for k, v in scope["headers"] if k.lower() not in _NOT_PASSED]
    try:
        answer = await client.request(
            scope["method"], target.decode("latin-1"), headers=headers, content=body
        )
    except httpx.HTTPError as exc:
        detail = f"the dispatch process did not answer: {type(exc).__name__}"
        return JSONResponse({"detail": detail}, status_code=503)
    passed = [(k, v) for k, v in answer.headers.raw if k.lower() not in _NOT_PASSED]
    response = Response(answer.content, status_code=answer.status_code)
    response.raw_headers = [*passed, (b"content-length", str(len(answer.content)).encode())]
    return response


async def _body(receive: Receive) -> bytes:
    chunks: list[bytes] = []
    while True:
        message = await receive()
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            return b"".join(chunks)
