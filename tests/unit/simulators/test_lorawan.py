"""Simulated LoRaWAN sensors: what the simulator publishes, Curbside's decoders read back as
the report it stands for (two separate implementations of the vendors' layouts)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

import curbside.adapters.decoders.formats  # noqa: F401 - registers the formats under test
from curbside.adapters.decoders.codecs.nwave import previous_state_min
from curbside.adapters.decoders.registry import decoder_for
from curbside.city.registry import City, parse_city
from curbside.domain.telemetry.admission import TimestampPolicy, admit
from curbside.vocabulary.readings import BinLevel, Reading, SensorBattery, SpaceStatus
from simulators.events import EmptyingReport, FillReport, SpaceReport
from simulators.fleet import build_fleet
from simulators.lorawan import NetworkServerEncoder, nwave_duration_code
from simulators.options import WireFormat
from simulators.plan import TrafficPlan
from tests.unit.simulators.support import START, small_city_data

T0 = int(START.timestamp())
SENSORS = {
    "Z01-001": ("CB01010000000001", "bosch-parking-lot-sensor"),
    "Z01-002": ("CB01010000000002", "nwave-nps"),
    "D1-B001": ("CB02010000000001", "milesight-em310-udl"),
    "D1-B002": ("CB02010000000002", "milesight-em400-udl"),
}
NETWORK_SERVERS: list[WireFormat] = ["chirpstack", "tts"]


@pytest.fixture
def city() -> City:
    data = small_city_data()
    for zone in data["parking_zones"]:
        for space in zone["spaces"]:
            if space["id"] in SENSORS:
                eui, model = SENSORS[space["id"]]
                space["sensor"] = {"dev_eui": eui, "model": model}
    for district in data["sanitation_districts"]:
        for bin_ in district["bins"]:
            if bin_["id"] in SENSORS:
                eui, model = SENSORS[bin_["id"]]
                bin_ |= {"full_distance_cm": 25.0, "sensor": {"dev_eui": eui, "model": model}}
    return parse_city(data)


def _read_back(city: City, topic: str, payload: bytes) -> list[Reading]:
    received = datetime.fromtimestamp(T0, UTC) + timedelta(hours=1)
    policy = TimestampPolicy(max_age=timedelta(days=3650))
    readings = decoder_for(topic).decode(topic, payload, city.sensors).readings
    return [admit(r, city, received, policy) for r in readings]


def _space(space: str, occupied: bool, t: int, reason: Any = "change") -> SpaceReport:
    return SpaceReport(t, "Z01", space, occupied, 3.45, -97, reason)


def _fill(bin_id: str, pct: float, t: int, tilted: bool = False) -> FillReport:
    return FillReport(t, "D1", bin_id, pct, pct, pct, None, 3.3, 17.4, tilted)


@pytest.mark.parametrize("wire", NETWORK_SERVERS)
@pytest.mark.parametrize("decoded_object", [False, True])
@pytest.mark.parametrize("space", ["Z01-001", "Z01-002"])
def test_parking_reports_read_back(
    city: City, wire: WireFormat, decoded_object: bool, space: str
) -> None:
    encoder = NetworkServerEncoder(city, wire, decoded_object=decoded_object)
    reports = [
        _space(space, False, T0, "initial"),
        _space(space, True, T0 + 600),
        _space(space, True, T0 + 1200, "heartbeat"),
        _space(space, False, T0 + 1500),
    ]
    for n, report in enumerate(reports, start=1):
        message = encoder.encode(report)
        assert message is not None and not message.topic.startswith("parking/")
        [reading] = _read_back(city, message.topic, message.payload)
        assert isinstance(reading, SpaceStatus)
        assert (reading.zone, reading.space, reading.occupied) == ("Z01", space, report.occupied)
        assert reading.ts == datetime.fromtimestamp(report.t, UTC)
        assert reading.seq == n
        assert reading.rssi_dbm == report.rssi_dbm


def test_nwave_reports_how_long_the_space_was_occupied(city: City) -> None:
    encoder = NetworkServerEncoder(city, "chirpstack")
    encoder.encode(_space("Z01-002", False, T0, "initial"))
    encoder.encode(_space("Z01-002", True, T0 + 600))
    message = encoder.encode(_space("Z01-002", False, T0 + 600 + 47 * 60))
    assert message is not None
    [reading] = _read_back(city, message.topic, message.payload)
    assert isinstance(reading, SpaceStatus) and reading.previous_state_min == 47


@pytest.mark.parametrize("wire", NETWORK_SERVERS)
@pytest.mark.parametrize("decoded_object", [False, True])
@pytest.mark.parametrize("bin_id", ["D1-B001", "D1-B002"])
@pytest.mark.parametrize("pct", [0.0, 12.3, 50.0, 87.6, 100.0])
def test_fill_reports_read_back_with_the_bins_geometry(
    city: City, wire: WireFormat, decoded_object: bool, bin_id: str, pct: float
) -> None:
    encoder = NetworkServerEncoder(city, wire, decoded_object=decoded_object)
    report = _fill(bin_id, pct, T0, tilted=pct > 80)
    message = encoder.encode(report)
    assert message is not None
    [reading] = _read_back(city, message.topic, message.payload)
    assert isinstance(reading, BinLevel)
    assert reading.fill_pct == pytest.approx(pct, abs=0.11)
    assert reading.tilted is (pct > 80)
    assert reading.battery_pct is not None and 0 <= reading.battery_pct <= 100
    if bin_id == "D1-B002":
        assert reading.temp_c == pytest.approx(17.4)


def test_devices_without_a_sensor_and_trucks_stay_native(city: City) -> None:
    encoder = NetworkServerEncoder(city, "tts")
    space = encoder.encode(_space("Z01-003", True, T0))
    emptied = encoder.encode(EmptyingReport(T0, "D1", "D1-B001", "T01"))
    assert space is not None and space.topic == "parking/Z01/Z01-003/status"
    assert emptied is not None and emptied.topic == "sanitation/D1/D1-B001/emptied"
    assert json.loads(space.payload)["occupied"] is True


def test_native_format_ignores_sensors(city: City) -> None:
    message = NetworkServerEncoder(city, "native").encode(_space("Z01-001", True, T0))
    assert message is not None and message.topic == "parking/Z01/Z01-001/status"


@pytest.mark.parametrize("minutes", [*range(0, 700, 7), 89, 90, 239, 240, 659, 660, 5000])
def test_nwave_duration_code_is_within_one_step(minutes: int) -> None:
    expanded = previous_state_min(nwave_duration_code(minutes))
    step = 1 if minutes < 90 else 5 if minutes < 240 else 60
    assert expanded <= minutes
    assert minutes - expanded < step or expanded == 660


def test_model_narrows_the_fleet_to_that_sensor(city: City) -> None:
    plan = TrafficPlan(seed=1, start=T0, tz=city.tz)
    fleet = build_fleet(city, plan, model="nwave-nps")
    assert [(s.zone, s.space) for s in fleet.spaces] == [("Z01", "Z01-002")]
    assert fleet.bins == ()
    bins = build_fleet(city, plan, model="milesight-em400-udl").bins
    assert [(b.district, b.bin) for b in bins] == [("D1", "D1-B002")]


@pytest.mark.parametrize("space", ["Z01-001", "Z01-002"])
def test_chirpstack_heartbeats_come_with_a_device_status_event(city: City, space: str) -> None:
    heartbeat = _space(space, True, T0 + 600, "heartbeat")  # 3.45 V: 75 % of 3.0-3.6 V
    change = _space(space, False, T0 + 900)
    encoder = NetworkServerEncoder(city, "chirpstack")
    up, status = encoder.messages(heartbeat)
    assert up.topic.endswith("/event/up") and status.topic.endswith("/event/status")
    [battery] = _read_back(city, status.topic, status.payload)
    assert isinstance(battery, SensorBattery)
    assert (battery.group, battery.device, battery.battery_pct) == ("Z01", space, 75.0)
    assert len(encoder.messages(change)) == 1
    assert len(NetworkServerEncoder(city, "tts").messages(heartbeat)) == 1
