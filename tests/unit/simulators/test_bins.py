"""The bin model: filling, emptying, noise, distance sensors, reporting rhythm."""

from __future__ import annotations

import itertools
from collections import defaultdict
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from curbside.city.registry import City, load_city
from simulators.bins import BinModel, district_busyness
from simulators.events import EmptyingReport, Event, FillReport
from simulators.plan import TrafficPlan
from simulators.rounds import CollectionRounds
from simulators.timestamps import instant_of

from .support import START

SHANGHAI = ZoneInfo("Asia/Shanghai")
T0 = instant_of(START)
DAY = 86_400
DEMO_CITY = Path(__file__).resolve().parents[3] / "curbside" / "city" / "demo-city.yaml"


def _models(city: City, seed: int = 1, report_s: int = 900) -> list[BinModel]:
    plan = TrafficPlan(seed=seed, start=T0, tz=SHANGHAI, bin_report_s=report_s)
    rounds = CollectionRounds(city, plan)
    return [
        BinModel(district, b, plan, rounds, district_busyness(plan, district.id))
        for district in city.sanitation_districts
        for b in district.bins
    ]


def _events(model: BinModel, days: float) -> list[Event]:
    return list(itertools.takewhile(lambda e: e.t <= T0 + days * DAY, model.events()))


@pytest.fixture(scope="module")
def story(small_city: City) -> list[tuple[BinModel, list[Event]]]:
    return [(m, _events(m, 3)) for seed in (1, 2) for m in _models(small_city, seed)]


def _fill_for(distance_cm: float, depth_cm: float) -> float:
    """The contract's conversion, written out here independently of the code under test."""
    return round(min(100.0, max(0.0, (depth_cm - distance_cm) / depth_cm * 100)), 1)


def test_fill_stays_within_0_and_100(story: list[tuple[BinModel, list[Event]]]) -> None:
    reports = [e for _, events in story for e in events if isinstance(e, FillReport)]
    assert len(reports) > 10_000
    for r in reports:
        assert 0.0 <= r.true_pct <= 100.0
        assert 0.0 <= r.reported_pct <= 100.0
        if r.fill_pct is not None:
            assert 0.0 <= r.fill_pct <= 100.0
    assert max(r.true_pct for r in reports) > 50  # they do fill up


def test_noise_is_about_one_percent(story: list[tuple[BinModel, list[Event]]]) -> None:
    errors = [
        e.reported_pct - e.true_pct
        for _, events in story
        for e in events
        if isinstance(e, FillReport)
    ]
    assert max(abs(x) for x in errors) <= 1.0 + 0.06 + 0.06  # noise, rounding of both values
    assert max(errors) > 0.8
    assert min(errors) < -0.8


def test_bins_only_get_fuller_until_emptied(story: list[tuple[BinModel, list[Event]]]) -> None:
    for _, events in story:
        level = -1.0
        for event in events:
            if isinstance(event, EmptyingReport):
                level = -1.0
            elif isinstance(event, FillReport):
                assert event.true_pct >= level
                level = event.true_pct


def test_an_emptied_bin_reports_low_right_after(
    story: list[tuple[BinModel, list[Event]]],
) -> None:
    emptyings = 0
    for _, events in story:
        for event, after in itertools.pairwise(events):
            if isinstance(event, EmptyingReport):
                emptyings += 1
                assert isinstance(after, FillReport)
                assert 0 < after.t - event.t <= 60
                assert after.reported_pct <= 3.0 + 1.0 + 0.5
    assert emptyings >= 2 * 3 * 30  # twice a day, every bin


def test_distance_sensors_convert_back(story: list[tuple[BinModel, list[Event]]]) -> None:
    seen = 0
    for model, events in story:
        for e in events:
            if not isinstance(e, FillReport):
                continue
            assert (e.fill_pct is None) == model.ultrasonic
            assert (e.distance_cm is None) != model.ultrasonic
            if e.distance_cm is not None:
                seen += 1
                assert 0.0 <= e.distance_cm <= model.depth_cm
                assert e.distance_cm == round(e.distance_cm, 1)
                assert abs(_fill_for(e.distance_cm, model.depth_cm) - e.reported_pct) <= 0.1
    assert seen > 100


def test_about_a_third_are_ultrasonic() -> None:
    models = _models(load_city(DEMO_CITY), seed=11)
    share = sum(m.ultrasonic for m in models) / len(models)
    assert 0.25 < share < 0.42
    other = {(m.district, m.bin) for m in _models(load_city(DEMO_CITY), seed=12) if m.ultrasonic}
    assert other != {(m.district, m.bin) for m in models if m.ultrasonic}  # chosen by seed


def test_reports_every_period_with_jitter(story: list[tuple[BinModel, list[Event]]]) -> None:
    gaps: list[int] = []
    for _, events in story:
        times = [e.t for e in events if isinstance(e, FillReport)]
        assert times == sorted(set(times))
        assert T0 < times[0] <= T0 + 900
        extra = {
            after.t
            for event, after in itertools.pairwise(events)
            if isinstance(event, EmptyingReport)
        }
        # The extra report after an emptying does not shift the regular rhythm.
        regular = [t for t in times if t not in extra]
        gaps.extend(b - a for a, b in itertools.pairwise(regular))
    single = [g for g in gaps if 873 <= g <= 927]  # 15 min +- 3 %
    # A regular report due within the seconds after an emptying is left out.
    double = [g for g in gaps if 2 * 873 <= g <= 2 * 927]
    assert len(single) + len(double) == len(gaps)
    assert len(double) < 0.05 * len(gaps)
    assert len(set(single)) > 20  # jittered


def test_busier_districts_and_daytime_fill_faster() -> None:
    city = load_city(DEMO_CITY)
    models = _models(city, seed=4)
    plan = TrafficPlan(seed=4, start=T0, tz=SHANGHAI)
    noon = T0 + 6 * 3600  # 12:00 local
    night = T0 - 3 * 3600  # 03:00 local
    gain: dict[str, list[float]] = defaultdict(list)
    for m in models:
        day_gain = m.filled(0.0, noon, noon + 3600)
        assert day_gain > 3 * m.filled(0.0, night, night + 3600)
        gain[m.district].append(day_gain)
    mean = {d: sum(v) / len(v) for d, v in gain.items()}
    busiest = max(mean, key=lambda d: district_busyness(plan, d))
    quietest = min(mean, key=lambda d: district_busyness(plan, d))
    assert mean[busiest] > mean[quietest]


def test_initial_fill_is_what_accumulated_since_the_last_emptying(small_city: City) -> None:
    for m in _models(small_city):
        assert 0.0 <= m.initial_pct <= 100.0
    # 06:00 is before the morning round: every bin holds a night's rubbish, none is fresh.
    assert min(m.initial_pct for m in _models(small_city)) > 3.0
