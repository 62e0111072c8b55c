"""End to end: a mixed fleet (ChirpStack, The Things Stack and native devices) through real
Mosquitto, ingest and InfluxDB, and the API's answers compared with the simulator's truth."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml

from curbside.adapters.influx.client import InfluxClient
from curbside.config.settings import Settings
from ingest.service import Ingester
from tests.e2e.town import (
    api_server,
    check_bins,
    check_parking,
    read_truth,
    run_simulator,
    small_city,
    wait_until_stored,
)
from tests.support import mqtt_client

pytestmark = pytest.mark.e2e

STRANGER = "a840414171817dd4"  # a DevEUI the registry does not know


def lorawan_town() -> dict[str, Any]:
    """The small town with Z01 on Bosch and Nwave sensors and D1 on Milesight EM310/EM400;
    Z02 and D2 keep native devices."""
    town = small_city()
    for k, space in enumerate(town["parking_zones"][0]["spaces"], start=1):
        model = "bosch-parking-lot-sensor" if k % 2 else "nwave-nps"
        space["sensor"] = {"dev_eui": f"CB0101{k:010d}", "model": model}
    for k, bin_ in enumerate(town["sanitation_districts"][0]["bins"], start=1):
        model = "milesight-em310-udl" if k % 2 else "milesight-em400-udl"
        bin_["sensor"] = {"dev_eui": f"CB0201{k:010d}", "model": model}
        bin_["full_distance_cm"] = 25.0
    return town


@pytest.fixture
def city_file(tmp_path: Path) -> Path:
    """Overrides the town of tests/e2e/conftest.py with the LoRaWAN one (the ingester's too)."""
    path = tmp_path / "city.yaml"
    path.write_text(yaml.safe_dump(lorawan_town(), allow_unicode=True))
    return path


def _publish_stranger(settings: Settings) -> None:
    event = {
        "deviceInfo": {"devEui": STRANGER, "deviceName": "not ours"},
        "fPort": 1,
        "data": base64.b64encode(b"\x01").decode(),
    }
    client = mqtt_client(settings)
    try:
        topic = f"application/other/device/{STRANGER}/event/up"
        client.publish(topic, json.dumps(event), qos=1).wait_for_publish(10)
    finally:
        client.disconnect()
        client.loop_stop()


def test_mixed_lorawan_fleet_matches_ground_truth(
    settings: Settings, influx: InfluxClient, ingester: Ingester, city_file: Path, tmp_path: Path
) -> None:
    start = (datetime.now(UTC) - timedelta(hours=2)).replace(microsecond=0)
    common = ["--start", start.isoformat(), "--duration", "2h", "--speed", "max", "--seed", "5"]
    faults = ["--faults", "duplicate=0.03,reorder=0.03,malformed=0.02"]
    parking_truth, bins_truth = tmp_path / "parking.jsonl", tmp_path / "bins.jsonl"
    # Parking through ChirpStack with raw frames only; bins through The Things Stack with the
    # network server's decoded objects: both decoding paths, both network servers.
    run_simulator(
        settings, city_file, *common, *faults, "--devices", "parking", "--format", "chirpstack",
        "--client-id", "sim-chirpstack", "--truth", str(parking_truth),
    )  # fmt: skip
    run_simulator(
        settings, city_file, *common, *faults, "--devices", "bins", "--format", "tts",
        "--decoded-object", "--client-id", "sim-tts", "--truth", str(bins_truth),
    )  # fmt: skip
    _publish_stranger(settings)
    parking, parking_records = read_truth(parking_truth)
    bins, _ = read_truth(bins_truth)
    published = parking["published"] + bins["published"] + 1
    assert parking["published"] > 500 and bins["published"] > 100
    chirpstack_topics = [
        r for r in parking_records if r["type"] == "fault" and r["topic"].startswith("application/")
    ]
    assert chirpstack_topics, "faults must hit the ChirpStack traffic too"

    wait_until_stored(ingester, published)
    rejected = ingester.metrics.rejected_by_reason()
    assert rejected.pop("unknown_device") == 1, rejected
    assert sum(rejected.values()) == parking["malformed"] + bins["malformed"], rejected

    _check_lorawan_fields(influx)
    with api_server(settings, city_file, tmp_path / "api.log") as api:
        check_parking(api, parking["spaces"])
        check_bins(api, bins["bins"])


def _count(influx: InfluxClient, statement: str) -> int:
    series = influx.query(statement)
    return int(series[0].values[0][1]) if series else 0


def _check_lorawan_fields(influx: InfluxClient) -> None:
    # SNR only comes from the network servers, battery % in frames only from Milesight.
    assert _count(influx, "SELECT count(snr_db) FROM parking_status WHERE zone = 'Z01'") > 0
    assert _count(influx, "SELECT count(snr_db) FROM parking_status WHERE zone = 'Z02'") == 0
    assert _count(influx, "SELECT count(battery_pct) FROM bin_level WHERE district = 'D1'") > 0
    assert _count(influx, "SELECT count(battery_pct) FROM bin_level WHERE district = 'D2'") == 0
    nwave = "SELECT count(previous_state_min) FROM parking_status WHERE zone = 'Z01'"
    assert _count(influx, nwave) > 0
    # ChirpStack's device status events (battery) come with the parking heartbeats.
    status = """SELECT count(battery_pct) FROM sensor_battery WHERE "group" = 'Z01'"""
    assert _count(influx, status) > 0
