"""Per-day totals kept beside the records: recomputed from them for each (zone or district,
day) a transaction touched, so the period reports read one row per area and day."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from sqlalchemy import and_, case, delete, func, insert, select
from sqlalchemy.orm import Session

from curbside.adapters.records.models import (
    Charge,
    ClearanceVerdict,
    DistrictDayTotals,
    ParkingSession,
    ZoneDayTotals,
    ZoneOccupancyHour,
)

# Zones per statement: well under SQLite's limit of bound parameters.
_ZONES_PER_QUERY = 1000


def refresh_zone_days(db: Session, keys: Iterable[tuple[str, date]]) -> None:
    """Recompute the totals of these (zone, local day) pairs from the parking records.

    A batch touches most zones on one or two days: each day's zones are read with three
    grouped statements and written with one delete and one insert, not five statements a zone.
    """
    zones_by_day: dict[date, list[str]] = {}
    for zone, day in sorted(set(keys)):
        zones_by_day.setdefault(day, []).append(zone)
    for day, all_zones in zones_by_day.items():
        for first in range(0, len(all_zones), _ZONES_PER_QUERY):
            _refresh_zones_of_day(db, day, all_zones[first : first + _ZONES_PER_QUERY])


def _refresh_zones_of_day(db: Session, day: date, zones: list[str]) -> None:
    stays = {
        zone: (int(count), int(stay_s), int(flagged))
        for zone, count, stay_s, flagged in db.execute(
            select(
                ParkingSession.zone,
                func.count(),
                func.coalesce(func.sum(ParkingSession.duration_s), 0),
                func.coalesce(func.sum(case((ParkingSession.flags != "", 1), else_=0)), 0),
            )
            .where(
                ParkingSession.zone.in_(zones),
                ParkingSession.end_day == day,
                ParkingSession.status == "closed",
            )
            .group_by(ParkingSession.zone)
        )
    }
    reversal = Charge.kind == "reversal"
    billing = {
        zone: (int(billed), int(adjustments), int(adjustments_fen))
        for zone, billed, adjustments, adjustments_fen in db.execute(
            select(
                Charge.zone,
                func.coalesce(func.sum(Charge.amount_fen), 0),
                func.coalesce(func.sum(case((reversal, 1), else_=0)), 0),
                func.coalesce(func.sum(case((reversal, Charge.amount_fen), else_=0)), 0),
            )
            .where(Charge.zone.in_(zones), Charge.business_day == day)
            .group_by(Charge.zone)
        )
    }
    occupied = {
        zone: int(seconds or 0)
        for zone, seconds in db.execute(
            select(ZoneOccupancyHour.zone, func.sum(ZoneOccupancyHour.occupied_s))
            .where(ZoneOccupancyHour.zone.in_(zones), ZoneOccupancyHour.day == day)
            .group_by(ZoneOccupancyHour.zone)
        )
    }
    db.execute(delete(ZoneDayTotals).where(ZoneDayTotals.zone.in_(zones), ZoneDayTotals.day == day))
    rows = []
    for zone in zones:
        sessions, stay_s, flagged = stays.get(zone, (0, 0, 0))
        billed, adjustments, adjustments_fen = billing.get(zone, (0, 0, 0))
        rows.append(
            {
                "zone": zone,
                "day": day,
                "sessions": sessions,
                "stay_s": stay_s,
                "flagged": flagged,
                "billed_fen": billed,
                "adjustments": adjustments,
                "adjustments_fen": adjustments_fen,
                "occupied_s": occupied.get(zone, 0),
            }
        )
    db.execute(insert(ZoneDayTotals), rows)


def refresh_district_days(db: Session, keys: Iterable[tuple[str, date]]) -> None:
    """Recompute the totals of these (district, local day) pairs from the verdicts."""
    frozen = ClearanceVerdict.revision == 0
    for district, day in sorted(set(keys)):
        needed, on_time, late, corrections = db.execute(
            select(
                func.coalesce(
                    func.sum(case((and_(frozen, ClearanceVerdict.needed), 1), else_=0)), 0
                ),
                func.coalesce(
                    func.sum(
                        case(
                            (and_(frozen, ClearanceVerdict.cleared, ~ClearanceVerdict.late), 1),
                            else_=0,
                        )
                    ),
                    0,
                ),
                func.coalesce(func.sum(case((and_(frozen, ClearanceVerdict.late), 1), else_=0)), 0),
                func.coalesce(func.sum(case((ClearanceVerdict.revision > 0, 1), else_=0)), 0),
            ).where(ClearanceVerdict.district == district, ClearanceVerdict.day == day)
        ).one()
        db.execute(
            delete(DistrictDayTotals).where(
                DistrictDayTotals.district == district, DistrictDayTotals.day == day
            )
        )
        db.add(
            DistrictDayTotals(
                district=district,
                day=day,
                needed=int(needed),
                cleared_on_time=int(on_time),
                late=int(late),
                corrections=int(corrections),
            )
        )
