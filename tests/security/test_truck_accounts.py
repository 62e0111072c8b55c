"""The trucks' dispatch topics on the real Mosquitto, with the ACL provisioning generates.

A truck's own account reads only its own route (``dispatch/{truck}/route``) and reports only
its own progress (``dispatch/{truck}/progress``); the demo's simulator account, a gateway
made as ``scripts/demo --trucks plan`` makes it, hears every truck's route through the
simulator's own route feed and reports their progress, but may not write a route. How a
denial is proven (a marker after it, or the listener's own round trip): test_broker_auth.py.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest

from api.dispatch_schemas import PlaceOut, TruckRouteOut
from curbside.adapters.provisioning.changes import Issued, revoke
from curbside.adapters.provisioning.store import BrokerFiles, broker_files
from curbside.city.registry import load_city
from curbside.config.settings import Settings
from curbside.vocabulary.topics import progress_topic, route_topic
from simulators.route_feed import MqttRouteFeed
from tests.security.broker import (
    attempt,
    listening,
    logged_in,
    provisioned_devices,
    provisioning_command,
    publish_all,
)
from tests.support import access_as, mqtt_client, reload_and_wait, wait_for

pytestmark = pytest.mark.integration

TRUCK, OTHER_TRUCK = "T01", "T02"


@pytest.fixture
def files(base_settings: Settings) -> BrokerFiles:
    return broker_files(base_settings)


@pytest.fixture
def trucks(base_settings: Settings, files: BrokerFiles) -> Iterator[dict[str, Issued]]:
    """Two trucks of the demo city with accounts of their own; revoked afterwards."""
    with provisioned_devices(base_settings, files, [TRUCK, OTHER_TRUCK]) as issued:
        yield issued


def test_a_truck_reads_its_own_route_and_not_another_trucks(
    base_settings: Settings, trucks: dict[str, Issued], unique: str
) -> None:
    heard: list[tuple[str, bytes]] = []
    own, other = f"own {unique}".encode(), f"other {unique}".encode()
    with logged_in(base_settings, trucks[TRUCK]) as truck:
        truck.on_message = lambda _c, _u, msg: heard.append((msg.topic, bytes(msg.payload)))
        subscribed: list[int] = []
        truck.on_subscribe = lambda *_args: subscribed.append(1)
        # Mosquitto grants any subscription and filters each delivery by the reader's ACL.
        truck.subscribe([("dispatch/+/route", 1), (route_topic(OTHER_TRUCK), 1), ("#", 1)])
        wait_for(lambda: bool(subscribed), 20, "the truck's subscription")
        sender = mqtt_client(base_settings)  # the suite's account, publishing as the API does
        try:
            # One connection, in order: once the own route is heard, the other's would have been.
            publish_all(sender, [(route_topic(OTHER_TRUCK), other), (route_topic(TRUCK), own)])
            wait_for(lambda: (route_topic(TRUCK), own) in heard, 30, "the truck's own route")
        finally:
            sender.disconnect()
            sender.loop_stop()
    assert [topic for topic, payload in heard if payload == other] == []


def test_a_truck_reports_its_own_progress_and_not_another_trucks(
    base_settings: Settings, trucks: dict[str, Issued], unique: str
) -> None:
    own = f"own {unique}".encode()
    denied = {
        progress_topic(OTHER_TRUCK): "another truck's progress",
        route_topic(TRUCK): "its own route (the dispatcher's to write)",
        route_topic(OTHER_TRUCK): "another truck's route",
    }
    with listening(base_settings, ["#"]) as listener:
        for topic, what in denied.items():
            attempt(base_settings, trucks[TRUCK], topic, f"{what} {unique}".encode())
        attempt(base_settings, trucks[TRUCK], progress_topic(TRUCK), own)
        listener.sync()
    assert listener.got(own), f"{TRUCK} cannot report its own progress"
    leaked = [what for what in denied.values() if listener.got(f"{what} {unique}".encode())]
    assert leaked == [], f"{TRUCK} published {leaked}"


HOME = PlaceOut(kind="station", id="S1", lat=29.87, lon=121.54)


def _route(truck: str, distance_m: int) -> bytes:
    start = datetime.now(UTC).replace(microsecond=0)
    return (
        TruckRouteOut(
            truck=truck,
            start=start,
            end=start + timedelta(hours=1),
            distance_m=distance_m,
            bins=0,
            unload_trips=0,
            stops=[],
            origin=HOME,
            destination=HOME,
        )
        .model_dump_json()
        .encode()
    )


def test_the_demo_simulators_account_can_follow_the_plan(
    base_settings: Settings, files: BrokerFiles, unique: str
) -> None:
    """The account ``scripts/demo --trucks plan`` provisions (the same command line)."""
    name = f"test-sim-{unique}"
    added = provisioning_command(base_settings, "gateway", "add", name, "--all", "--trucks")
    assert added.returncode == 0, added.stderr
    _, password = added.stdout.strip().split("\t")
    gateway = Issued(name, password)
    trucks = [t.id for t in load_city(base_settings.city_file).trucks]
    # Retained, as the API publishes them; a distance of this test's own tells them apart.
    marks = {truck: 900_000 + n for n, truck in enumerate(trucks)}
    sender = mqtt_client(base_settings)
    feed: MqttRouteFeed | None = None
    try:
        publish = [(route_topic(t), _route(t, marks[t])) for t in trucks]
        for topic, payload in publish:
            sender.publish(topic, payload, qos=1, retain=True).wait_for_publish(20)
        # The simulator's own subscription code, logged in as the gateway.
        feed = MqttRouteFeed(
            access_as(base_settings, name, password), trucks, client_id=f"{name}-routes"
        )
        for truck in trucks:
            wait_for(
                lambda truck=truck: _heard(feed, truck) == marks[truck],  # type: ignore[misc]
                30,
                f"the gateway to hear {truck}'s route",
            )
        own, forged = f"progress {unique}".encode(), f"forged route {unique}".encode()
        with listening(base_settings, ["#"]) as listener:
            attempt(base_settings, gateway, route_topic(TRUCK), forged)
            attempt(base_settings, gateway, progress_topic(TRUCK), own)
            listener.sync()
        assert listener.got(own), "the simulator cannot report a truck's progress"
        assert not listener.got(forged), "the simulator wrote a truck's route"
    finally:
        if feed is not None:
            feed.close()
        for truck in trucks:  # retained routes outlive the test
            sender.publish(route_topic(truck), b"", qos=1, retain=True).wait_for_publish(20)
        sender.disconnect()
        sender.loop_stop()
        revoke(files, [name])
        reload_and_wait(files, base_settings, [])


def _heard(feed: MqttRouteFeed, truck: str) -> int | None:
    route = feed.latest(truck)
    return None if route is None else route.distance_m
