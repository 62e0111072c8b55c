"""OR-Tools against PyVRP on the demo county's routing problem (issue 15):
``python -m tools.bench.dispatch_solvers [--days 3] [--limits 2,5,10]``.

For each day (a seed draws every bin's fill and fill rate), the same problem
(curbside.domain.dispatch.city_problem at 09:00 local: 500 bins, 10 trucks, 3 stations,
district deadlines, mid-route unloads, optional low-fill bins) is solved by the product's
PyVRP planner and by an OR-Tools routing model of the same problem, at each time limit.
Reported: fleet km, must-clear bins left out, unload trips, wall time. OR-Tools has no
multi-trip vehicles, so unloading is modelled its documented way (the ``cvrp_reload``
sample): optional dummy copies of each station whose load slack lets the truck tip.

OR-Tools is needed only here: ``pip install ortools`` into the venv first (it is not a
dependency of the product). Prints a section and appends it to docs/dispatch.md
(``--no-record`` to skip).
"""

from __future__ import annotations

import argparse
import math
import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from curbside.city import demo_city_file
from curbside.city.registry import City, load_city
from curbside.domain.dispatch.city_problem import BinFill, city_problem
from curbside.domain.dispatch.problem import Problem
from curbside.domain.dispatch.solver import MUST_PRIZE_M, solve
from curbside.domain.dispatch.travel import GreatCircleTravel
from tools.bench.record import DISPATCH_DOC, command_line, machine_lines, publish

COPIES_PER_STATION = 12  # more unloads than any truck makes in a day here


@dataclass(frozen=True)
class Outcome:
    """One solver's answer to one problem."""

    km: float
    must_left: int
    unloads: int
    wall_s: float


def day_fills(city: City, seed: int) -> dict[tuple[str, str], BinFill]:
    """A morning's fills: uniform 0-90 %, rising 0-4 %/h (the same for both solvers)."""
    rng = random.Random(seed)
    return {
        (d.id, b.id): BinFill(rng.uniform(0, 90), rng.uniform(0, 4))
        for d in city.sanitation_districts
        for b in d.bins
    }


def by_pyvrp(problem: Problem, travel: GreatCircleTravel, limit: float) -> Outcome:
    """The product's planner."""
    plan = solve(problem, travel, time_limit_s=limit)
    return Outcome(
        plan.distance_m / 1000,
        sum(1 for o in plan.left_out if o.must),
        sum(r.unload_trips for r in plan.routes),
        plan.solve_s,
    )


def by_ortools(problem: Problem, travel: GreatCircleTravel, limit: float) -> Outcome:
    """The same problem as an OR-Tools routing model with reload copies of the stations."""
    from ortools.constraint_solver import pywrapcp, routing_enums_pb2  # noqa: PLC0415

    began = time.perf_counter()
    stations, bins, trucks = problem.stations, problem.bins, problem.trucks
    places = [s.where for s in stations] + [b.where for b in bins]
    reload_of = [i for i in range(len(stations)) for _ in range(COPIES_PER_STATION)]
    nodes = places + [stations[i].where for i in reload_of]
    metres = travel.matrix(nodes)
    speed = travel.speed_during(problem.start, max(t.shift_end for t in trucks))
    home = {s.id: i for i, s in enumerate(stations)}
    first_bin, first_reload = len(stations), len(places)
    capacity = min(t.capacity_l for t in trucks)  # the demo's fleet is uniform
    service = int(problem.service.total_seconds())

    manager = pywrapcp.RoutingIndexManager(
        len(nodes), len(trucks), [home[t.home] for t in trucks], [home[t.home] for t in trucks]
    )
    routing = pywrapcp.RoutingModel(manager)

    def dist(i: int, j: int) -> int:
        return metres[int(manager.IndexToNode(i))][int(manager.IndexToNode(j))]

    def drive(i: int, j: int) -> int:
        a, b = int(manager.IndexToNode(i)), int(manager.IndexToNode(j))
        return math.ceil(metres[a][b] / speed) + (service if first_bin <= a < first_reload else 0)

    def load(i: int) -> int:
        node = int(manager.IndexToNode(i))
        if first_bin <= node < first_reload:
            return bins[node - first_bin].load_l
        return -capacity if node >= first_reload else 0

    routing.SetArcCostEvaluatorOfAllVehicles(routing.RegisterTransitCallback(dist))
    routing.AddDimension(routing.RegisterUnaryTransitCallback(load), capacity, capacity, True, "L")
    routing.AddDimension(routing.RegisterTransitCallback(drive), 3600, 86_400, False, "T")
    loads, clock = routing.GetDimensionOrDie("L"), routing.GetDimensionOrDie("T")
    for node in range(first_bin, len(nodes)):
        index = manager.NodeToIndex(node)
        if node < first_reload:
            job = bins[node - first_bin]
            loads.SlackVar(index).SetValue(0)
            late = int((problem.latest_arrival(job) - problem.start).total_seconds())
            clock.CumulVar(index).SetRange(0, max(0, late))
            routing.AddDisjunction([index], MUST_PRIZE_M if job.must else job.skip_penalty_m)
        else:
            loads.SlackVar(index).SetRange(0, capacity)
            routing.AddDisjunction([index], 0)
    for v, truck in enumerate(trucks):
        early = max(0, int((truck.shift_start - problem.start).total_seconds()))
        late = int((truck.shift_end - problem.start).total_seconds())
        clock.CumulVar(routing.Start(v)).SetRange(early, late)
        clock.CumulVar(routing.End(v)).SetRange(early, late)

    params = pywrapcp.DefaultRoutingSearchParameters()
    params.first_solution_strategy = routing_enums_pb2.FirstSolutionStrategy.PATH_CHEAPEST_ARC
    params.local_search_metaheuristic = (
        routing_enums_pb2.LocalSearchMetaheuristic.GUIDED_LOCAL_SEARCH
    )
    params.time_limit.FromMilliseconds(int(limit * 1000))
    solution = routing.SolveWithParameters(params)
    wall = time.perf_counter() - began
    if solution is None:
        return Outcome(math.nan, len(bins), 0, wall)
    km, unloads, seen = _walk(
        routing,
        manager,
        solution,
        vehicles=len(trucks),
        dist=dist,
        first_bin=first_bin,
        first_reload=first_reload,
    )
    must_left = sum(1 for i, b in enumerate(bins) if b.must and first_bin + i not in seen)
    return Outcome(km, must_left, unloads, wall)


def _walk(
    routing: Any,
    manager: Any,
    solution: Any,
    *,
    vehicles: int,
    dist: Callable[[int, int], int],
    first_bin: int,
    first_reload: int,
) -> tuple[float, int, set[int]]:
    """Fleet km, unloads and the bin nodes visited, from an OR-Tools solution."""
    km, unloads, seen = 0.0, 0, set[int]()
    for v in range(vehicles):
        index = routing.Start(v)
        loaded = False  # copies of a station next to each other are one unload
        while not routing.IsEnd(index):
            after = solution.Value(routing.NextVar(index))
            km += dist(index, after) / 1000
            node = int(manager.IndexToNode(after))
            if first_bin <= node < first_reload:
                seen.add(node)
                loaded = True
            elif node >= first_reload and loaded:
                unloads += 1
                loaded = False
            index = after
        unloads += 1 if loaded else 0  # the last tip, at home
    return km, unloads, seen


def main(argv: list[str] | None = None) -> int:
    """Run the comparison and print (and record) the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--days", type=int, default=3)
    parser.add_argument("--limits", default="2,5,10", help="time limits, seconds")
    parser.add_argument("--city", type=Path, default=demo_city_file())
    parser.add_argument("--no-record", action="store_true")
    args = parser.parse_args(argv)
    city = load_city(args.city)
    travel = GreatCircleTravel(city.tz)
    limits = [float(x) for x in args.limits.split(",")]
    rows = ["| day | limit, s | solver | fleet km | must bins left out | unloads | wall, s |"]
    rows.append("|---|---|---|---|---|---|---|")
    for day in range(args.days):
        start = datetime(2026, 12, 7 + day, 9, 0, tzinfo=city.tz)
        problem = city_problem(city, day_fills(city, day), start)
        for limit in limits:
            for name, run in (("PyVRP", by_pyvrp), ("OR-Tools", by_ortools)):
                out = run(problem, travel, limit)
                rows.append(
                    f"| {day} | {limit:g} | {name} | {out.km:.1f} | {out.must_left} | "
                    f"{out.unloads} | {out.wall_s:.1f} |"
                )
                print(rows[-1], flush=True)
    command = command_line("tools.bench.dispatch_solvers", argv)
    section = "\n".join(
        [
            f"### Solver comparison ({len(problem.bins)} bins, {len(problem.trucks)} trucks)",
            "",
            *machine_lines(command),
            "",
            *rows,
            "",
        ]
    )
    publish(section, keep=not args.no_record, doc=DISPATCH_DOC)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
