"""A process's Prometheus ``/metrics``: prometheus-client's own server (every path answers)
in a daemon thread, or none when the port is 0."""

from __future__ import annotations

from wsgiref.simple_server import WSGIServer

from prometheus_client import CollectorRegistry, start_http_server


def serve_metrics(registry: CollectorRegistry, host: str, port: int) -> WSGIServer | None:
    """Serve ``registry`` on ``host:port`` until ``shutdown()``; None (nothing served) if port
    is 0."""
    return start_http_server(port, host, registry)[0] if port else None
