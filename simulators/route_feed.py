"""The routes the API publishes for the in-cab tablets, as the simulated trucks hear them.

Each truck's route is retained on ``dispatch/{truck}/route`` (docs/mqtt.md) as the API's own
``TruckRouteOut`` document, so it is read here with that same model. A route that does not
parse is logged, counted and ignored: the truck keeps the route it had.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterable
from typing import Any, Protocol

import paho.mqtt.client as mqtt
from pydantic import ValidationError

from api.dispatch_schemas import PlaceOut, StopOut, TruckRouteOut
from curbside.adapters.log_throttle import Throttle
from curbside.adapters.mqtt.client import BrokerAccess, new_client
from curbside.domain.dispatch.problem import Place, Stop, TruckRoute
from curbside.domain.sanitation.worklist import Point
from curbside.vocabulary.topics import route_topic

log = logging.getLogger(__name__)

MAX_ROUTE_BYTES = 1024 * 1024


class RouteFeed(Protocol):
    """The latest route published for each truck."""

    def latest(self, truck: str) -> TruckRoute | None:
        """The truck's newest route, the same object until a new one comes (None: none yet)."""

    def close(self) -> None:
        """Stop listening."""


def _stop(stop: StopOut) -> Stop:
    return Stop(
        stop.kind, stop.id, stop.district, Point(stop.lat, stop.lon), stop.arrival,
        stop.load_after_l,
    )  # fmt: skip


def parse_route(payload: bytes) -> TruckRoute:
    """The route in a ``dispatch/{truck}/route`` payload; raises ValueError saying why not."""
    if len(payload) > MAX_ROUTE_BYTES:
        raise ValueError(f"route of {len(payload)} bytes is over {MAX_ROUTE_BYTES}")
    try:
        route = TruckRouteOut.model_validate_json(payload)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "document"
        raise ValueError(f"{where}: {first['msg']}") from None
    stops = tuple(_stop(s) for s in route.stops)
    return TruckRoute(
        route.truck, route.start, route.end, route.distance_m, stops,
        _place(route.origin), _place(route.destination),
    )  # fmt: skip


def _place(place: PlaceOut) -> Place:
    return Place(place.kind, Point(place.lat, place.lon), place.id)


class HeldRoutes:
    """The newest route per truck, written by the MQTT thread and read by the run."""

    def __init__(self) -> None:
        self.rejected = 0
        self._lock = threading.Lock()
        self._routes: dict[str, TruckRoute] = {}
        # A flood of bad routes is counted in full but logged once a minute per truck.
        self._logged = Throttle(60.0)

    def take(self, truck: str, payload: bytes) -> None:
        """A route payload heard for ``truck`` (an empty retained message clears nothing)."""
        if not payload:
            return
        try:
            route = parse_route(payload)
            if route.truck != truck:
                raise ValueError(f"the route is {route.truck!r}'s, heard on {truck!r}'s topic")
        except ValueError as exc:
            self.rejected += 1
            if self._logged.allow(truck[:64]):
                log.warning("route for %s ignored (%d so far): %s", truck[:64], self.rejected, exc)
            return
        with self._lock:
            self._routes[truck] = route

    def latest(self, truck: str) -> TruckRoute | None:
        """The truck's newest route."""
        with self._lock:
            return self._routes.get(truck)

    def close(self) -> None:
        """Nothing to release."""


class MqttRouteFeed(HeldRoutes):
    """Subscribed to each truck's route topic (retained: the current route comes at once)."""

    def __init__(self, access: BrokerAccess, trucks: Iterable[str], *, client_id: str) -> None:
        super().__init__()
        self._topics = {route_topic(t): t for t in trucks}
        self._client = new_client(access, client_id=client_id)
        self._client.reconnect_delay_set(min_delay=1, max_delay=5)
        self._client.on_connect = self._subscribe
        self._client.on_message = self._heard
        host, port = access.addresses[0]
        self._client.connect_async(host, port, keepalive=30)
        self._client.loop_start()

    def _subscribe(self, client: mqtt.Client, *args: Any) -> None:
        if self._topics:
            client.subscribe([(topic, 1) for topic in self._topics])

    def _heard(self, client: mqtt.Client, userdata: Any, message: mqtt.MQTTMessage) -> None:
        truck = self._topics.get(message.topic)
        if truck is not None:
            self.take(truck, bytes(message.payload))

    def close(self) -> None:
        """Disconnect."""
        self._client.loop_stop()
        self._client.disconnect()
