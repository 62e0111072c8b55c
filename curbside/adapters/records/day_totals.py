"""Per-day totals kept beside the records: recomputed from them for each (zone or district,
day) a transaction touched, so the period reports read one row per area and day."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from sqlalchemy import and_, case, delete, func, select
from sqlalchemy.orm import Session

from curbside.adapters.records.models import (
    Charge,
    ClearanceVerdict,
    DistrictDayTotals,
    ParkingSession,
    ZoneDayTotals,
    ZoneOccupancyHour,
)


def refresh_zone_days(db: Session, keys: Iterable[tuple[str, date]]) -> None:
    """Recompute the totals of these (zone, local day) pairs from the parking records."""
    for zone, day in sorted(set(keys)):
        sessions, stay_s, flagged = db.execute(
            select(
                func.count(),
                func.coalesce(func.sum(ParkingSession.duration_s), 0),
                func.coalesce(func.sum(case((ParkingSession.flags != "", 1), else_=0)), 0),
            ).where(
                ParkingSession.zone == zone,
                ParkingSession.end_day == day,
                ParkingSession.status == "closed",
            )
        ).one()
        reversal = Charge.kind == "reversal"
        billed, adjustments, adjustments_fen = db.execute(
            select(
                func.coalesce(func.sum(Charge.amount_fen), 0),
                func.coalesce(func.sum(case((reversal, 1), else_=0)), 0),
                func.coalesce(func.sum(case((reversal, Charge.amount_fen), else_=0)), 0),
            ).where(Charge.zone == zone, Charge.business_day == day)
        ).one()
        occupied = db.scalar(
            select(func.coalesce(func.sum(ZoneOccupancyHour.occupied_s), 0)).where(
                ZoneOccupancyHour.zone == zone, ZoneOccupancyHour.day == day
            )
        )
        db.execute(
            delete(ZoneDayTotals).where(ZoneDayTotals.zone == zone, ZoneDayTotals.day == day)
        )
        db.add(
            ZoneDayTotals(
                zone=zone,
                day=day,
                sessions=int(sessions),
                stay_s=int(stay_s),
                flagged=int(flagged),
                billed_fen=int(billed),
                adjustments=int(adjustments),
                adjustments_fen=int(adjustments_fen),
                occupied_s=int(occupied or 0),
            )
        )


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
