"""The city registry: the demo file is valid and county-sized; bad files say where."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from curbside.city.demo import demo_city
from curbside.city.registry import CityFileError, load_city, parse_city

DEMO_FILE = Path(__file__).parents[3] / "curbside" / "city" / "demo-city.yaml"


def test_shipped_demo_file_is_the_generators_output() -> None:
    # The file is generated; a hand edit would drift from the generator.
    assert load_city(DEMO_FILE) == parse_city(demo_city())


def test_demo_city_is_sized_like_the_county() -> None:
    city = load_city(DEMO_FILE)
    assert len(city.parking_zones) == 10
    assert city.space_count == 1000
    assert len(city.sanitation_districts) == 5
    assert city.bin_count == 500
    assert len(city.transfer_stations) == 3
    assert len(city.trucks) == 10
    assert {z.tariff for z in city.parking_zones} == {"main-road", "secondary"}


def test_lookups() -> None:
    city = load_city(DEMO_FILE)
    assert city.space("Z01", "Z01-001") is not None
    assert city.space("Z02", "Z01-001") is None
    found = city.bin("D1", "D1-B001")
    assert found is not None and found.depth_cm > 0
    assert city.bin("D1", "D2-B001") is None


def _broken(mutate: Any) -> str:
    data = copy.deepcopy(demo_city())
    mutate(data)
    with pytest.raises(CityFileError) as caught:
        parse_city(data, "city.yaml")
    return str(caught.value)


def test_duplicate_space_is_named() -> None:
    def dup(d: dict[str, Any]) -> None:
        d["parking_zones"][1]["spaces"][0]["id"] = "Z01-001"

    assert "Z01-001" in _broken(dup)


def test_bad_field_is_located() -> None:
    def bad(d: dict[str, Any]) -> None:
        d["sanitation_districts"][2]["bins"][7]["depth_cm"] = -3

    message = _broken(bad)
    assert "sanitation_districts.2.bins.7.depth_cm" in message


def test_unknown_key_is_an_error() -> None:
    def extra(d: dict[str, Any]) -> None:
        d["parking_zones"][0]["colour"] = "red"

    assert "parking_zones.0.colour" in _broken(extra)


def test_unknown_timezone_and_station() -> None:
    assert "Mars/Olympus" in _broken(lambda d: d.update(timezone="Mars/Olympus"))

    def station(d: dict[str, Any]) -> None:
        d["trucks"][0]["station"] = "TS9"

    assert "TS9" in _broken(station)


def test_topic_unsafe_ids_are_refused() -> None:
    def slash(d: dict[str, Any]) -> None:
        d["parking_zones"][0]["id"] = "Z/1"

    assert "parking_zones.0.id" in _broken(slash)


def test_unreadable_file_is_named(tmp_path: Path) -> None:
    with pytest.raises(CityFileError, match=r"nope\.yaml"):
        load_city(tmp_path / "nope.yaml")
    bad = tmp_path / "bad.yaml"
    bad.write_text("parking_zones: [\n")
    with pytest.raises(CityFileError, match=r"bad\.yaml"):
        load_city(bad)


def test_every_zone_names_a_tariff_the_registry_defines() -> None:
    city = load_city(DEMO_FILE)
    assert set(city.tariffs) == {"main-road", "secondary"}
    assert city.tariff_for_zone("Z01") is city.tariffs["main-road"]

    def typo(d: dict[str, Any]) -> None:
        d["parking_zones"][2]["tariff"] = "main-raod"

    message = _broken(typo)
    assert "parking zone Z03" in message and "'main-raod'" in message


def test_a_registry_without_tariffs_loads_but_has_no_fees() -> None:
    data = copy.deepcopy(demo_city())
    del data["tariffs"]
    city = parse_city(data)
    with pytest.raises(KeyError, match="no tariff 'main-road'"):
        city.tariff_for_zone("Z01")
    assert "parking zone Z01: unknown tariff" in _broken(lambda d: d.update(tariffs={}))


def test_bad_tariffs_and_calendar_are_located() -> None:
    def overlap(d: dict[str, Any]) -> None:
        d["tariffs"]["main-road"]["bands"][1]["start"] = "19:00"

    assert "tariffs.main-road" in _broken(overlap)

    def weekday(d: dict[str, Any]) -> None:
        d["workday_calendar"]["adjusted_workdays"].append("2026-10-09")

    assert "workday_calendar" in _broken(weekday)
    assert "tariffs.secondary.colour" in _broken(
        lambda d: d["tariffs"]["secondary"].update(colour=1)
    )


def _with_sensors(d: dict[str, Any], space: dict[str, Any], bin_: dict[str, Any]) -> None:
    d["parking_zones"][0]["spaces"][0]["sensor"] = space
    d["sanitation_districts"][0]["bins"][0]["sensor"] = bin_


def test_sensors_are_found_by_dev_eui_in_any_case() -> None:
    data = copy.deepcopy(demo_city())
    _with_sensors(
        data,
        {"dev_eui": "70b3d5c1e0000001", "model": "nwave-nps"},
        {"dev_eui": "24E124713D016172", "model": "milesight-em310-udl"},
    )
    city = parse_city(data)
    space = city.sensors["70B3D5C1E0000001"]
    assert (space.domain, space.group, space.device) == ("parking", "Z01", "Z01-001")
    bin_ = city.sensors["24E124713D016172"]
    assert (bin_.model, bin_.group, bin_.device) == ("milesight-em310-udl", "D1", "D1-B001")


def test_a_dev_eui_serves_one_place_only() -> None:
    def twice(d: dict[str, Any]) -> None:
        sensor = {"dev_eui": "70B3D5C1E0000001", "model": "bosch-parking-lot-sensor"}
        d["parking_zones"][0]["spaces"][0]["sensor"] = sensor
        d["parking_zones"][1]["spaces"][3]["sensor"] = dict(sensor, dev_eui="70b3d5c1e0000001")

    assert "70B3D5C1E0000001" in _broken(twice)


def test_a_parking_sensor_cannot_serve_a_bin() -> None:
    def misplaced(d: dict[str, Any]) -> None:
        sensor = {"dev_eui": "70B3D5C1E0000001", "model": "bosch-parking-lot-sensor"}
        d["sanitation_districts"][0]["bins"][0]["sensor"] = sensor

    message = _broken(misplaced)
    assert "D1/D1-B001" in message and "parking sensor" in message


@pytest.mark.parametrize(
    ("sensor", "where"),
    [
        ({"dev_eui": "70B3D5C1E00001", "model": "nwave-nps"}, "spaces.0.sensor.dev_eui"),
        ({"dev_eui": "70B3D5C1E000000G", "model": "nwave-nps"}, "spaces.0.sensor.dev_eui"),
        ({"dev_eui": "70B3D5C1E0000001", "model": "acme-9000"}, "spaces.0.sensor.model"),
    ],
)
def test_bad_sensor_entries_are_located(sensor: dict[str, str], where: str) -> None:
    def bad(d: dict[str, Any]) -> None:
        d["parking_zones"][0]["spaces"][0]["sensor"] = sensor

    assert where in _broken(bad)


def test_full_distance_must_be_above_the_bottom() -> None:
    def inverted(d: dict[str, Any]) -> None:
        bin_ = d["sanitation_districts"][0]["bins"][0]
        bin_["full_distance_cm"] = bin_["depth_cm"]

    assert "full_distance_cm" in _broken(inverted)


def test_a_json_registry_reads_like_the_yaml_one(tmp_path: Path) -> None:
    as_json = tmp_path / "city.json"
    as_json.write_text(json.dumps(demo_city(), default=str))
    assert load_city(as_json) == load_city(DEMO_FILE)
    bad = tmp_path / "bad.json"
    bad.write_text('{"parking_zones": [')
    with pytest.raises(CityFileError, match=r"bad\.json: not valid JSON"):
        load_city(bad)
