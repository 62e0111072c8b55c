"""GET /api/v1/arrears: what is owed in the caller's zones, by age, and the plates owing more
than a threshold (plates: the ``plates.read`` permission)."""

from __future__ import annotations

import asyncio
from collections import defaultdict
from datetime import date
from typing import Annotated

from fastapi import APIRouter, Query
from sqlalchemy.orm import Session, sessionmaker

from api.auth import CallerDep, readable_zones
from api.collection_schemas import ArrearsOut, BucketOut, PlateArrearsOut
from api.deps import CityDep, NowDep, RecordsDep, require_zone
from api.payment_desk import PaymentDeskDep
from curbside.domain.collection.ageing import Bucket, age_days, ageing
from curbside.readmodels.collection import StayBalance, stay_balances

router = APIRouter(prefix="/api/v1", tags=["arrears"])


@router.get("/arrears")
async def arrears(
    *,
    key: CallerDep,
    city: CityDep,
    records: RecordsDep,
    desk: PaymentDeskDep,
    now: NowDep,
    zone: Annotated[str | None, Query(description="one zone; all readable ones if absent")] = None,
    over_fen: Annotated[
        int | None, Query(ge=0, description="list plates owing more (default: the setting)")
    ] = None,
) -> ArrearsOut:
    """Ageing of everything owed (0–7, 8–30, 31–90, over 90 days since billed), what stays
    without a plate owe, and the plates over the threshold, largest first."""
    zones = [require_zone(city, zone).id] if zone else [z.id for z in readable_zones(key, city)]
    threshold = desk.arrears_threshold_fen if over_fen is None else over_fen
    today = now.astimezone(city.tz).date()
    return await asyncio.to_thread(_arrears, records, zones, today, threshold)


def _arrears(
    records: sessionmaker[Session], zones: list[str], today: date, threshold: int
) -> ArrearsOut:
    with records() as db:
        owing = [b for b in stay_balances(db, zones=zones) if b.account.owed_fen > 0]
    by_plate: dict[tuple[str, str], list[StayBalance]] = defaultdict(list)
    for balance in owing:
        if balance.plate is not None and balance.colour is not None:
            by_plate[balance.plate, balance.colour].append(balance)
    plates = [
        PlateArrearsOut(
            plate=plate,
            colour=colour,
            owed_fen=sum(b.account.owed_fen for b in stays),
            stays=len(stays),
            oldest_days=max(age_days(b.billed_on, today) for b in stays),
            buckets=_buckets(stays, today),
        )
        for (plate, colour), stays in by_plate.items()
    ]
    return ArrearsOut(
        as_of=today,
        owed_fen=sum(b.account.owed_fen for b in owing),
        buckets=_buckets(owing, today),
        unbound_owed_fen=sum(b.account.owed_fen for b in owing if b.plate is None),
        over_fen=threshold,
        plates=sorted(
            (p for p in plates if p.owed_fen > threshold), key=lambda p: (-p.owed_fen, p.plate)
        ),
    )


def _buckets(stays: list[StayBalance], today: date) -> list[BucketOut]:
    return [
        _bucket_out(b) for b in ageing(((s.billed_on, s.account.owed_fen) for s in stays), today)
    ]


def _bucket_out(bucket: Bucket) -> BucketOut:
    return BucketOut(
        label=bucket.label,
        first_day=bucket.first_day,
        last_day=bucket.last_day,
        owed_fen=bucket.owed_fen,
        stays=bucket.stays,
    )
