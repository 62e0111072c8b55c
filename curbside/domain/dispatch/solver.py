"""Solve the day's routing problem with PyVRP (why PyVRP: docs/dispatch.md).

Every bin goes to the solver as optional with a prize: a must-clear bin's prize is worth more
than any detour, so the solver drops one only when capacity, shifts and deadlines leave no
room; an optional bin's prize is its skip penalty. The answer is therefore always a plan the
trucks can drive, with the bins it leaves out named and the reason given. A bin no truck
could reach in time even alone is found before solving and reported with the times.
"""

from __future__ import annotations

import math
import time as clock
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from pyvrp import Model, ScheduledActivity
from pyvrp.stop import MaxRuntime, MultipleCriteria, NoImprovement

from curbside.domain.dispatch.problem import (
    BinJob,
    LeftOut,
    Place,
    Plan,
    Problem,
    Stop,
    TruckRoute,
    TruckSpec,
)
from curbside.domain.dispatch.travel import TravelModel
from curbside.domain.sanitation.worklist import Point
from curbside.vocabulary.messages import Message, utc_time

# A must-clear bin is worth more than any detour a county could ask for (10,000 km).
MUST_PRIZE_M = 10_000_000
# A bin that is full, burning, tilted or about to overflow is worth ten of those: when the
# fleet cannot clear every must-clear bin, it leaves out bins due for the 日产日清 sweep (a
# missed clearance) before one that would otherwise stand overflowing until the next plan
# reaches it, often overnight (measured: tools/bench/dispatch_week, docs/dispatch.md).
OVERFLOW_PRIZE_M = 10 * MUST_PRIZE_M
# A small county's search settles in well under a second: stop it there rather than at the time
# limit. The demo county (about 100 iterations a second on 2 CPUs) reaches the time limit first.
SETTLED_AFTER_ITERATIONS = 2_000


@dataclass(frozen=True, slots=True)
class _Legs:
    """Distances (m) and durations (s) between places: stations first, then bins."""

    metres: list[list[int]]
    speed_m_s: float

    def seconds(self, a: int, b: int) -> int:
        return math.ceil(self.metres[a][b] / self.speed_m_s)


@dataclass(frozen=True, slots=True)
class _Instance:
    """The problem as the solver sees it: places are stations, bins, then trucks' starts."""

    problem: Problem
    trucks: list[TruckSpec]
    horizon_end: datetime
    places: list[Point]
    legs: _Legs
    origin: dict[str, int]
    station_index: dict[str, int]

    def bin_place(self, i: int) -> int:
        return len(self.problem.stations) + i


def solve(
    problem: Problem, travel: TravelModel, *, time_limit_s: float = 10.0, seed: int = 1
) -> Plan:
    """A route per truck for ``problem``, within ``time_limit_s`` seconds of search (less
    when 2,000 iterations bring no improvement)."""
    began = clock.perf_counter()
    inst = _instance(problem, travel)
    left_out: list[LeftOut] = []
    admitted: list[int] = []  # indices into problem.bins
    for i, job in enumerate(problem.bins):
        reason = _alone_reason(inst, job, inst.bin_place(i))
        if reason is None:
            admitted.append(i)
        else:
            left_out.append(reason)
    if not inst.trucks or not admitted:
        return Plan(problem.start, (), tuple(left_out), clock.perf_counter() - began, True)

    stop = MultipleCriteria([MaxRuntime(time_limit_s), NoImprovement(SETTLED_AFTER_ITERATIONS)])
    result = _model(inst, admitted).solve(stop, seed=seed, display=False)
    best = result.best
    routes: list[TruckRoute] = []
    visited: set[int] = set()
    for route in best.routes():
        truck = inst.trucks[route.vehicle_type()]
        stops, done = _stops(problem, route.schedule(), admitted, truck.initial_load_l)
        visited |= done
        home = Place("station", problem.stations[inst.station_index[truck.home]].where, truck.home)
        routes.append(
            TruckRoute(
                truck=truck.id,
                start=problem.start + timedelta(seconds=route.start_time()),
                end=problem.start + timedelta(seconds=route.end_time()),
                distance_m=route.distance(),
                stops=stops,
                origin=home if truck.start_at is None else Place("stop", truck.start_at),
                destination=home,
            )
        )
    left_out += [_dropped(problem.bins[i]) for i in admitted if i not in visited]
    routes.sort(key=lambda r: r.truck)
    notes = () if best.is_feasible() else ("the solver found no feasible plan in time",)
    return Plan(
        problem.start,
        tuple(routes),
        tuple(left_out),
        clock.perf_counter() - began,
        best.is_feasible(),
        notes=notes,
    )


def _instance(problem: Problem, travel: TravelModel) -> _Instance:
    trucks = [t for t in problem.trucks if t.shift_end > problem.start]
    horizon_end = max((t.shift_end for t in trucks), default=problem.start)
    station_index = {s.id: i for i, s in enumerate(problem.stations)}
    places = [s.where for s in problem.stations] + [b.where for b in problem.bins]
    # Each truck leaves from its home, or from where a re-plan finds it.
    origin: dict[str, int] = {}
    for truck in trucks:
        if truck.start_at is None:
            origin[truck.id] = station_index[truck.home]
        else:
            origin[truck.id] = len(places)
            places.append(truck.start_at)
    legs = _Legs(travel.matrix(places), travel.speed_during(problem.start, horizon_end))
    return _Instance(problem, trucks, horizon_end, places, legs, origin, station_index)


def _model(inst: _Instance, admitted: list[int]) -> Model:
    problem = inst.problem
    model = Model()
    points = [model.add_location(p.lon, p.lat) for p in inst.places]
    horizon = _offset(problem, inst.horizon_end)
    depots = [
        model.add_depot(points[i], tw_early=0, tw_late=horizon, name=s.id)
        for i, s in enumerate(problem.stations)
    ]
    for truck in inst.trucks:
        home = depots[inst.station_index[truck.home]]
        start = home
        if truck.start_at is not None:
            # Where a re-plan finds the truck: a depot of its own, never an unload place.
            start = model.add_depot(
                points[inst.origin[truck.id]], tw_early=0, tw_late=horizon, name=f"{truck.id}-now"
            )
        model.add_vehicle_type(
            1,
            capacity=[truck.capacity_l],
            initial_load=[truck.initial_load_l],
            start_depot=start,
            end_depot=home,
            tw_early=_offset(problem, truck.shift_start),
            tw_late=_offset(problem, truck.shift_end),
            reload_depots=depots,
            name=truck.id,
        )
    service = int(problem.service.total_seconds())
    for i in admitted:
        job = problem.bins[i]
        model.add_client(
            points[inst.bin_place(i)],
            pickup=[job.load_l],
            service_duration=service,
            tw_late=_offset(problem, problem.latest_arrival(job)),
            prize=_prize(job),
            required=False,
            name=job.bin,
        )
    # Only the edges between places the model holds: stations, admitted bins, trucks' starts.
    kept = list(range(len(problem.stations))) + [inst.bin_place(i) for i in admitted]
    kept += [inst.origin[t.id] for t in inst.trucks if t.start_at is not None]
    for a in kept:
        for b in kept:
            model.add_edge(
                points[a],
                points[b],
                distance=inst.legs.metres[a][b],
                duration=inst.legs.seconds(a, b),
            )
    return model


def _prize(job: BinJob) -> int:
    if job.urgent is not None or job.overflow_at is not None:
        return OVERFLOW_PRIZE_M
    return MUST_PRIZE_M if job.must else job.skip_penalty_m


def _offset(problem: Problem, moment: datetime) -> int:
    return max(0, int((moment - problem.start).total_seconds()))


def _stops(
    problem: Problem, schedule: Sequence[ScheduledActivity], admitted: list[int], load: int
) -> tuple[tuple[Stop, ...], set[int]]:
    """The route's stops with arrival times and the load after each, from ``load`` on board at
    the start (the first depot is the start: no stop)."""
    stops: list[Stop] = []
    done: set[int] = set()
    for position, activity in enumerate(schedule):
        at = problem.start + timedelta(seconds=activity.start_time)
        if activity.is_depot():
            if position == 0:
                continue
            station = problem.stations[activity.idx]
            load = 0
            stops.append(Stop("unload", station.id, None, station.where, at, load))
            continue
        index = admitted[activity.idx]
        job = problem.bins[index]
        load += job.load_l
        done.add(index)
        stops.append(Stop("bin", job.bin, job.district, job.where, at, load))
    return tuple(stops), done


def _alone_reason(inst: _Instance, job: BinJob, place: int) -> LeftOut | None:
    """Why no truck could clear this bin even if it were the only one, or None."""
    problem = inst.problem
    if not inst.trucks:
        return LeftOut(
            job.district,
            job.bin,
            job.must,
            "no_truck_in_time",
            "no truck on shift",
            Message("plan.no_truck_on_shift"),
        )
    biggest = max(t.capacity_l for t in inst.trucks)
    if job.load_l > biggest:
        return LeftOut(
            job.district,
            job.bin,
            job.must,
            "too_big",
            f"{job.load_l} l is more than the largest truck takes ({biggest} l)",
            Message("plan.too_big", {"load_l": job.load_l, "largest_l": biggest}),
        )
    latest = problem.latest_arrival(job)
    earliest: datetime | None = None
    for truck in inst.trucks:
        depart = max(problem.start, truck.shift_start)
        arrive = depart + timedelta(seconds=inst.legs.seconds(inst.origin[truck.id], place))
        home = inst.station_index[truck.home]
        back = arrive + problem.service + timedelta(seconds=inst.legs.seconds(place, home))
        if back > truck.shift_end:
            continue
        if arrive <= latest:
            return None
        earliest = arrive if earliest is None else min(earliest, arrive)
    tz = problem.start.tzinfo
    if earliest is None:
        detail = "no truck could reach it and be home before its shift ends"
        message = Message("plan.unreachable")
    else:
        detail = (
            f"earliest arrival {earliest.astimezone(tz):%H:%M} is after its latest "
            f"{'urgent ' if job.urgent else ''}time {latest.astimezone(tz):%H:%M}"
        )
        message = Message(
            "plan.too_late",
            {
                "earliest": utc_time(earliest),
                "latest": utc_time(latest),
                "deadline": "urgent" if job.urgent else "due",
            },
        )
    return LeftOut(job.district, job.bin, job.must, "no_truck_in_time", detail, message)


def _dropped(job: BinJob) -> LeftOut:
    if job.must:
        return LeftOut(
            job.district,
            job.bin,
            job.must,
            "fleet_full",
            "the trucks' shifts, capacity and the other deadlines leave no room for it",
            Message("plan.fleet_full"),
        )
    return LeftOut(
        job.district,
        job.bin,
        job.must,
        "skipped_optional",
        f"optional: the detour costs more than its skip penalty ({job.skip_penalty_m} m)",
        Message("plan.skipped_optional", {"penalty_m": job.skip_penalty_m}),
    )
