"""A simulated week of a county under three collection policies (issue 15):
``python -m tools.bench.dispatch_week [--days 7] [--seed 1] [--limit 5] [--generated 3x5]``.

The same bins fill the same way under every policy: each bin's rate is the simulator's
(``simulators.bins.BinModel.rate``: base rate × district busyness × day factor × time-of-day
profile, seeded), integrated in 15-minute steps; a visit empties the bin. Policies:

- **fixed rounds**: today's simulator (``simulators.rounds``): every truck drives its fixed
  nearest-neighbour round over its share of the bins twice a day, from 06:00 (until 11:00)
  and from 15:00 (until 20:00);
- **worklist**: at 06:00 and 15:00 the bins holding rubbish (above 10 %) are listed and each
  station's nearest-neighbour tour (``curbside.domain.sanitation.worklist.plan_routes``) is
  split between the station's trucks in order;
- **optimised**: the product's plan holder (``curbside.readmodels.dispatch.DispatchDesk``)
  plans on its cadence (``PlanningRules``: 06:00, 11:30, 17:00) from each bin's fill and its
  rise rate at that moment, keeping the stop each truck is driving to; each plan is driven
  until the next one, the last to the end of the shifts.

Fixed rounds and worklist tours are driven with the travel model (great-circle × 1.4, slowest
band; 2 minutes per bin), a truck unloading at its home station when the next bin would
overfill it (loads as filled at the planning moment); the optimised plan is driven as planned
(its unload trips, its loads predicted at the latest visit). Reported: km, truck-hours (driving
and service; idle time at the station not counted), unload trips (returns to a station,
the last one of each trip included), the 日产日清 rate judged by the product's own rule
(``curbside.domain.sanitation.clearance.bin_clearance``: cleared by the deadline after the last
rise above 10 %), overflow minutes (time at 100 %) and solve time.

Prints a section and appends it to docs/dispatch.md (``--no-record`` to skip).
"""

from __future__ import annotations

import argparse
import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from datetime import time as clock_time
from pathlib import Path
from typing import Protocol

from curbside.city import demo_city_file
from curbside.city.registry import City, load_city
from curbside.domain.dispatch.city_problem import BinFill, PlanningRules
from curbside.domain.dispatch.problem import SERVICE, Stop
from curbside.domain.dispatch.travel import GreatCircleTravel
from curbside.domain.sanitation.clearance import ClearanceRules, bin_clearance
from curbside.domain.sanitation.collections import Collection, Level
from curbside.domain.sanitation.worklist import Point, Station, Task, plan_routes
from curbside.readmodels.dispatch import DispatchDesk
from simulators.bins import BinModel, district_busyness
from simulators.plan import TrafficPlan
from simulators.rounds import CollectionRounds
from simulators.rounds import plan_routes as fixed_routes
from tools.bench.dispatch_city import larger_county
from tools.bench.record import DISPATCH_DOC, command_line, machine_lines, publish

STEP = timedelta(minutes=15)
PLAN_AT = (clock_time(6, 0), clock_time(15, 0))
ENDS = (clock_time(11, 0), clock_time(20, 0))
RUBBISH_ABOVE_PCT = 10.0
Key = tuple[str, str]


@dataclass
class Driven:
    """What one policy's trucks did in a planning period."""

    visits: dict[Key, list[datetime]] = field(default_factory=dict)
    metres: float = 0.0
    truck_s: float = 0.0
    unloads: int = 0
    solve_s: float = 0.0


@dataclass
class Totals:
    """A policy's week."""

    metres: float = 0.0
    truck_s: float = 0.0
    unloads: int = 0
    solve_s: float = 0.0
    plans: int = 0
    needed: int = 0
    cleared: int = 0
    overflow_min: float = 0.0


class County:
    """The bins, their fill models and the travel model shared by every policy."""

    def __init__(self, city: City, seed: int, start: datetime) -> None:
        self.city = city
        self.tz = city.tz
        self.travel = GreatCircleTravel(city.tz)
        plan = TrafficPlan(seed=seed, start=int(start.timestamp()), tz=city.tz)
        rounds = CollectionRounds(city, plan)
        self.models: dict[Key, BinModel] = {}
        self.where: dict[Key, Point] = {}
        self.capacity: dict[Key, int] = {}
        self.deadline = {d.id: d.clearance_deadline for d in city.sanitation_districts}
        for d in city.sanitation_districts:
            busy = district_busyness(plan, d.id)
            for b in d.bins:
                self.models[(d.id, b.id)] = BinModel(d, b, plan, rounds, busy)
                self.where[(d.id, b.id)] = Point(b.lat, b.lon)
                self.capacity[(d.id, b.id)] = b.capacity_l
        self.stations = {s.id: Point(s.lat, s.lon) for s in city.transfer_stations}

    def metres(self, a: Point, b: Point) -> float:
        return self.travel.matrix([a, b])[0][1]

    def drive(
        self,
        truck: str,
        start: datetime,
        end: datetime,
        stops: Sequence[Key],
        loads: dict[Key, int],
    ) -> Driven:
        """A truck drives ``stops`` in order from its home, unloading there when full, until
        its shift ``end`` (bins it cannot reach by then are not visited)."""
        spec = next(t for t in self.city.trucks if t.id == truck)
        home = self.stations[spec.station]
        speed = self.travel.speed_during(start, end)
        out = Driven()
        here, t, load = home, start, 0
        for key in stops:
            if load + loads[key] > spec.capacity_loose_l:
                out.metres += self.metres(here, home)
                t += timedelta(seconds=self.metres(here, home) / speed)
                here, load = home, 0
                out.unloads += 1
            leg = self.metres(here, self.where[key])
            back = self.metres(self.where[key], home)
            arrive = t + timedelta(seconds=leg / speed)
            if arrive + SERVICE + timedelta(seconds=back / speed) > end:
                break
            out.metres += leg
            out.visits.setdefault(key, []).append(arrive)
            here, t, load = self.where[key], arrive + SERVICE, load + loads[key]
        if here != home:
            out.metres += self.metres(here, home)
            t += timedelta(seconds=self.metres(here, home) / speed)
            out.unloads += 1
        out.truck_s = (t - start).total_seconds() if out.visits else 0.0
        if not out.visits:
            out.metres = 0.0
        return out


PlanOnce = Callable[[County, datetime, datetime, dict[Key, float]], list[Driven]]


def fixed(county: County, start: datetime, end: datetime, fills: dict[Key, float]) -> list[Driven]:
    """Every truck's fixed round over its share of the bins, whatever their fill."""
    out = []
    for route in fixed_routes(county.city):
        loads = {k: round(county.capacity[k] * fills[k] / 100) for k in route.stops}
        out.append(county.drive(route.truck, start, end, route.stops, loads))
    return out


def worklist(
    county: County, start: datetime, end: datetime, fills: dict[Key, float]
) -> list[Driven]:
    """Each station's nearest-neighbour tour over the bins holding rubbish, split between its
    trucks in order."""
    tasks = [
        Task(k[0], k[1], "not_cleared", "", start, county.where[k])
        for k, pct in fills.items()
        if pct > RUBBISH_ABOVE_PCT
    ]
    district_of = {t.bin: t.district for t in tasks}
    stations = [Station(s, p) for s, p in county.stations.items()]
    loads = {k: round(county.capacity[k] * fills[k] / 100) for k in fills}
    out = []
    for tour in plan_routes(stations, tasks):
        trucks = [t.id for t in county.city.trucks if t.station == tour.station]
        size = math.ceil(len(tour.stops) / len(trucks))
        for i, truck in enumerate(trucks):
            share = [(district_of[b], b) for b in tour.stops[i * size : (i + 1) * size]]
            out.append(county.drive(truck, start, end, share, loads))
    return out


class Rolling:
    """The product's planner (``DispatchDesk``) re-planning on its cadence through the shifts.

    Each plan is driven until the next one is made; the stop each truck is driving to then
    stays its next stop (curbside/domain/dispatch/replan.py).
    """

    def __init__(self, county: County, rules: PlanningRules, limit_s: float) -> None:
        self.county = county
        self.desk = DispatchDesk(
            county.city, travel=county.travel, time_limit_s=limit_s, rules=rules
        )
        self.homes = {t.id: county.stations[t.station] for t in county.city.trucks}
        self.at = dict(self.homes)  # where each truck is
        self.free: dict[str, datetime | None] = dict.fromkeys(self.homes)  # None: idle at home
        self.emptied: dict[Key, datetime] = {}

    def moments(self, day: date) -> list[tuple[datetime, datetime]]:
        """Each plan of the day and until when it is driven (the last: to the shift's end)."""
        tz = self.county.tz
        first = min(t.shift_start for t in self.county.city.trucks)
        at = [datetime.combine(day, first, tz)]
        while (nxt := self.desk.next_plan_after(at[-1])).astimezone(tz).date() == day:
            at.append(nxt)
        midnight = datetime.combine(day + timedelta(days=1), clock_time(0), tz)
        return list(zip(at, [*at[1:], midnight], strict=True))

    def __call__(
        self, county: County, start: datetime, end: datetime, fills: dict[Key, float]
    ) -> list[Driven]:
        rates = {k: county.models[k].rate(int(start.timestamp())) * 3600 for k in fills}
        plan = self.desk.replan(
            start,
            {k: BinFill(pct, rates[k], emptied_at=self.emptied.get(k)) for k, pct in fills.items()},
        )
        speed = county.travel.speed_during(start, end)
        out = []
        for route in plan.routes:
            driven = Driven()
            for stop in route.stops:
                if start <= stop.arrival <= end:
                    self._drive(route.truck, stop, driven, speed)
            out.append(driven)
        out.append(Driven(solve_s=plan.solve_s))
        return out

    def _drive(self, truck: str, stop: Stop, driven: Driven, speed: float) -> None:
        leg = self.county.metres(self.at[truck], stop.where)
        began = self.free[truck] or stop.arrival - timedelta(seconds=leg / speed)
        service = SERVICE if stop.kind == "bin" else timedelta()
        driven.metres += leg
        driven.truck_s += (stop.arrival - began + service).total_seconds()
        if stop.kind == "unload":
            driven.unloads += 1
        elif stop.district is not None:
            driven.visits.setdefault((stop.district, stop.id), []).append(stop.arrival)
            self.emptied[(stop.district, stop.id)] = stop.arrival
        self.at[truck] = stop.where
        at_home = stop.kind == "unload" and stop.where == self.homes[truck]
        self.free[truck] = None if at_home else stop.arrival + service


class Periodic:
    """A policy that plans at 06:00 (driven until 11:00) and 15:00 (until 20:00)."""

    def __init__(self, county: County, plan: PlanOnce) -> None:
        self.county = county
        self.plan = plan

    def moments(self, day: date) -> list[tuple[datetime, datetime]]:
        tz = self.county.tz
        return [
            (datetime.combine(day, a, tz), datetime.combine(day, b, tz))
            for a, b in zip(PLAN_AT, ENDS, strict=True)
        ]

    def __call__(
        self, county: County, start: datetime, end: datetime, fills: dict[Key, float]
    ) -> list[Driven]:
        return self.plan(county, start, end, fills)


class Policy(Protocol):
    """When a policy plans, and what its trucks drive after each plan."""

    def moments(self, day: date) -> list[tuple[datetime, datetime]]: ...

    def __call__(
        self, county: County, start: datetime, end: datetime, fills: dict[Key, float]
    ) -> list[Driven]: ...


def policies(county: County, rules: PlanningRules, limit_s: float) -> dict[str, Policy]:
    """The three policies, in the order the table shows them."""
    return {
        "fixed rounds": Periodic(county, fixed),
        "worklist": Periodic(county, worklist),
        "optimised": Rolling(county, rules, limit_s),
    }


def run_week(county: County, policy: Policy, first: date, days: int) -> Totals:
    """Fill, plan and empty the county's bins for ``days`` days from ``first``."""
    totals = Totals()
    fills = {k: 0.0 for k in county.models}
    day_levels: dict[Key, list[Level]] = {k: [] for k in county.models}
    rules = ClearanceRules(rubbish_above_pct=RUBBISH_ABOVE_PCT)
    for offset in range(days):
        day = first + timedelta(days=offset)
        midnight = datetime.combine(day, clock_time(0), county.tz)
        visits: dict[Key, list[datetime]] = {k: [] for k in county.models}
        levels = {k: [lv for lv in day_levels[k][-1:]] for k in county.models}
        t = midnight
        for moment, until in policy.moments(day):
            t = _fill(
                county, fills, levels=levels, visits=visits, start=t, end=moment, totals=totals
            )
            for driven in policy(county, moment, until, fills):
                totals.metres += driven.metres
                totals.truck_s += driven.truck_s
                totals.unloads += driven.unloads
                totals.solve_s += driven.solve_s
                for key, times in driven.visits.items():
                    visits[key].extend(times)
            totals.plans += 1
        _fill(
            county,
            fills,
            levels=levels,
            visits=visits,
            start=t,
            end=midnight + timedelta(days=1),
            totals=totals,
        )
        for key, lv in levels.items():
            done = [Collection(v, "report", None, None, None) for v in visits[key]]
            verdict = bin_clearance(lv, done, day, county.deadline[key[0]], county.tz, rules=rules)
            totals.needed += verdict.needed
            totals.cleared += verdict.cleared and not verdict.late
        day_levels = levels
    return totals


def _fill(
    county: County,
    fills: dict[Key, float],
    *,
    levels: dict[Key, list[Level]],
    visits: dict[Key, list[datetime]],
    start: datetime,
    end: datetime,
    totals: Totals,
) -> datetime:
    """Every bin from ``start`` to ``end``: fill in steps, empty at each visit."""
    for key, model in county.models.items():
        pct, t = fills[key], start
        due = sorted(v for v in visits[key] if start <= v < end)
        while t < end:
            nxt = min(t + STEP, end, *(v for v in due if v > t))
            was_full = pct >= 100
            pct = min(100.0, pct + model.rate(int(t.timestamp())) * (nxt - t).total_seconds())
            if was_full:
                totals.overflow_min += (nxt - t).total_seconds() / 60
            t = nxt
            if t in due:
                levels[key].append(Level(t.astimezone(UTC), pct))
                pct = 0.0
            levels[key].append(Level(t.astimezone(UTC), pct))
        fills[key] = pct
    return end


def _minutes(span: timedelta) -> float:
    return span / timedelta(minutes=1)


def main(argv: list[str] | None = None) -> int:
    """Run the week under each policy and print (and record) the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--days", type=int, default=7)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--limit", type=float, default=10.0, help="solver time limit per plan, s")
    defaults = PlanningRules()
    parser.add_argument(
        "--every", type=float, default=_minutes(defaults.every), help="re-plan every N min"
    )
    parser.add_argument(
        "--margin", type=float, default=_minutes(defaults.overflow_margin), help="overflow, min"
    )
    parser.add_argument(
        "--sweep",
        type=float,
        default=_minutes(defaults.sweep_within or timedelta()),
        help="日产日清 bins must be cleared from N min before the deadline",
    )
    parser.add_argument(
        "--trend", type=float, default=_minutes(defaults.trend_horizon), help="trend horizon, min"
    )
    parser.add_argument(
        "--penalty", type=int, default=defaults.skip_penalty_m, help="skip penalty at full, m"
    )
    parser.add_argument("--policies", default="fixed rounds,worklist,optimised")
    parser.add_argument("--city", type=Path, default=demo_city_file())
    parser.add_argument(
        "--generated",
        metavar="ROWSxCOLUMNS",
        help="a generated county of that many 100-bin districts instead (e.g. 3x5)",
    )
    parser.add_argument("--no-record", action="store_true")
    args = parser.parse_args(argv)
    city = load_city(args.city)
    if args.generated:
        down, across = (int(n) for n in args.generated.split("x"))
        city = larger_county(down, across)
    first = date(2026, 12, 7)
    county = County(city, args.seed, datetime.combine(first, clock_time(0), city.tz))
    rows = [
        "| policy | km | truck-hours | unload trips | 日产日清 rate | overflow bin-minutes | "
        "solve s (total) |",
        "|---|---|---|---|---|---|---|",
    ]
    results: dict[str, Totals] = {}
    rules = PlanningRules(
        every=timedelta(minutes=args.every),
        overflow_margin=timedelta(minutes=args.margin),
        sweep_within=timedelta(minutes=args.sweep),
        trend_horizon=timedelta(minutes=args.trend),
        skip_penalty_m=args.penalty,
    )
    chosen = policies(county, rules, args.limit)
    for name in args.policies.split(","):
        policy = chosen[name]
        began = time.perf_counter()
        totals = run_week(county, policy, first, args.days)
        results[name] = totals
        rate = totals.cleared / totals.needed if totals.needed else float("nan")
        rows.append(
            f"| {name} | {totals.metres / 1000:,.0f} | {totals.truck_s / 3600:,.0f} | "
            f"{totals.unloads:,} | {rate:.1%} ({totals.cleared:,}/{totals.needed:,}) | "
            f"{totals.overflow_min:,.0f} | {totals.solve_s:.0f} |"
        )
        print(rows[-1], f"({time.perf_counter() - began:.0f} s)", flush=True)
    saving = ""
    if {"optimised", "fixed rounds"} <= results.keys():
        fewer = 1 - results["optimised"].metres / results["fixed rounds"].metres
        saving = f"Optimised against fixed rounds: {fewer:.0%} fewer km."
    command = command_line("tools.bench.dispatch_week", argv)
    section = "\n".join(
        [
            f"### A simulated week: {args.days} days, {county.city.bin_count} bins, "
            f"{len(county.city.trucks)} trucks, seed {args.seed}",
            "",
            *machine_lines(command),
            "",
            *rows,
            "",
            saving,
            "",
        ]
    )
    publish(section, keep=not args.no_record, doc=DISPATCH_DOC)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
