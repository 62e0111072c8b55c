"""Truck rounds: every bin served, twice a day, before the district's deadline."""

from __future__ import annotations

import itertools
from collections import Counter, defaultdict
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from curbside.city.registry import load_city
from simulators.plan import TrafficPlan
from simulators.rounds import CollectionRounds, plan_routes
from simulators.timestamps import instant_of

from .support import START

SHANGHAI = ZoneInfo("Asia/Shanghai")
T0 = instant_of(START)
DAY = 86_400
DEMO_CITY = Path(__file__).resolve().parents[3] / "curbside" / "city" / "demo-city.yaml"


def test_every_bin_has_exactly_one_truck() -> None:
    city = load_city(DEMO_CITY)
    routes = plan_routes(city)
    assert sorted(r.truck for r in routes) == sorted(t.id for t in city.trucks)
    served = Counter(stop for r in routes for stop in r.stops)
    expected = {(d.id, b.id) for d in city.sanitation_districts for b in d.bins}
    assert set(served) == expected
    assert set(served.values()) == {1}


def test_two_rounds_a_day_before_the_deadline() -> None:
    city = load_city(DEMO_CITY)
    plan = TrafficPlan(seed=9, start=T0, tz=SHANGHAI)
    rounds = CollectionRounds(city, plan)
    midnight = instant_of(datetime.fromisoformat("2026-11-27T00:00:00+08:00"))
    for district in city.sanitation_districts:
        for b in district.bins:
            visits = list(
                itertools.takewhile(
                    lambda v: v.t < midnight + 3 * DAY,
                    rounds.visits(district.id, b.id, midnight),
                )
            )
            by_day: dict[object, list[datetime]] = defaultdict(list)
            for v in visits:
                local = datetime.fromtimestamp(v.t, SHANGHAI)
                by_day[local.date()].append(local)
            assert len(by_day) == 3
            for day, times in by_day.items():
                assert len(times) == 2, (b.id, day)
                morning, afternoon = sorted(times)
                assert morning.hour >= 5
                assert morning.time() < afternoon.time() < district.clearance_deadline


def test_a_truck_takes_minutes_per_bin() -> None:
    city = load_city(DEMO_CITY)
    plan = TrafficPlan(seed=9, start=T0, tz=SHANGHAI)
    rounds = CollectionRounds(city, plan)
    for route in rounds.routes:
        times = sorted(
            next(rounds.visits(district, bin_id, T0)).t for district, bin_id in route.stops
        )
        gaps = [b - a for a, b in itertools.pairwise(times)]
        assert min(gaps) >= 90  # emptying alone takes 1.5-3 minutes
        assert max(gaps) < 30 * 60


def test_no_trucks_no_visits() -> None:
    city = load_city(DEMO_CITY).model_copy(update={"trucks": []})
    rounds = CollectionRounds(city, TrafficPlan(seed=1, start=T0, tz=SHANGHAI))
    assert list(rounds.visits("D1", "D1-B001", T0)) == []
