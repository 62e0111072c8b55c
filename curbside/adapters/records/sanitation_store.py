"""Reading and writing sanitation records: collections and clearance verdicts.

As in curbside/adapters/records/parking_store.py, functions take the caller's session and never
commit.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from curbside.adapters.records.inserts import insert_ignoring_duplicates
from curbside.adapters.records.models import BinCollection, ClearanceVerdict
from curbside.domain.sanitation.clearance import BinClearance
from curbside.domain.sanitation.collections import Collection


def add_collections(
    db: Session, found: Iterable[tuple[str, str, Collection]], now: datetime
) -> None:
    """Keep collections (district, bin, collection); one already kept is ignored."""
    rows = [
        {
            "district": district,
            "bin": bin_id,
            "ts": c.ts,
            "source": c.source,
            "truck": c.truck,
            "before_pct": c.before_pct,
            "after_pct": c.after_pct,
            "recorded_at": now,
        }
        for district, bin_id, c in found
    ]
    insert_ignoring_duplicates(db, BinCollection, rows)


def last_frozen_day(db: Session) -> date | None:
    """The latest day with frozen verdicts."""
    return db.scalar(select(func.max(ClearanceVerdict.day)))


def frozen_days(db: Session, since: date) -> list[date]:
    """The days from ``since`` on that have verdicts."""
    return list(
        db.scalars(
            select(ClearanceVerdict.day)
            .where(ClearanceVerdict.day >= since)
            .distinct()
            .order_by(ClearanceVerdict.day)
        )
    )


def latest_verdicts(db: Session, day: date, district: str) -> dict[str, ClearanceVerdict]:
    """Each bin's newest revision of the day's verdict in a district."""
    rows = db.scalars(
        select(ClearanceVerdict)
        .where(ClearanceVerdict.day == day, ClearanceVerdict.district == district)
        .order_by(ClearanceVerdict.revision)
    )
    return {row.bin: row for row in rows}


def as_clearance(row: ClearanceVerdict) -> BinClearance:
    """A recorded verdict as the rules' value."""
    return BinClearance(
        needed=row.needed,
        cleared=row.cleared,
        late=row.late,
        cleared_at=row.cleared_at,
        last_rise=row.last_rise,
    )


def add_verdict(
    db: Session,
    day: date,
    district: str,
    bin_id: str,
    verdict: BinClearance,
    *,
    revision: int,
    reason: str | None,
    now: datetime,
) -> None:
    """Record a verdict: revision 0 is the frozen one, later ones corrections with a reason."""
    db.add(
        ClearanceVerdict(
            day=day,
            district=district,
            bin=bin_id,
            revision=revision,
            needed=verdict.needed,
            cleared=verdict.cleared,
            late=verdict.late,
            cleared_at=verdict.cleared_at,
            last_rise=verdict.last_rise,
            reason=reason,
            recorded_at=now,
        )
    )
