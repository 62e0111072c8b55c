"""The API's Prometheus metrics, served at ``GET /metrics``: requests by route template and
status with their latency, the live feed (lag, reconnects, queue) and the access edge's
refusals (401, 403, 429: the rate limit), one registry per app."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Histogram
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from starlette.routing import Mount
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from curbside.readmodels.live.feed import LiveFeed
from curbside.readmodels.live.state import LiveState

# A path no route matched is one label value, so a scan of random URLs cannot grow the
# metrics without bound.
UNMATCHED = "unmatched"


class ApiMetrics:
    """The registry and the request metrics; the live feed's are read at each scrape."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "curbside_api_requests",
            "HTTP requests answered, by method, route template and status",
            ["method", "route", "status"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "curbside_api_request_seconds",
            "Time from a request's arrival to its response's first byte (for a stream: until "
            "it starts), by method and route template",
            ["method", "route"],
            buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
            registry=self.registry,
        )

        self.platform_refused = Counter(
            "curbside_api_platform_requests_refused",
            "Requests to the platform's inbound endpoint refused, by reason: forged (bad or "
            "missing signature, or a timestamp outside 5 minutes), replayed (a webhook-id "
            "already taken), unconfigured (no CURBSIDE_HANDOFF_INBOUND_SECRET)",
            ["reason"],
            registry=self.registry,
        )
        for reason in ("forged", "replayed", "unconfigured"):
            self.platform_refused.labels(reason)

    def watch(self, collector: Collector) -> Callable[[], None]:
        """Read ``collector`` at every scrape until the returned function is called."""
        self.registry.register(collector)
        return lambda: self.registry.unregister(collector)


class LiveFeedCollector(Collector):
    """The live state's lag behind the stream and the feed's connection, read when scraped."""

    def __init__(self, live: LiveState, feed: LiveFeed) -> None:
        self._live = live
        self._feed = feed

    def collect(self) -> Iterable[Metric]:
        """The current values (nothing is stored between scrapes)."""
        live, feed = self._live, self._feed
        yield GaugeMetricFamily(
            "curbside_api_live_lag_seconds",
            "How long the oldest message applied in the last refresh had waited since the "
            "broker delivered it (0 when none waited)",
            value=live.apply_lag_s,
        )
        age = GaugeMetricFamily(
            "curbside_api_live_snapshot_age_seconds",
            "Age of the live snapshot being served (grows while refreshes fail)",
        )
        if live.last_refresh is not None:
            age.add_metric([], max(0.0, time.time() - live.last_refresh.timestamp()))
        yield age
        yield GaugeMetricFamily(
            "curbside_api_live_queued_messages",
            "Messages received and not yet applied",
            value=feed.queued,
        )
        yield GaugeMetricFamily(
            "curbside_api_live_broker_connected",
            "1 while the live feed is connected",
            value=1.0 if feed.connected else 0.0,
        )
        yield CounterMetricFamily(
            "curbside_api_live_reconnects",
            "Times the live feed connected to the broker again after its first connection",
            value=max(0, feed.connects - 1),
        )
        yield CounterMetricFamily(
            "curbside_api_live_received",
            "Sensor messages the live feed received",
            value=feed.received,
        )
        yield CounterMetricFamily(
            "curbside_api_live_full_reads",
            "Full reads of the live state from InfluxDB",
            value=live.full_reads,
        )


class RefusalCollector(Collector):
    """The access edge's refusals by status (429: the rate limit), read when scraped."""

    def __init__(self, refused: dict[int, int]) -> None:
        self._refused = refused

    def collect(self) -> Iterable[Metric]:
        """The counts so far."""
        refused = CounterMetricFamily(
            "curbside_api_refused",
            "Requests refused at the access edge, by status: 401 no or bad key, 403 not "
            "allowed, 429 over the rate limit",
            labels=["status"],
        )
        for code, count in sorted(dict(self._refused).items()):
            refused.add_metric([str(code)], count)
        yield refused


def _route_template(scope: Scope) -> str:
    """The template of the route that served the request (the router puts it into the scope),
    the mount's path for the dashboard's and the docs' files (which it does not), or
    ``unmatched``."""
    path = getattr(scope.get("route"), "path", None)
    if path:
        return str(path)
    app = scope.get("app")
    for route in getattr(app, "routes", ()):
        if isinstance(route, Mount) and scope["path"].startswith(f"{route.path}/"):
            return str(route.path)
    return UNMATCHED


class RequestMetrics:
    """ASGI middleware: counts each HTTP request under the route template that served it."""

    def __init__(self, app: ASGIApp, metrics: ApiMetrics) -> None:
        self._app = app
        self._metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Pass the request on, noting when the response starts and with which status."""
        if scope["type"] != "http":
            await self._app(scope, receive, send)
            return
        started = time.perf_counter()
        answered: dict[str, Any] = {}

        async def noting_send(message: Message) -> None:
            if message["type"] == "http.response.start":
                answered["status"] = message["status"]
                answered["after_s"] = time.perf_counter() - started
            await send(message)

        try:
            await self._app(scope, receive, noting_send)
        finally:
            route = _route_template(scope)
            method = scope["method"]
            status = str(answered.get("status", 500))
            self._metrics.requests.labels(method, route, status).inc()
            self._metrics.latency.labels(method, route).observe(
                answered.get("after_s", time.perf_counter() - started)
            )
