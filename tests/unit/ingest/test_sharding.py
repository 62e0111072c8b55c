"""The fixed split of the topic space over ingest shards (CURBSIDE_INGEST_SHARD)."""

from __future__ import annotations

import random

import pytest
from hypothesis import given
from hypothesis import strategies as st

from curbside.adapters.decoders.topics import topic_matches
from curbside.city.demo import demo_city
from curbside.city.registry import City, parse_city
from curbside.config.settings import SettingsError, load_settings
from ingest.sharding import NATIVE_ROOTS, Shard, apply_shard, shard_subscriptions, split

NATIVE = list(NATIVE_ROOTS)


def _city(zone_sizes: list[int], district_sizes: list[int]) -> City:
    return parse_city(
        {
            "parking_zones": [
                {
                    "id": f"Z{z}",
                    "name": f"zone {z}",
                    "tariff": "main-road",
                    "spaces": [{"id": f"Z{z}-{n}", "lat": 0, "lon": 0} for n in range(size)],
                }
                for z, size in enumerate(zone_sizes)
            ],
            "sanitation_districts": [
                {
                    "id": f"D{d}",
                    "name": f"district {d}",
                    "clearance_deadline": "19:00",
                    "bins": [
                        {"id": f"D{d}-B{n}", "capacity_l": 240, "depth_cm": 100, "lat": 0, "lon": 0}
                        for n in range(size)
                    ],
                }
                for d, size in enumerate(district_sizes)
            ],
            "tariffs": {"main-road": demo_city()["tariffs"]["main-road"]},
        }
    )


def _device_topics(city: City) -> list[str]:
    return [
        *(f"parking/{z.id}/{s.id}/status" for z in city.parking_zones for s in z.spaces),
        *(f"sanitation/{d.id}/{b.id}/fill" for d in city.sanitation_districts for b in d.bins),
        *(f"sanitation/{d.id}/{b.id}/emptied" for d in city.sanitation_districts for b in d.bins),
    ]


sizes = st.lists(st.integers(1, 40), min_size=1, max_size=12)


@given(zones=sizes, districts=sizes, data=st.data())
def test_every_device_topic_reaches_exactly_one_shard(
    zones: list[int], districts: list[int], data: st.DataObject
) -> None:
    city = _city(zones, districts)
    count = data.draw(st.integers(1, len(zones) + len(districts)))
    filters = [shard_subscriptions(city, Shard(i, count), NATIVE) for i in range(1, count + 1)]
    assert all(filters), "every shard has something to do"
    for topic in _device_topics(city):
        owners = [i for i, mine in enumerate(filters) if any(topic_matches(f, topic) for f in mine)]
        assert len(owners) == 1, topic


@given(zones=sizes, districts=sizes, data=st.data())
def test_devices_are_balanced_within_one_group(
    zones: list[int], districts: list[int], data: st.DataObject
) -> None:
    city = _city(zones, districts)
    count = data.draw(st.integers(1, len(zones) + len(districts)))
    size = {f"parking/Z{i}/#": n for i, n in enumerate(zones)} | {
        f"sanitation/D{i}/#": n for i, n in enumerate(districts)
    }
    loads = [sum(size[f] for f in mine) for mine in split(city, count)]
    # Greedy biggest-first: the heaviest shard exceeds the lightest by at most one group.
    assert max(loads) - min(loads) <= max(zones + districts)


def test_the_split_does_not_depend_on_the_order_of_the_city_file() -> None:
    zones = [random.Random(1).randint(1, 30) for _ in range(9)]
    city = _city(zones, [5, 5, 7])
    shuffled = city.model_copy(
        update={"parking_zones": random.Random(2).sample(city.parking_zones, 9)}
    )
    assert [sorted(s) for s in split(city, 4)] == [sorted(s) for s in split(shuffled, 4)]


def test_other_formats_go_whole_to_shard_one() -> None:
    city = _city([10, 10], [10])
    registered = [*NATIVE, "vendorx/#"]
    assert "vendorx/#" in shard_subscriptions(city, Shard(1, 3), registered)
    for index in (2, 3):
        assert "vendorx/#" not in shard_subscriptions(city, Shard(index, 3), registered)
        assert "parking/#" not in shard_subscriptions(city, Shard(index, 3), registered)


def test_more_shards_than_zones_and_districts_is_refused() -> None:
    with pytest.raises(SettingsError, match=r"CURBSIDE_INGEST_SHARD=1/4.*only 3"):
        shard_subscriptions(_city([10, 10], [10]), Shard(1, 4), NATIVE)


@pytest.mark.parametrize("text", ["1", "0/2", "3/2", "a/b", "1/2/3", "/2", "-1/2"])
def test_bad_shard_text_is_refused(text: str) -> None:
    with pytest.raises(ValueError, match="shard"):
        Shard.parse(text)


@pytest.mark.parametrize("text", ["0/2", "3/2", "1", "x/2", " 1/2"])
def test_bad_shard_setting_names_the_variable(text: str) -> None:
    with pytest.raises(SettingsError, match="CURBSIDE_INGEST_SHARD"):
        load_settings(ingest_shard=text)


def test_a_shard_has_a_session_of_its_own() -> None:
    city = _city([10, 10], [10])
    settings, filters = apply_shard(load_settings(ingest_shard="2/3"), city, NATIVE)
    assert settings.mqtt.client_id == "curbside-ingest-2of3"
    assert filters is not None and len(filters) == 1


def test_unsharded_settings_are_left_alone() -> None:
    settings = load_settings()
    assert apply_shard(settings, _city([10], [10]), NATIVE) == (settings, None)
