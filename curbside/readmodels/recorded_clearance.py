"""A local day's clearance and collections as the record store holds them (docs/records.md).

A district's day is frozen once the recorder has recorded its verdicts (revision 0, at day close
plus the grace); from then on the day's answer is those verdicts, whatever arrives later, with
each later correction (a higher revision and its reason) listed beside them. The caller judges
the districts not frozen yet from the raw readings, as provisional.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection as Ids
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import cast

from sqlalchemy import select
from sqlalchemy.orm import Session

from curbside.adapters.records.models import BinCollection, ClearanceVerdict
from curbside.adapters.records.sanitation_store import as_clearance
from curbside.domain.sanitation.clearance import BinClearance
from curbside.domain.sanitation.collections import Collection, Source


@dataclass(frozen=True, slots=True)
class RecordedCorrection:
    """A verdict recorded after the freeze: what later data says, and why it differs."""

    bin: str
    revision: int
    verdict: BinClearance
    reason: str
    recorded_at: datetime


@dataclass(slots=True)
class FrozenDistrictDay:
    """A district's frozen verdicts by bin (revision 0), and the corrections since, by bin then
    revision."""

    verdicts: dict[str, BinClearance] = field(default_factory=dict)
    corrections: list[RecordedCorrection] = field(default_factory=list)
    frozen_at: datetime | None = None


def frozen_days(db: Session, day: date, districts: Ids[str]) -> dict[str, FrozenDistrictDay]:
    """The frozen districts among ``districts`` on ``day``; a district absent is not frozen."""
    found: dict[str, FrozenDistrictDay] = defaultdict(FrozenDistrictDay)
    rows = db.scalars(
        select(ClearanceVerdict)
        .where(ClearanceVerdict.day == day, ClearanceVerdict.district.in_(districts))
        .order_by(ClearanceVerdict.district, ClearanceVerdict.bin, ClearanceVerdict.revision)
    )
    for row in rows:
        district = found[row.district]
        if row.revision == 0:
            district.verdicts[row.bin] = as_clearance(row)
            district.frozen_at = row.recorded_at
        else:
            district.corrections.append(
                RecordedCorrection(
                    row.bin, row.revision, as_clearance(row), row.reason or "", row.recorded_at
                )
            )
    return dict(found)


def recorded_collections(
    db: Session,
    start: datetime,
    end: datetime,
    districts: Ids[str],
    bin_id: str | None = None,
) -> list[tuple[str, str, Collection]]:
    """The recorded collections (district, bin, collection) in ``[start, end)``, by time."""
    query = select(BinCollection).where(
        BinCollection.ts >= start, BinCollection.ts < end, BinCollection.district.in_(districts)
    )
    if bin_id is not None:
        query = query.where(BinCollection.bin == bin_id)
    return [
        (
            row.district,
            row.bin,
            Collection(
                ts=row.ts,
                source=cast(Source, row.source),  # written from a Source
                truck=row.truck,
                before_pct=row.before_pct,
                after_pct=row.after_pct,
            ),
        )
        for row in db.scalars(query.order_by(BinCollection.ts, BinCollection.id))
    ]
