"""A district's daily clearance (日产日清) as of now, from its bin history: the one composition
of the judgement in curbside/domain/sanitation/clearance.py that the alert evaluator, the API's
sanitation reports and the clearance benchmark all use."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from curbside.adapters.influx.sanitation_history import BinReadings
from curbside.city.registry import District
from curbside.domain.sanitation.clearance import BinClearance, ClearanceRules, district_clearance


def as_of(read: BinReadings, now: datetime) -> BinReadings:
    """Only what was read up to ``now``: a device clock running ahead must not clear a bin
    early."""
    return BinReadings(
        levels={b: [lv for lv in found if lv.ts <= now] for b, found in read.levels.items()},
        reports={b: [r for r in found if r.ts <= now] for b, found in read.reports.items()},
    )


def district_day(
    read: BinReadings,
    district: District,
    day: date,
    tz: ZoneInfo,
    now: datetime,
    *,
    rules: ClearanceRules,
) -> dict[str, BinClearance]:
    """Every bin of ``district`` judged for the local ``day`` as of ``now``, by bin id, from
    ``read`` (the district's readings from before the day's midnight on)."""
    seen = as_of(read, now)
    return district_clearance(district, seen.levels, seen.reports, day, tz, rules=rules)
