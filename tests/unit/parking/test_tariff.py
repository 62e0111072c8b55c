"""Tariff validation: every mistake a person can make in the file is refused, and says where."""

from __future__ import annotations

import copy
from datetime import time
from typing import Any

import pytest
import yaml
from pydantic import ValidationError

from curbside.vocabulary.tariff import Tariff

HOURLY = {"kind": "tiered", "partial": "round-up", "tiers": [{"unit_minutes": 60, "unit_fen": 100}]}
GOOD: dict[str, Any] = {
    "name": "test",
    "grace": {"minutes": 15, "charged_when_exceeded": False},
    "bands": [
        {"name": "day", "start": "07:30", "end": "20:00", "price": HOURLY},
        {"name": "night", "start": "20:00", "end": "07:30", "price": {"kind": "flat", "fen": 600}},
    ],
    "cap": {"fen": 6000, "window": "24h-from-entry"},
}


def _error(mutate: Any) -> str:
    body = copy.deepcopy(GOOD)
    mutate(body)
    with pytest.raises(ValidationError) as caught:
        Tariff.model_validate(body)
    return str(caught.value)


def test_a_good_tariff_and_its_bands() -> None:
    tariff = Tariff.model_validate(GOOD)
    day, night = tariff.bands
    assert (day.start_minute, day.length_minutes) == (450, 750)
    assert (night.start_minute, night.length_minutes) == (1200, 690)
    assert day.price_on(workday=False) is day.price
    whole = Tariff.model_validate(
        {"bands": [{"name": "all", "start": "06:00", "end": "06:00", "price": HOURLY}]}
    )
    assert whole.bands[0].length_minutes == 1440
    assert [b.name for b in tariff.bands_by_start()] == ["day", "night"]


def test_unknown_keys_are_refused() -> None:
    assert "colour" in _error(lambda t: t.update(colour="red"))
    assert "bands.0.price.tiered.rate" in _error(lambda t: t["bands"][0]["price"].update(rate=1))


def test_overlapping_bands_are_named() -> None:
    def overlap(t: dict[str, Any]) -> None:
        t["bands"][1]["start"] = "19:00"

    message = _error(overlap)
    assert "'day' and 'night' overlap" in message and "19:00-07:30" in message

    def whole_day(t: dict[str, Any]) -> None:
        t["bands"][0]["end"] = "07:30"

    assert "overlap" in _error(whole_day)
    assert "appears more than once" in _error(lambda t: t["bands"][1].update(name="day"))


def test_band_times_must_be_quoted_minutes() -> None:
    # What YAML makes of an unquoted 20:00: the base-60 number 1200.
    unquoted = yaml.safe_load("start: 20:00")["start"]
    assert unquoted == 1200
    assert "quoted 'HH:MM'" in _error(lambda t: t["bands"][1].update(start=unquoted))
    assert "HH:MM" in _error(lambda t: t["bands"][1].update(start="20:00:30"))
    assert Tariff.model_validate(GOOD).bands[0].end == time(20, 0)


@pytest.mark.parametrize(
    ("tiers", "partial", "expected"),
    [
        (
            [{"unit_minutes": 30, "unit_fen": 100, "up_to_minutes": 60}],
            "round-up",
            "last tier is open-ended",
        ),
        (
            [{"unit_minutes": 30, "unit_fen": 100}, {"unit_minutes": 30, "unit_fen": 200}],
            "round-up",
            "only the last tier may omit",
        ),
        (
            [
                {"up_to_minutes": 60, "unit_minutes": 30, "unit_fen": 100},
                {"up_to_minutes": 60, "unit_minutes": 30, "unit_fen": 100},
                {"unit_minutes": 30, "unit_fen": 100},
            ],
            "round-up",
            "must be above 60",
        ),
        (
            [
                {"up_to_minutes": 100, "unit_minutes": 30, "unit_fen": 100},
                {"unit_minutes": 30, "unit_fen": 1},
            ],
            "round-up",
            "0-100 min is not a whole number of 30-min units",
        ),
        ([{"unit_minutes": 30, "unit_fen": 100}], "threshold", "needs free_under_minutes"),
        ([{"unit_minutes": 30, "unit_fen": -1}], "round-up", "greater than or equal to 0"),
        ([{"unit_minutes": 0, "unit_fen": 1}], "round-up", "greater than 0"),
        ([{"unit_minutes": 30, "unit_fen": 1}], "ceil", "round-up"),
        ([], "round-up", "at least 1"),
    ],
)
def test_bad_tiers(tiers: list[dict[str, int]], partial: str, expected: str) -> None:
    def bad(t: dict[str, Any]) -> None:
        t["bands"][0]["price"] = {"kind": "tiered", "partial": partial, "tiers": tiers}

    assert expected in _error(bad)


def test_threshold_minutes_are_checked() -> None:
    def price(partial: str, free_under: int) -> Any:
        def mutate(t: dict[str, Any]) -> None:
            t["bands"][0]["price"] = {
                **HOURLY,
                "partial": partial,
                "free_under_minutes": free_under,
            }

        return mutate

    assert "below every tier's unit_minutes (60)" in _error(price("threshold", 60))
    assert "only applies to partial: threshold" in _error(price("drop", 10))
    tiered = {**HOURLY, "partial": "threshold", "free_under_minutes": 59}
    body = copy.deepcopy(GOOD)
    body["bands"][0]["price"] = tiered
    Tariff.model_validate(body)


def test_other_bad_values() -> None:
    assert "kind" in _error(lambda t: t["bands"][0].update(price={"kind": "hourly"}))
    assert "grace.charged_when_exceeded" in _error(
        lambda t: t["grace"].pop("charged_when_exceeded")
    )
    assert "cap.fen" in _error(lambda t: t["cap"].update(fen=0))
    assert "cap.window" in _error(lambda t: t["cap"].update(window="week"))
    assert "tier_clock" in _error(lambda t: t["bands"][0].update(tier_clock="pause"))
    assert "bands" in _error(lambda t: t.update(bands=[]))
    assert "name" in _error(lambda t: t["bands"][0].update(name="day time"))
