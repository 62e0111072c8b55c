"""The bulk engine: its input checks, and the scalar engine's fen on many seeded stays."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from curbside.city.registry import load_city
from curbside.domain.parking import fees_vectorised
from curbside.domain.parking.fees import compute_fee, from_seconds
from curbside.domain.parking.fees_vectorised import compute_fees
from curbside.vocabulary.tariff import Tariff

CITY = load_city(Path(__file__).parents[3] / "curbside" / "city" / "demo-city.yaml")
TZ = CITY.tz
CALENDAR = CITY.workday_calendar
MAIN = CITY.tariffs["main-road"]
START = int(datetime(2026, 9, 28, tzinfo=TZ).timestamp())  # the week of National Day

ROUND_UP_HOUR = {
    "kind": "tiered",
    "partial": "round-up",
    "tiers": [{"unit_minutes": 60, "unit_fen": 100}],
}


def _tricky() -> list[Tariff]:
    """Hand-made tariffs for the corners: midnight bands, continuing clocks, every cap."""
    tiered = {
        "kind": "tiered",
        "partial": "threshold",
        "free_under_minutes": 10,
        "tiers": [
            {"up_to_minutes": 45, "unit_minutes": 15, "unit_fen": 150},
            {"unit_minutes": 20, "unit_fen": 275},
        ],
    }
    bodies: list[dict[str, Any]] = [
        {
            "grace": {"minutes": 10, "charged_when_exceeded": True},
            "bands": [
                {"name": "late", "start": "22:00", "end": "06:00", "price": ROUND_UP_HOUR},
                {
                    "name": "day",
                    "start": "06:00",
                    "end": "22:00",
                    "tier_clock": "continue",
                    "price": tiered,
                    "non_workday_price": {"kind": "flat", "fen": 800},
                },
            ],
            "cap": {"fen": 3000, "window": window},
        }
        for window in ("24h-from-entry", "calendar-day", "charging-day")
    ]
    bodies.append(
        {
            "bands": [
                {
                    "name": "all",
                    "start": "12:00",
                    "end": "12:00",
                    "tier_clock": "continue",
                    "price": {"kind": "flat", "fen": 300},
                    "non_workday_price": ROUND_UP_HOUR,
                }
            ],
            "cap": {"fen": 700, "window": "charging-day"},
        }
    )
    return [Tariff.model_validate(b) for b in bodies]


@pytest.mark.parametrize("chunk", [fees_vectorised.CHUNK, 7])
@pytest.mark.parametrize("tariff", [*CITY.tariffs.values(), *_tricky()], ids=repr)
def test_many_seeded_stays_cost_what_the_scalar_engine_says(
    tariff: Tariff, chunk: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(fees_vectorised, "CHUNK", chunk)
    rng = np.random.default_rng(20261001)
    entries = START + rng.integers(0, 10 * 86_400, 600)
    durations = np.concatenate(
        [
            rng.integers(0, 4 * 3600, 300),
            rng.integers(0, 40, 100) * 900,  # quarter hours: exact edges
            rng.integers(0, 6 * 86_400, 200),
        ]
    )
    exits = entries + durations
    bulk = compute_fees(tariff, entries, exits, CALENDAR, TZ)
    scalar = [
        compute_fee(tariff, from_seconds(int(e)), from_seconds(int(x)), CALENDAR, TZ).total_fen
        for e, x in zip(entries, exits, strict=True)
    ]
    assert bulk.dtype == np.int64
    assert bulk.tolist() == scalar


def test_inputs_are_checked() -> None:
    with pytest.raises(ValueError, match="before entry"):
        compute_fees(MAIN, np.array([START, START]), np.array([START + 1, START - 1]), CALENDAR, TZ)
    with pytest.raises(ValueError, match="shape"):
        compute_fees(MAIN, np.array([START]), np.array([START, START]), CALENDAR, TZ)
    with pytest.raises(ValueError, match="one-dimensional"):
        compute_fees(MAIN, np.array([[START]]), np.array([[START]]), CALENDAR, TZ)
    with pytest.raises(TypeError, match="epoch seconds"):
        compute_fees(MAIN, np.array(["x"]), np.array(["y"]), CALENDAR, TZ)
    with pytest.raises(ValueError, match="finite"):
        compute_fees(MAIN, np.array([np.nan]), np.array([1.0]), CALENDAR, TZ)


def test_empty_free_and_fractional_inputs() -> None:
    assert (
        compute_fees(
            MAIN, np.array([], dtype=np.int64), np.array([], dtype=np.int64), CALENDAR, TZ
        ).size
        == 0
    )
    short = compute_fees(MAIN, np.array([START]), np.array([START + 60]), CALENDAR, TZ)
    assert short.tolist() == [0]
    # Float seconds are floored like the scalar engine drops fractions: 15 min is grace.
    floats = compute_fees(MAIN, np.array([START + 0.9]), np.array([START + 900.5]), CALENDAR, TZ)
    assert floats.tolist() == [0]
    # Plain lists are accepted too.
    assert compute_fees(MAIN, [START], [START + 3600], CALENDAR, TZ).tolist() == [
        compute_fee(MAIN, from_seconds(START), from_seconds(START + 3600), CALENDAR, TZ).total_fen
    ]
