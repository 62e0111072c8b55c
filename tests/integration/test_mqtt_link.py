"""The API's one MQTT link (curbside/adapters/mqtt/link.py) against the real broker: what it
hears reaches its handlers, what it publishes reaches others at QoS 1, publishes made while no
broker answers wait and go out once one does, and a refused address is failed over."""

from __future__ import annotations

import asyncio
import threading
from typing import Any

import paho.mqtt.client as mqtt
import pytest

from curbside.adapters.mqtt.client import BrokerAccess
from curbside.adapters.mqtt.link import MqttLink
from curbside.config.settings import Settings
from tests.support import mqtt_client, publish_once

pytestmark = pytest.mark.integration


class Heard:
    """Messages a paho client received, in order."""

    def __init__(self) -> None:
        self.messages: list[tuple[str, bytes, bool]] = []
        self.lock = threading.Lock()

    def __call__(self, client: mqtt.Client, userdata: Any, message: mqtt.MQTTMessage) -> None:
        with self.lock:
            self.messages.append((message.topic, bytes(message.payload), bool(message.retain)))


async def wait_until(condition: Any, timeout_s: float, what: str) -> None:
    async with asyncio.timeout(timeout_s):
        while not condition():
            await asyncio.sleep(0.02)
    assert condition(), what


def test_the_link_fails_over_hears_and_publishes_what_waited(
    settings: Settings, unique: str
) -> None:
    # The first address refuses (nothing listens on port 1): the link goes on to the second,
    # the test broker, under the clean session's id for that attempt.
    access = BrokerAccess.from_settings(settings)
    access = BrokerAccess(
        access.host,
        access.port,
        access.username,
        access.password,
        endpoints=(("127.0.0.1", 1), (access.host, access.port)),
    )
    topic = f"test/{unique}"
    watcher = mqtt_client(settings)
    seen = Heard()
    watcher.on_message = seen
    watcher.subscribe(f"{topic}/out/#", qos=1)

    async def scenario() -> list[tuple[str, bytes, bool]]:
        link = MqttLink(access, client_id=f"link-{unique}")
        heard: list[tuple[str, bytes, bool]] = []
        link.subscribe(f"{topic}/in/#", lambda *message: heard.append(message))
        # Published before any connection: it waits in the link's queue.
        link.publish(f"{topic}/out/early", "before the broker", retain=False)
        running = asyncio.create_task(link.run())
        try:
            await wait_until(lambda: link.following, 20, "the link to subscribe")
            assert link.connects == 1
            await asyncio.to_thread(publish_once, settings, f"{topic}/in/a", b"one")
            await asyncio.to_thread(publish_once, settings, f"{topic}/elsewhere", b"not ours")
            await asyncio.to_thread(publish_once, settings, f"{topic}/in/b", b"two")
            link.publish(f"{topic}/out/late", b"after", retain=False)
            await wait_until(lambda: len(heard) == 2, 10, "both messages heard")
            await link.flush(10)
        finally:
            running.cancel()
        return heard

    try:
        heard = asyncio.run(scenario())
        assert heard == [(f"{topic}/in/a", b"one", False), (f"{topic}/in/b", b"two", False)]
        assert asyncio.run(_wait_for_count(seen, 2)), seen.messages
        assert seen.messages == [
            (f"{topic}/out/early", b"before the broker", False),
            (f"{topic}/out/late", b"after", False),
        ]
    finally:
        watcher.disconnect()
        watcher.loop_stop()


def test_a_handler_that_fails_drops_that_message_only(settings: Settings, unique: str) -> None:
    topic = f"test/{unique}"

    async def scenario() -> list[bytes]:
        link = MqttLink(BrokerAccess.from_settings(settings), client_id=f"link-{unique}")
        kept: list[bytes] = []

        def fussy(_topic: str, payload: bytes, _retain: bool) -> None:
            if payload == b"bad":
                raise ValueError("a handler's bug")
            kept.append(payload)

        link.subscribe(f"{topic}/#", fussy)
        running = asyncio.create_task(link.run())
        try:
            await wait_until(lambda: link.following, 20, "the link to subscribe")
            for payload in (b"bad", b"good"):
                await asyncio.to_thread(publish_once, settings, f"{topic}/x", payload)
            await wait_until(lambda: kept == [b"good"], 10, "the good message")
            assert link.connected and link.connects == 1
        finally:
            running.cancel()
        return kept

    assert asyncio.run(scenario()) == [b"good"]


async def _wait_for_count(heard: Heard, count: int) -> bool:
    for _ in range(500):
        with heard.lock:
            if len(heard.messages) >= count:
                return True
        await asyncio.sleep(0.02)
    return False
