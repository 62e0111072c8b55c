"""Ingest's HTTP endpoint: Prometheus ``/metrics`` and a ``/health`` answer, on one port.

It starts before anything else, so an ingester waiting for InfluxDB or the broker can be
seen doing so.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterable
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server
from wsgiref.types import StartResponse, WSGIEnvironment

from prometheus_client import CollectorRegistry, make_wsgi_app
from prometheus_client.exposition import ThreadingWSGIServer

Health = Callable[[], tuple[bool, dict[str, Any]]]


class _Quiet(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        """Scrapes every few seconds would drown the log."""


def serve(host: str, port: int, registry: CollectorRegistry, health: Health) -> WSGIServer:
    """Serve ``/health`` (200 while healthy, else 503; JSON) and metrics on every other path."""
    metrics = make_wsgi_app(registry)

    def app(environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        if environ.get("PATH_INFO") != "/health":
            answer: Iterable[bytes] = metrics(environ, start_response)
            return answer
        ok, detail = health()
        body = json.dumps(detail).encode()
        start_response(
            "200 OK" if ok else "503 Service Unavailable",
            [("Content-Type", "application/json"), ("Content-Length", str(len(body)))],
        )
        return [body]

    server = make_server(host, port, app, ThreadingWSGIServer, handler_class=_Quiet)
    threading.Thread(target=server.serve_forever, name="metrics-http", daemon=True).start()
    return server
