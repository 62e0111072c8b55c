"""The routing problem for a city's day, from the registry and each bin's fill.

Which bins must be cleared, and by when (docs/dispatch.md, "Which bins a plan must clear"):

- **about to overflow**: a bin predicted full (:meth:`BinFill.full_at`) before ``overflow_before``
  (the caller passes the next planning moment plus a margin) must be cleared before it is full,
  or within ``Problem.urgent_within`` if that is sooner than a truck can come;
- **日产日清**: a bin holding rubbish (above the clearance rule's threshold) must be cleared by
  its district's deadline; with ``sweep_within`` only once the deadline is that close (a bin
  emptied in the morning holds rubbish again by the evening, so an early visit does not clear
  it for the day), once (a bin emptied since is not sent for again to clear it) and never once
  the deadline has passed;
- fire, full and tilted bins first;
- the others are optional, worth ``skip_penalty_m`` at 100 % fill and proportionally less
  when emptier.

The load a truck picks up is the fill predicted at the latest moment the plan may visit
(the district's deadline, or ``overflow_before`` when sooner), so a plan does not under-count a
load it will carry before it is re-made.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from curbside.city.registry import City
from curbside.domain.dispatch.problem import (
    SERVICE,
    BinJob,
    Problem,
    StationSpot,
    TruckSpec,
    Urgency,
)
from curbside.domain.sanitation.worklist import Point

FULL_PCT = 100.0


@dataclass(frozen=True, slots=True)
class BinFill:
    """A bin's fill now, how fast it rises (percent per hour, 0 when unknown) and when a truck
    last emptied it (None when unknown)."""

    fill_pct: float
    rate_pct_h: float = 0.0
    urgent: Urgency | None = None
    emptied_at: datetime | None = None

    def fill_at(self, hours: float) -> float:
        """The fill predicted ``hours`` from now: a straight line, capped at 100 %."""
        return min(FULL_PCT, self.fill_pct + max(0.0, self.rate_pct_h) * max(0.0, hours))

    def full_at(self, now: datetime) -> datetime | None:
        """When the bin is predicted full (``now`` if it is), or None when it is not rising."""
        if self.fill_pct >= FULL_PCT:
            return now
        if self.rate_pct_h <= 0:
            return None
        return now + timedelta(hours=(FULL_PCT - self.fill_pct) / self.rate_pct_h)


@dataclass(frozen=True, slots=True)
class PlanningRules:
    """How often the day is planned again and which bins that makes must-clear.

    Measured with ``python -m tools.bench.dispatch_week`` (docs/dispatch.md).
    """

    # 06:00, 11:30 and 17:00 on a 06:00-20:00 shift: the last plan comes 2 h 30 min before the
    # demo county's first deadline (18:30), so it is the 日产日清 sweep.
    every: timedelta = timedelta(hours=5, minutes=30)
    overflow_margin: timedelta = timedelta(hours=1)
    sweep_within: timedelta | None = timedelta(hours=2, minutes=30)
    # A straight line through a few hours of readings says little about the night: a bin is
    # sent for because of its trend only when it is predicted full this far ahead at most.
    trend_horizon: timedelta = timedelta(hours=4)
    # What leaving out a bin that need not be cleared yet costs at 100 % fill (less when
    # emptier): small, because the next plans will send for it when it must go.
    skip_penalty_m: int = 0

    def overflow_before(self, now: datetime, next_plan: datetime) -> datetime:
        """Bins predicted full before this moment must be cleared by the plan made ``now``."""
        return min(next_plan, now + self.trend_horizon) + self.overflow_margin


def next_plan_at(city: City, now: datetime, every: timedelta) -> datetime:
    """When the plan after ``now`` is made: ``every`` later, or, when that is past the last
    shift of the day, at the first shift's start the next day."""
    tz = city.tz
    day = now.astimezone(tz).date()
    if not city.trucks:
        return now + every
    last_end = max(datetime.combine(day, t.shift_end, tz) for t in city.trucks)
    if now + every < last_end:
        return now + every
    first = min(t.shift_start for t in city.trucks)
    morning = datetime.combine(day, first, tz)
    return morning if morning > now else datetime.combine(day + timedelta(days=1), first, tz)


def city_problem(
    city: City,
    fills: Mapping[tuple[str, str], BinFill],
    start: datetime,
    *,
    rubbish_above_pct: float = 10.0,
    skip_penalty_m: int = 1_500,
    service: timedelta = SERVICE,
    overflow_before: datetime | None = None,
    sweep_within: timedelta | None = None,
) -> Problem:
    """The problem for ``start``'s local day; bins without a fill are left out."""
    tz = city.tz
    day = start.astimezone(tz).date()
    day_end = datetime.combine(day + timedelta(days=1), datetime.min.time(), tz)
    jobs: list[BinJob] = []
    for district in city.sanitation_districts:
        deadline = datetime.combine(day, district.clearance_deadline, tz)
        sweeping = sweep_within is None or start < deadline <= start + sweep_within
        for b in district.bins:
            fill = fills.get((district.id, b.id))
            if fill is None:
                continue
            full_at = fill.full_at(start)
            overflow_at = None
            if overflow_before is not None and full_at is not None and full_at < overflow_before:
                overflow_at = full_at
            due = deadline if sweep_within is None or deadline > start else day_end
            until = due if overflow_before is None else min(due, overflow_before)
            at_visit = fill.fill_at((until - start) / timedelta(hours=1))
            swept = (
                sweep_within is not None
                and fill.emptied_at is not None
                and fill.emptied_at >= deadline - sweep_within
            )
            must = (
                (sweeping and not swept and fill.fill_pct > rubbish_above_pct)
                or fill.urgent is not None
                or overflow_at is not None
            )
            jobs.append(
                BinJob(
                    district=district.id,
                    bin=b.id,
                    where=Point(b.lat, b.lon),
                    fill_pct=fill.fill_pct,
                    load_l=round(b.capacity_l * at_visit / 100),
                    deadline=due,
                    must=must,
                    skip_penalty_m=0 if must else round(skip_penalty_m * at_visit / 100),
                    urgent=fill.urgent,
                    overflow_at=overflow_at,
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
