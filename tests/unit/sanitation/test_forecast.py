"""The fill trend and the overflow_soon rule on synthetic readings."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import NamedTuple
from zoneinfo import ZoneInfo

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from curbside.domain.alerts.thresholds import AlertThresholds
from curbside.domain.sanitation.bins import BinState
from curbside.domain.sanitation.forecast import overflow_soon_conditions, predict_full_at
from curbside.vocabulary.alerts import AlertKind, Domain, Subject


class FillReading(NamedTuple):
    """A reading as the tests make them; any object with ``ts`` and ``fill_pct`` will do."""

    ts: datetime
    fill_pct: float


SHANGHAI = ZoneInfo("Asia/Shanghai")
NOON = datetime(2026, 11, 27, 12, 0, tzinfo=SHANGHAI)
LIMITS = AlertThresholds()


def _line(
    start: datetime, start_pct: float, pct_per_hour: float, hours: float, every_min: int = 15
) -> list[FillReading]:
    """Readings every ``every_min`` minutes along an exact line, for ``hours`` hours."""
    count = int(hours * 60 // every_min) + 1
    return [
        FillReading(
            start + timedelta(minutes=i * every_min), start_pct + pct_per_hour * i * every_min / 60
        )
        for i in range(count)
    ]


def test_an_exact_line_predicts_its_crossing_of_100_percent() -> None:
    # +10 %/h from 50 % at 12:00: 100 % at 17:00, whenever it is asked.
    readings = _line(NOON, 50.0, 10.0, hours=2)
    now = NOON + timedelta(hours=2)
    assert predict_full_at(readings, now) == NOON + timedelta(hours=5)


def test_the_order_of_the_readings_does_not_matter() -> None:
    readings = _line(NOON, 50.0, 10.0, hours=2)
    now = NOON + timedelta(hours=2)
    assert predict_full_at(list(reversed(readings)), now) == NOON + timedelta(hours=5)


def test_a_noisy_line_predicts_within_a_tolerance() -> None:
    rng = np.random.default_rng(20261127)
    exact = _line(NOON, 50.0, 10.0, hours=3)
    noisy = [FillReading(r.ts, r.fill_pct + float(rng.uniform(-1.0, 1.0))) for r in exact]
    predicted = predict_full_at(noisy, NOON + timedelta(hours=3))
    assert predicted is not None
    assert abs(predicted - (NOON + timedelta(hours=5))) < timedelta(minutes=15)


def test_flat_and_falling_series_predict_nothing() -> None:
    now = NOON + timedelta(hours=2)
    assert predict_full_at(_line(NOON, 60.0, 0.0, hours=2), now) is None
    assert predict_full_at(_line(NOON, 60.0, -5.0, hours=2), now) is None


def test_a_rise_too_slow_to_matter_counts_as_flat() -> None:
    now = NOON + timedelta(hours=2)
    assert predict_full_at(_line(NOON, 10.0, 1e-9, hours=2), now) is None


def test_too_few_readings_predict_nothing() -> None:
    two = _line(NOON, 50.0, 10.0, hours=0.25)
    assert len(two) == 2
    now = NOON + timedelta(minutes=15)
    assert predict_full_at(two, now) is None
    assert predict_full_at(two, now, min_readings=2) == NOON + timedelta(hours=5)
    assert predict_full_at([], now) is None


def test_readings_at_one_moment_predict_nothing() -> None:
    same = [FillReading(NOON, pct) for pct in (50.0, 60.0, 70.0)]
    assert predict_full_at(same, NOON) is None


def test_a_poor_fit_predicts_nothing() -> None:
    # A zigzag with a slight rise: no line explains it.
    zigzag = [
        FillReading(NOON + timedelta(minutes=15 * i), pct)
        for i, pct in enumerate([40.0, 70.0, 42.0, 72.0, 44.0, 74.0, 46.0])
    ]
    now = NOON + timedelta(hours=2)
    assert predict_full_at(zigzag, now) is None
    assert predict_full_at(zigzag, now, min_r2=0.0) is not None


def test_only_readings_in_the_window_count() -> None:
    # Slow in the morning, fast since 12:00: only the fast part predicts the afternoon.
    morning = _line(NOON - timedelta(hours=4), 10.0, 1.0, hours=3.75)
    afternoon = _line(NOON, 50.0, 10.0, hours=2)
    now = NOON + timedelta(hours=2)
    predicted = predict_full_at(morning + afternoon, now, window=timedelta(hours=2, minutes=1))
    assert predicted == NOON + timedelta(hours=5)
    # Readings stamped after now (a clock running ahead) are left out too.
    later = [FillReading(now + timedelta(hours=1), 0.0)]
    assert predict_full_at(afternoon + later, now) == NOON + timedelta(hours=5)


def test_a_bin_that_read_100_percent_was_full_at_its_first_such_reading() -> None:
    readings = [*_line(NOON, 70.0, 20.0, hours=1), FillReading(NOON + timedelta(minutes=75), 100.0)]
    readings.append(FillReading(NOON + timedelta(minutes=90), 100.0))
    assert predict_full_at(readings, NOON + timedelta(hours=2)) == NOON + timedelta(minutes=75)


@given(
    offset_s=st.integers(min_value=-10 * 365 * 86_400, max_value=10 * 365 * 86_400),
    start_pct=st.floats(min_value=0.0, max_value=90.0),
    pct_per_hour=st.floats(min_value=0.5, max_value=30.0),
    noise=st.lists(st.floats(min_value=-1.0, max_value=1.0), min_size=6, max_size=6),
)
def test_shifting_every_time_shifts_the_prediction_by_as_much(
    offset_s: int, start_pct: float, pct_per_hour: float, noise: list[float]
) -> None:
    readings = [
        FillReading(r.ts, min(99.9, r.fill_pct + n))
        for r, n in zip(_line(NOON, start_pct, pct_per_hour, hours=1.25), noise, strict=True)
    ]
    now = NOON + timedelta(hours=1, minutes=30)
    offset = timedelta(seconds=offset_s)
    shifted = [FillReading(r.ts + offset, r.fill_pct) for r in readings]
    predicted = predict_full_at(readings, now, min_r2=0.0)
    moved = predict_full_at(shifted, now + offset, min_r2=0.0)
    if predicted is None:
        assert moved is None
    else:
        assert moved == predicted + offset


def _bin(name: str) -> BinState:
    return BinState("D1", name, 60.0, NOON, 3.6, 20.0, False)


def _subject(name: str) -> Subject:
    return Subject(Domain.SANITATION, "D1", name)


def test_overflow_soon_before_the_next_round_or_within_the_horizon() -> None:
    now = NOON + timedelta(hours=2)
    readings = {
        # Full at 14:35: within the 2 h horizon and before the 16:00 round.
        "B1": _line(NOON + timedelta(minutes=35), 50.0, 25.0, hours=1.25),
        # Full at 17:00: after the horizon, but before the 18:00 round.
        "B2": _line(NOON, 50.0, 10.0, hours=2),
        # Full at 17:00 again, but the round at 15:00 empties it first: nothing.
        "B3": _line(NOON, 50.0, 10.0, hours=2),
        # Full at 17:00 with no round planned: beyond the horizon, nothing.
        "B4": _line(NOON, 50.0, 10.0, hours=2),
        # Full at 15:00 with no round planned: within the horizon.
        "B5": _line(NOON, 40.0, 20.0, hours=2),
        # Falling: nothing. B7 has no readings at all.
        "B6": _line(NOON, 50.0, -10.0, hours=2),
    }
    rounds = {
        "B1": NOON + timedelta(hours=4),
        "B2": NOON + timedelta(hours=6),
        "B3": NOON + timedelta(hours=3),
    }
    bins = [_bin(f"B{i}") for i in range(1, 8)]
    conditions = overflow_soon_conditions(
        bins, readings, LIMITS, now, tz=SHANGHAI, next_rounds=rounds
    )
    assert [(c.kind, c.subject) for c in conditions] == [
        (AlertKind.OVERFLOW_SOON, _subject("B1")),
        (AlertKind.OVERFLOW_SOON, _subject("B2")),
        (AlertKind.OVERFLOW_SOON, _subject("B5")),
    ]
    assert [c.detail for c in conditions] == [
        "predicted full at 14:35 local, before the next round at 16:00",
        "predicted full at 17:00 local, before the next round at 18:00",
        "predicted full at 15:00 local, within 2 h 00 min, no round planned",
    ]


def test_overflow_soon_within_the_horizon_although_a_round_comes_first() -> None:
    now = NOON + timedelta(hours=2)
    conditions = overflow_soon_conditions(
        [_bin("B1")],
        {"B1": _line(NOON, 40.0, 20.0, hours=2)},
        LIMITS,
        now,
        tz=SHANGHAI,
        next_rounds={"B1": NOON + timedelta(hours=2, minutes=30)},
    )
    assert [c.detail for c in conditions] == [
        "predicted full at 15:00 local, within 2 h 00 min (next round at 14:30)"
    ]


def test_times_are_local_and_dated_when_not_today() -> None:
    # Now is 21:00 local on the 27th; 50 % at 19:00 local rising 5 %/h is full at 05:00 on
    # the 28th (21:00 UTC on the 27th), before the round at 07:30 local (23:30 UTC).
    now = datetime(2026, 11, 27, 13, 0, tzinfo=UTC)
    readings = _line(now - timedelta(hours=2), 50.0, 5.0, hours=2)
    conditions = overflow_soon_conditions(
        [_bin("B1")],
        {"B1": readings},
        LIMITS,
        now,
        tz=SHANGHAI,
        next_rounds={"B1": datetime(2026, 11, 27, 23, 30, tzinfo=UTC)},
    )
    assert [c.detail for c in conditions] == [
        "predicted full at 11-28 05:00 local, before the next round at 11-28 07:30"
    ]


def test_overflow_soon_uses_the_trend_thresholds() -> None:
    now = NOON + timedelta(hours=2)
    readings = {"B1": _line(NOON + timedelta(hours=1, minutes=30), 80.0, 20.0, hours=0.5)}
    assert len(readings["B1"]) == 3
    assert overflow_soon_conditions([_bin("B1")], readings, LIMITS, now, tz=SHANGHAI) != []
    strict = AlertThresholds(trend_min_readings=4)
    assert overflow_soon_conditions([_bin("B1")], readings, strict, now, tz=SHANGHAI) == []
