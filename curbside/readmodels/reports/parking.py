"""The parking report over any range of local days, from the zones' day totals.

Sessions count on the day they ended; billed revenue is the net of the charges and their
reversals on their business day (the day the stay ended); occupancy is the stored occupied
seconds over the spaces' available seconds. The recorder keeps the day totals
(curbside/adapters/records/day_totals.py), so a month is 30 rows per zone.

Fee collection (docs/payments.md): ``collected_fen`` and ``refunded_fen`` are the payments and
refunds made on the period's days; ``outstanding_fen`` is what the stays billed in the period
still owe now; ``collection_rate`` is the share of the period's billing no longer owed,
(billed − outstanding) / billed.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Literal

from sqlalchemy import select
from sqlalchemy.orm import Session

from curbside.adapters.records.models import ZoneDayTotals
from curbside.city.registry import City
from curbside.readmodels.collection import money_by_day, outstanding_by_day
from curbside.readmodels.reports.periods import Period, days_per_period, period_keys

ParkingGroup = Literal["zone", "city"]
CITY = "city"
DAY_S = 86_400


@dataclass(frozen=True, slots=True)
class ParkingRow:
    """One period of one zone (or the city)."""

    period: str
    group: str
    sessions: int
    billed_fen: int
    adjustments: int
    adjustments_fen: int
    mean_stay_s: int | None
    turnover_per_space: float | None
    occupancy_rate: float | None
    flagged_sessions: int
    collected_fen: int
    refunded_fen: int
    outstanding_fen: int
    collection_rate: float | None


@dataclass(slots=True)
class _Sums:
    sessions: int = 0
    stay_s: int = 0
    flagged: int = 0
    billed_fen: int = 0
    adjustments: int = 0
    adjustments_fen: int = 0
    occupied_s: int = 0
    collected_fen: int = 0
    refunded_fen: int = 0
    outstanding_fen: int = 0
    zones: set[str] = field(default_factory=set)

    def add(self, figures: Sequence[int]) -> None:
        """Add a day's totals, in ZoneDayTotals' column order."""
        sessions, stay_s, flagged, billed_fen, adjustments, adjustments_fen, occupied_s = figures
        self.sessions += sessions
        self.stay_s += stay_s
        self.flagged += flagged
        self.billed_fen += billed_fen
        self.adjustments += adjustments
        self.adjustments_fen += adjustments_fen
        self.occupied_s += occupied_s


def parking_report(
    db: Session,
    city: City,
    first: date,
    last: date,
    *,
    group: ParkingGroup,
    period: Period,
    zones: Collection[str] | None = None,
) -> list[ParkingRow]:
    """The rows of the report, by period then group, for the local days ``first..last``;
    only the ``zones`` given (a caller's scope), else all. The city row sums those zones."""
    wanted = set(zones) if zones is not None else {z.id for z in city.parking_zones}
    days = days_per_period(first, last, period)
    sums: dict[tuple[str, str], _Sums] = defaultdict(_Sums)

    keys = period_keys(first, last, period)

    def row(day: date, zone: str) -> _Sums:
        found = sums[(keys[day], zone if group == "zone" else CITY)]
        found.zones.add(zone)
        return found

    t = ZoneDayTotals
    # Plain rows, not ORM objects: a month of a thousand zones is 30,000 of them.
    for day, zone, *figures in db.connection().execute(
        select(
            t.day, t.zone, t.sessions, t.stay_s, t.flagged, t.billed_fen, t.adjustments,
            t.adjustments_fen, t.occupied_s,
        ).where(t.day >= first, t.day <= last, t.zone.in_(wanted))
    ):  # fmt: skip
        row(day, zone).add(figures)
    for (zone, day), (collected, refunded) in money_by_day(db, wanted, first, last).items():
        found = row(day, zone)
        found.collected_fen += collected
        found.refunded_fen += refunded
    for (zone, day), owed in outstanding_by_day(db, wanted, first, last).items():
        row(day, zone).outstanding_fen += owed
    spaces = {z.id: len(z.spaces) for z in city.parking_zones if z.id in wanted}
    return [_finish(key, value, days[key[0]], spaces) for key, value in sorted(sums.items())]


def _finish(key: tuple[str, str], sums: _Sums, days: int, spaces: dict[str, int]) -> ParkingRow:
    period, group = key
    # The city row counts every zone of the registry, not only those that had stays.
    count = sum(spaces.values()) if group == CITY else spaces.get(group, 0)
    return ParkingRow(
        period=period,
        group=group,
        sessions=sums.sessions,
        billed_fen=sums.billed_fen,
        adjustments=sums.adjustments,
        adjustments_fen=sums.adjustments_fen,
        mean_stay_s=sums.stay_s // sums.sessions if sums.sessions else None,
        turnover_per_space=round(sums.sessions / count, 4) if count else None,
        occupancy_rate=round(sums.occupied_s / (count * days * DAY_S), 4) if count else None,
        flagged_sessions=sums.flagged,
        collected_fen=sums.collected_fen,
        refunded_fen=sums.refunded_fen,
        outstanding_fen=sums.outstanding_fen,
        collection_rate=(
            round((sums.billed_fen - sums.outstanding_fen) / sums.billed_fen, 4)
            if sums.billed_fen > 0
            else None
        ),
    )
