"""Who may publish where: device topics, gateways, service roles and the rendered ACL."""

from __future__ import annotations

import pytest

from curbside.adapters.decoders.registry import decoder_for
from curbside.adapters.decoders.topics import topic_matches
from curbside.adapters.provisioning.accounts import (
    Account,
    Kind,
    ProvisioningError,
    Rights,
    service_rights,
    with_accounts,
    without_accounts,
)
from curbside.adapters.provisioning.devices import (
    city_devices,
    city_trucks,
    find_devices,
    gateway_rights,
    select_devices,
)
from curbside.adapters.provisioning.mosquitto_files import acl_file, password_file
from curbside.city.registry import City, load_city

DEMO_CITY = "curbside/city/demo-city.yaml"


@pytest.fixture(scope="module")
def city() -> City:
    return load_city(DEMO_CITY)


def _account(name: str, rights: Rights, kind: Kind = "device") -> Account:
    return Account(
        name, kind, "space", rights, "$7$101$c2FsdA==$aGFzaA==", "2026-11-27T00:00:00+00:00"
    )


def test_every_device_topic_is_one_ingest_reads_and_a_decoder_owns(city: City) -> None:
    ingest_reads = service_rights()["ingest"].read
    for device in city_devices(city):
        for topic in device.topics:
            concrete = topic.replace("+", "X")  # a truck's filter, filled in
            decoder_for(concrete)  # raises Rejected(bad_topic) if no decoder owns it
            assert any(topic_matches(f, concrete) for f in ingest_reads), topic


def test_the_api_reads_every_topic_ingest_reads_and_writes_only_alerts() -> None:
    # Its live state follows the same stream ingest stores (curbside/readmodels/live/feed.py).
    api = service_rights()["api"]
    assert set(service_rights()["ingest"].read) <= set(api.read)
    assert api.write == ("alerts/#", "dispatch/+/route")
    assert "dispatch/+/progress" in api.read


def test_a_device_may_write_only_topics_naming_itself(city: City) -> None:
    for device in city_devices(city):
        if device.role == "truck":
            # Its own route to read, its own progress to report (docs/dispatch.md).
            assert device.rights.read == (f"dispatch/{device.id}/route",)
            assert device.rights.write == (*device.topics, f"dispatch/{device.id}/progress")
        else:
            assert device.rights.read == ()
        for topic in device.topics:
            levels = topic.split("/")
            if device.role == "truck":
                assert levels[-1] == "emptied"
            else:
                assert levels[2] == device.id and levels[1] == device.group
                assert "+" not in topic and "#" not in topic


def test_find_devices_refuses_ids_the_registry_does_not_know(city: City) -> None:
    with pytest.raises(ProvisioningError, match="not in the city registry: Z99-001"):
        find_devices(city, ["Z01-001", "Z99-001"])


def test_select_devices_by_zone_and_district(city: City) -> None:
    zone = city.parking_zones[0]
    district = city.sanitation_districts[0]
    chosen = select_devices(city, zones=[zone.id], districts=[district.id])
    assert {d.id for d in chosen} == {s.id for s in zone.spaces} | {b.id for b in district.bins}
    with pytest.raises(ProvisioningError, match="unknown parking zone: nowhere"):
        select_devices(city, zones=["nowhere"])


def test_everything_is_every_space_and_bin(city: City) -> None:
    assert len(select_devices(city)) == city.space_count + city.bin_count


def test_a_gateway_writes_exactly_its_devices_topics(city: City) -> None:
    devices = find_devices(city, ["Z01-001", "D1-B001"])
    rights = gateway_rights(devices)
    assert set(rights.write) == {t for d in devices for t in d.topics}
    assert rights.read == ()


def test_a_gateway_for_trucks_reads_their_routes_and_reports_their_progress_only(
    city: City,
) -> None:
    # The demo's simulator with --trucks plan acts for the trucks it drives, and only them.
    first, second, *others = city_trucks(city)
    rights = gateway_rights([*find_devices(city, ["D1-B001"]), first, second])
    assert set(rights.read) == {f"dispatch/{first.id}/route", f"dispatch/{second.id}/route"}
    assert set(rights.write) == {
        "sanitation/D1/D1-B001/fill",
        "sanitation/D1/D1-B001/emptied",
        "sanitation/+/+/emptied",
        f"dispatch/{first.id}/progress",
        f"dispatch/{second.id}/progress",
    }
    assert len(rights.write) == len(set(rights.write)), "one ACL line per topic"
    assert others and {t.id for t in city_trucks(city)} == {t.id for t in city.trucks}


def test_acl_has_one_user_block_per_account_and_nothing_else(city: City) -> None:
    devices = find_devices(city, ["Z01-001", "Z01-002"])
    accounts = {d.id: _account(d.id, d.rights) for d in devices}
    accounts["curbside-ingest"] = _account("curbside-ingest", service_rights()["ingest"], "service")
    text = acl_file(accounts)
    lines = [line for line in text.splitlines() if line and not line.startswith("#")]
    assert lines[0].startswith("user "), "a rule before the first user would apply to anyone"
    assert not any(line.startswith("pattern") for line in lines)
    blocks: dict[str, list[str]] = {}
    for line in lines:
        if line.startswith("user "):
            current = blocks.setdefault(line.removeprefix("user "), [])
        else:
            current.append(line)
    assert set(blocks) == set(accounts)
    assert blocks["Z01-001"] == ["topic write parking/Z01/Z01-001/status"]
    assert blocks["Z01-002"] == ["topic write parking/Z01/Z01-002/status"]
    assert "topic read parking/#" in blocks["curbside-ingest"]
    assert not any(rule.startswith("topic write parking") for rule in blocks["curbside-ingest"])


def test_password_file_has_one_line_per_account() -> None:
    accounts = {n: _account(n, Rights()) for n in ("b", "a")}
    assert password_file(accounts).splitlines() == [
        f"a:{accounts['a'].password_hash}",
        f"b:{accounts['b'].password_hash}",
    ]


def test_adding_an_existing_account_needs_rotate_and_keeps_its_creation_time() -> None:
    first = _account("dev", Rights(write=("parking/Z/dev/status",)))
    accounts = with_accounts({}, [first])
    second = Account(
        "dev",
        "device",
        "space",
        first.rights,
        "$7$101$b3RoZXI=$aGFzaA==",
        "2027-01-01T00:00:00+00:00",
    )
    with pytest.raises(ProvisioningError, match="already provisioned"):
        with_accounts(accounts, [second])
    rotated = with_accounts(accounts, [second], replace_existing=True)
    assert rotated["dev"].password_hash == second.password_hash
    assert rotated["dev"].created_at == first.created_at


def test_revoking_needs_an_existing_account_of_the_right_kind() -> None:
    accounts = with_accounts({}, [_account("svc", Rights(), "service")])
    with pytest.raises(ProvisioningError, match="not provisioned"):
        without_accounts(accounts, ["nobody"])
    with pytest.raises(ProvisioningError, match="is a service, not a device"):
        without_accounts(accounts, ["svc"], kind="device")
    assert without_accounts(accounts, ["svc"]) == {}


def test_user_names_are_checked() -> None:
    with pytest.raises(ProvisioningError, match="user name"):
        _account("a:b", Rights())


@pytest.mark.parametrize(
    ("role", "topic"),
    [
        ("chirpstack", "application/7/device/0004a30b001c0530/event/up"),
        ("chirpstack", "application/7/device/0004a30b001c0530/event/status"),
        ("tts-bridge", "v3/curbside@ttn/devices/em310-d1-b001/up"),
    ],
)
def test_a_network_server_writes_uplinks_that_ingest_reads_and_nothing_native(
    role: str, topic: str
) -> None:
    rights = service_rights()[role]
    assert any(topic_matches(f, topic) for f in rights.write)
    assert any(topic_matches(f, topic) for f in service_rights()["ingest"].read)
    decoder_for(topic)  # a registered decoder owns it
    for native in ("parking/Z01/Z01-001/status", "sanitation/D1/D1-B001/fill", "alerts/x"):
        assert not any(topic_matches(f, native) for f in rights.write), native
