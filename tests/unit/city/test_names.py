"""Display names in both languages: the demo registry gives every one, start-up says which
are missing in a registry that does not, and a missing language shows the other name."""

from __future__ import annotations

import copy
import logging
import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from curbside.city.demo import demo_city
from curbside.city.registry import CityFileError, load_city, parse_city

DEMO_FILE = Path(__file__).parents[3] / "curbside" / "city" / "demo-city.yaml"
CJK = re.compile(r"[\u3000-\u9fff]")


def test_the_demo_registry_names_everything_in_both_languages() -> None:
    city = load_city(DEMO_FILE)
    assert city.untranslated_names() == []
    names = [z.name for z in city.parking_zones] + [d.name for d in city.sanitation_districts]
    names += [t.name for t in city.transfer_stations]
    names += [city.tariff_names(t)[0] for t in city.tariffs]
    names += [n for t in city.tariffs for n in city.tariff_names(t)[1].values()]
    assert len(names) == 10 + 5 + 3 + 2 + 3  # zones, districts, stations, tariffs, bands
    for name in names:
        assert name.zh and CJK.search(name.zh) and not re.search("[A-Za-z]", name.zh), name
        assert name.en and not CJK.search(name.en), name


def test_a_name_missing_in_one_language_is_reported_at_start_and_shows_the_other(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    data = copy.deepcopy(demo_city())
    data["parking_zones"][0]["name"] = {"zh": "人民路"}
    data["sanitation_districts"][1]["name"] = "West"  # plain, as older registries wrote it
    path = tmp_path / "city.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    with caplog.at_level(logging.WARNING):
        city = load_city(path)
    said = caplog.text
    assert "2 name(s) lack a language" in said
    assert "parking_zones[Z01].name: no en" in said
    assert "sanitation_districts[D2].name: no zh or en" in said
    assert city.parking_zones[0].name.both() == {"zh": "人民路", "en": "人民路"}
    assert city.sanitation_districts[1].name.both() == {"zh": "West", "en": "West"}
    assert str(city.parking_zones[1].name) == "解放路 Jiefang Road"  # the old single field


@pytest.mark.parametrize("bad", [{}, {"zh": ""}, {"fr": "Rue"}, {"zh": None, "en": None}])
def test_a_name_in_no_language_is_refused_naming_the_key(bad: dict[str, Any]) -> None:
    data = copy.deepcopy(demo_city())
    data["parking_zones"][2]["name"] = bad
    with pytest.raises(CityFileError, match=r"parking_zones\.2\.name"):
        parse_city(data)


def test_a_band_without_a_title_is_shown_by_its_name() -> None:
    data = copy.deepcopy(demo_city())
    del data["tariffs"]["secondary"]["bands"][0]["title"]
    _, bands = parse_city(data).tariff_names("secondary")
    assert bands["day"].both() == {"zh": "day", "en": "day"}
