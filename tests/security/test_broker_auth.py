"""Devices publish only as themselves: proven by what a real subscriber receives, on each
broker Curbside supports (Mosquitto, and RabbitMQ with the rights provisioning gives it).

Mosquitto acknowledges a denied publish from an MQTT 3.1.1 client like any other, so a
PUBACK proves nothing. Each test therefore ends with a marker: one the sender may publish, on
the same connection (messages from one connection reach a subscriber in order, so once the
marker has arrived, anything before it that the broker let through would have arrived too),
or, for a sender that may publish nowhere, the listener's own round trip after the sender's
PUBACKs (the broker routes a message before it acknowledges it).
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from curbside.adapters.mqtt.client import connack
from curbside.adapters.provisioning.changes import (
    Issued,
    add_gateway,
    add_service,
    revoke,
)
from curbside.adapters.provisioning.devices import find_devices
from curbside.adapters.provisioning.store import BrokerFiles, broker_files
from curbside.city.registry import load_city
from curbside.config.settings import Settings
from tests.security.broker import (
    attempt,
    listening,
    logged_in,
    provisioned_devices,
    publish_all,
    raw_publish,
    refusal,
)
from tests.support import ACCEPTED, access_as, reload_and_wait, wait_for

pytestmark = pytest.mark.integration

SPACE, OTHER_SPACE, BIN = "Z01-001", "Z01-002", "D1-B001"
OWN = f"parking/Z01/{SPACE}/status"
OTHER = f"parking/Z01/{OTHER_SPACE}/status"
BIN_FILL = f"sanitation/D1/{BIN}/fill"
EVERYTHING = ("#", "$SYS/#")


@pytest.fixture(scope="module", params=["mosquitto", "rabbitmq"])
def base_settings(request: pytest.FixtureRequest, base_settings: Settings) -> Settings:
    """The whole rights matrix runs against each broker."""
    if request.param == "rabbitmq":
        settings: Settings = request.getfixturevalue("rabbitmq_settings")
        return settings
    return base_settings


@pytest.fixture
def files(base_settings: Settings) -> BrokerFiles:
    return broker_files(base_settings)


@pytest.fixture
def devices(base_settings: Settings, files: BrokerFiles) -> Iterator[dict[str, Issued]]:
    """Three devices of the demo city with fresh passwords; revoked afterwards."""
    with provisioned_devices(base_settings, files, [SPACE, OTHER_SPACE, BIN]) as issued:
        yield issued


def test_a_device_reaches_its_own_topic_and_no_other(
    base_settings: Settings, devices: dict[str, Issued], unique: str
) -> None:
    own = f"own {unique}".encode()
    attempts = {
        OTHER: "another space's topic",
        BIN_FILL: "a bin's topic",
        f"{OWN}/extra": "its own topic with a level more",
        f"parking/Z01/{SPACE}": "its own topic cut short",
        f"$SYS/broker/{unique}": "the broker's $SYS tree",
        f"alerts/fire/sanitation/D1/{BIN}": "a fake alert",
        f"deadletter/bad_json/{OTHER}": "a fake dead letter",
    }
    with listening(base_settings, EVERYTHING) as listener:
        attempt(base_settings, devices[SPACE], OWN, own)
        for topic, what in attempts.items():
            attempt(base_settings, devices[SPACE], topic, f"{what} {unique}".encode())
        listener.sync()
    assert listener.got(own), "the device's own message did not arrive"
    leaked = [what for what in attempts.values() if listener.got(f"{what} {unique}".encode())]
    assert leaked == [], f"{SPACE} published to {leaked}"


def test_a_spoofed_client_id_does_not_make_a_device_another(
    base_settings: Settings, devices: dict[str, Issued], unique: str
) -> None:
    spoof, own = f"spoofed {unique}".encode(), f"own {unique}".encode()
    with listening(base_settings, EVERYTHING) as listener:
        # Its own user name and password, but the other space's id as its client id.
        attempt(base_settings, devices[SPACE], OTHER, spoof, client_id=OTHER_SPACE)
        attempt(base_settings, devices[SPACE], OWN, own, client_id=OTHER_SPACE)
        listener.sync()
    assert listener.got(own), "the device could not publish its own topic at all"
    assert not listener.got(spoof)


def test_wildcards_in_a_published_topic_reach_no_one(
    base_settings: Settings, devices: dict[str, Issued], unique: str
) -> None:
    access = access_as(base_settings, SPACE, devices[SPACE].password)
    payloads = {"parking/Z01/+/status": f"plus {unique}", "parking/#": f"hash {unique}"}
    with listening(base_settings, EVERYTHING) as listener:
        for topic, payload in payloads.items():
            # A protocol violation: the broker drops the connection instead of routing it.
            assert raw_publish(access, topic, payload.encode()), f"{topic} was not refused"
        listener.sync()
    assert not any(listener.got(p.encode()) for p in payloads.values())


def test_a_device_reads_nothing_even_with_a_wildcard_subscription(
    base_settings: Settings, devices: dict[str, Issued], unique: str
) -> None:
    heard: list[str] = []
    secret = f"for the operators only {unique}".encode()
    with logged_in(base_settings, devices[SPACE]) as device:
        device.on_message = lambda _c, _u, msg: heard.append(msg.topic)
        answered: list[str] = []
        device.on_subscribe = lambda *_args: answered.append("suback")
        device.on_disconnect = lambda *_args: answered.append("disconnected")
        device.subscribe([("#", 1), ("parking/#", 1), ("$SYS/#", 1)])
        # Mosquitto grants it and delivers only what the device may read; RabbitMQ refuses a
        # subscription beyond the account's rights by closing the connection.
        wait_for(lambda: bool(answered), 20, "the broker's answer to the subscription")
        with listening(base_settings, [OTHER]) as listener:
            attempt(base_settings, devices[OTHER_SPACE], OTHER, secret)
            wait_for(lambda: listener.got(secret), 30, "the listener to hear the other space")
        # The PUBACK of the device's own publish comes after anything routed to it before.
        wait_for(device.is_connected, 30, "the device to be connected again")
        publish_all(device, [(OWN, f"own {unique}".encode())])
    assert heard == []


def test_anonymous_wrong_and_unknown_logins_are_refused(
    base_settings: Settings, devices: dict[str, Issued]
) -> None:
    password = devices[SPACE].password
    assert connack(access_as(base_settings, SPACE, password), client_id="right") == ACCEPTED
    for name, access in {
        "anonymous": access_as(base_settings, None, None),
        "wrong password": access_as(base_settings, SPACE, password + "x"),
        "another device's password": access_as(base_settings, SPACE, devices[BIN].password),
        "unknown user": access_as(base_settings, "Z99-999", password),
    }.items():
        assert connack(access, client_id=f"refused-{len(name)}") == refusal(base_settings), name


def test_a_revoked_device_is_cut_off_after_the_reload(
    base_settings: Settings, files: BrokerFiles, devices: dict[str, Issued], unique: str
) -> None:
    before, after = f"before {unique}".encode(), f"after {unique}".encode()
    with (
        listening(base_settings, EVERYTHING) as listener,
        logged_in(base_settings, devices[BIN]) as device,
    ):
        publish_all(device, [(BIN_FILL, before)])
        wait_for(lambda: listener.got(before), 30, "the bin's message before revoking")
        revoke(files, [BIN], kind="device")
        reload_and_wait(files, base_settings, [])
        # Mosquitto re-checks connected clients on reload, provisioning closes a RabbitMQ
        # user's connections: this one is disconnected.
        wait_for(lambda: not device.is_connected(), 30, "the revoked bin to be disconnected")
        device.publish(BIN_FILL, after, qos=1)  # paho keeps it and retries; in vain
        access = access_as(base_settings, BIN, devices[BIN].password)
        assert connack(access, client_id="revoked") == refusal(base_settings)
        listener.sync()
    assert not listener.got(after)


@pytest.mark.parametrize(
    "case",
    [
        ("ingest", "deadletter/bad_json/parking/Z01/Z01-001/status", OWN),
        ("alerts", "alerts/fire/sanitation/D1/D1-B001", OWN),
        ("api", "alerts/full/sanitation/D1/D1-B001", BIN_FILL),
        ("monitor", None, "deadletter/bad_json/x"),
    ],
)
def test_service_accounts_publish_only_where_their_role_needs(
    base_settings: Settings, files: BrokerFiles, unique: str, case: tuple[str, str | None, str]
) -> None:
    role, allowed, denied = case
    service = add_service(files, role, f"test-{role}-{unique}", rotate=False)
    reload_and_wait(files, base_settings, [service])
    try:
        bad, good = f"denied {unique}".encode(), f"allowed {unique}".encode()
        with listening(base_settings, EVERYTHING) as listener:
            attempt(base_settings, service, denied, bad)
            if allowed is not None:
                attempt(base_settings, service, allowed, good)
            listener.sync()
        assert allowed is None or listener.got(good), f"{role} cannot publish to {allowed}"
        assert not listener.got(bad), f"{role} published to {denied}"
    finally:
        revoke(files, [service.username])
        reload_and_wait(files, base_settings, [])


def test_a_gateway_publishes_for_its_devices_only(
    base_settings: Settings, files: BrokerFiles, unique: str
) -> None:
    city = load_city(base_settings.city_file)
    gateway = add_gateway(
        files, f"test-gw-{unique}", find_devices(city, [SPACE, BIN]), rotate=False
    )
    reload_and_wait(files, base_settings, [gateway])
    try:
        outsider, own_bin = f"outsider {unique}".encode(), f"bin {unique}".encode()
        with listening(base_settings, EVERYTHING) as listener:
            attempt(base_settings, gateway, BIN_FILL, own_bin)
            attempt(base_settings, gateway, OTHER, outsider)
            listener.sync()
        assert listener.got(own_bin), "the gateway cannot publish for its own bin"
        assert not listener.got(outsider)
    finally:
        revoke(files, [gateway.username])
        reload_and_wait(files, base_settings, [])
