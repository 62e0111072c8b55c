"""Each bin's fill as the live dispatch desk plans with it (curbside/readmodels/dispatch.py,
``bin_fills``): the last reported fill, carried along the bin's trend to the plan's start."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from curbside.domain.sanitation.bins import BinState
from curbside.readmodels.bin_trends import BinTrend
from curbside.readmodels.dispatch import bin_fills

NOW = datetime(2026, 12, 7, 2, 0, tzinfo=UTC)


def state(bin_id: str, fill: float, minutes_ago: float) -> BinState:
    return BinState("D1", bin_id, fill, NOW - timedelta(minutes=minutes_ago), None, None, None)


def test_a_rising_bin_is_planned_at_its_fill_now_and_full_when_its_trend_says() -> None:
    emptied = NOW - timedelta(hours=3)
    states = [state("B1", 72, 10), state("B2", 85, 10), state("B3", 99, 30)]
    trends = {
        ("D1", "B1"): BinTrend(36.0, emptied),
        ("D1", "B2"): BinTrend(0.0, None),
        ("D1", "B3"): BinTrend(12.0, None),
    }
    fills = bin_fills(states, [], trends, NOW)
    # 72 % ten minutes ago at 36 %/h: 72 + 6 = 78 % now, full 22 / 36 h (36 min 40 s) later.
    b1 = fills[("D1", "B1")]
    assert (b1.fill_pct, b1.rate_pct_h, b1.emptied_at) == (78.0, 36.0, emptied)
    assert b1.full_at(NOW) == NOW + timedelta(minutes=36, seconds=40)
    # Flat: as reported, never predicted full.
    b2 = fills[("D1", "B2")]
    assert (b2.fill_pct, b2.full_at(NOW)) == (85.0, None)
    # 99 % half an hour ago at 12 %/h is full by now: the fill is capped, and full now.
    b3 = fills[("D1", "B3")]
    assert (b3.fill_pct, b3.full_at(NOW)) == (100.0, NOW)


def test_without_a_trend_a_bin_is_planned_as_it_last_reported() -> None:
    fills = bin_fills([state("B1", 72, 10)], [], {}, NOW)
    b1 = fills[("D1", "B1")]
    assert (b1.fill_pct, b1.rate_pct_h, b1.full_at(NOW)) == (72.0, 0.0, None)
