"""The routing problem for a city's day, from the registry and each bin's fill.

A bin holding rubbish (above the clearance rule's threshold) must be cleared by its
district's deadline; the others are optional, worth ``skip_penalty_m`` at 100 % fill and
proportionally less when emptier. The load a truck picks up is the fill predicted at the
district's deadline (the latest the visit may be), so a plan never under-counts a load.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from curbside.city.registry import City
from curbside.domain.dispatch.problem import BinJob, Problem, StationSpot, TruckSpec, Urgency
from curbside.domain.sanitation.worklist import Point


@dataclass(frozen=True, slots=True)
class BinFill:
    """A bin's fill now and how fast it rises (percent per hour, 0 when unknown)."""

    fill_pct: float
    rate_pct_h: float = 0.0
    urgent: Urgency | None = None


def city_problem(
    city: City,
    fills: Mapping[tuple[str, str], BinFill],
    start: datetime,
    *,
    rubbish_above_pct: float = 10.0,
    skip_penalty_m: int = 1_500,
    service: timedelta = timedelta(minutes=2),
) -> Problem:
    """The problem for ``start``'s local day; bins without a fill are left out."""
    tz = city.tz
    day = start.astimezone(tz).date()
    jobs: list[BinJob] = []
    for district in city.sanitation_districts:
        deadline = datetime.combine(day, district.clearance_deadline, tz)
        hours = max(0.0, (deadline - start) / timedelta(hours=1))
        for b in district.bins:
            fill = fills.get((district.id, b.id))
            if fill is None:
                continue
            at_visit = min(100.0, fill.fill_pct + max(0.0, fill.rate_pct_h) * hours)
            must = fill.fill_pct > rubbish_above_pct or fill.urgent is not None
            jobs.append(
                BinJob(
                    district=district.id,
                    bin=b.id,
                    where=Point(b.lat, b.lon),
                    fill_pct=fill.fill_pct,
                    load_l=round(b.capacity_l * at_visit / 100),
                    deadline=deadline,
                    must=must,
                    skip_penalty_m=0 if must else round(skip_penalty_m * at_visit / 100),
                    urgent=fill.urgent,
                )
            )
    trucks = tuple(
        TruckSpec(
            t.id,
            t.station,
            t.capacity_loose_l,
            datetime.combine(day, t.shift_start, tz),
            datetime.combine(day, t.shift_end, tz),
        )
        for t in city.trucks
    )
    stations = tuple(StationSpot(s.id, Point(s.lat, s.lon)) for s in city.transfer_stations)
    return Problem(start, tuple(jobs), trucks, stations, service=service)
