"""The sanitation report over any range of local days: the frozen clearance verdicts.

A day's figures are its frozen verdicts (revision 0), so a reported day never changes;
corrections recorded since are counted beside them (both kept per district and day by the
recorder, curbside/adapters/records/day_totals.py). Collections are counted per truck.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Literal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from curbside.adapters.records.models import BinCollection, DistrictDayTotals
from curbside.city.registry import City
from curbside.readmodels.reports.periods import Period, period_keys

SanitationGroup = Literal["district", "city"]
CITY = "city"
NO_TRUCK = "(unknown)"


@dataclass(frozen=True, slots=True)
class ClearanceRow:
    """One period of one district (or the city)."""

    period: str
    group: str
    needed: int
    cleared_on_time: int
    late: int
    not_cleared: int
    clearance_rate: float | None
    corrections: int


@dataclass(frozen=True, slots=True)
class SanitationReport:
    """The rows, and the collections of the range per truck."""

    rows: list[ClearanceRow]
    collections_by_truck: dict[str, int]


def sanitation_report(
    db: Session,
    city: City,
    first: date,
    last: date,
    *,
    group: SanitationGroup,
    period: Period,
    districts: Collection[str] | None = None,
) -> SanitationReport:
    """Clearance by period then group for the local days ``first..last``; only the
    ``districts`` given (a caller's scope), else all."""
    wanted = set(districts) if districts is not None else {d.id for d in city.sanitation_districts}
    keys = period_keys(first, last, period)  # checks the range too
    counts: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0, 0, 0])
    t = DistrictDayTotals
    # Plain rows through the connection (no ORM loading): a month is 30 rows per district.
    for day, district, *figures in db.connection().execute(
        select(t.day, t.district, t.needed, t.cleared_on_time, t.late, t.corrections).where(
            t.day >= first, t.day <= last, t.district.in_(wanted)
        )
    ):
        found = counts[(keys[day], district if group == "district" else CITY)]
        for i, value in enumerate(figures):
            found[i] += value
    return SanitationReport(
        rows=[_row(key, c) for key, c in sorted(counts.items())],
        collections_by_truck=_by_truck(db, city, first, last, wanted),
    )


def _row(key: tuple[str, str], figures: list[int]) -> ClearanceRow:
    needed, on_time, late, corrections = figures
    cleared = on_time + late
    return ClearanceRow(
        period=key[0],
        group=key[1],
        needed=needed,
        cleared_on_time=on_time,
        late=late,
        not_cleared=needed - cleared,
        clearance_rate=round(cleared / needed, 4) if needed else None,
        corrections=corrections,
    )


def _by_truck(
    db: Session, city: City, first: date, last: date, districts: set[str]
) -> dict[str, int]:
    start = datetime.combine(first, time(0), tzinfo=city.tz)
    end = datetime.combine(last + timedelta(days=1), time(0), tzinfo=city.tz)
    return {
        truck or NO_TRUCK: int(count)
        for truck, count in db.execute(
            select(BinCollection.truck, func.count())
            .where(
                BinCollection.ts >= start,
                BinCollection.ts < end,
                BinCollection.district.in_(districts),
            )
            .group_by(BinCollection.truck)
            .order_by(BinCollection.truck)
        )
    }
