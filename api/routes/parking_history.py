"""GET /api/v1/parking/occupancy/history and .../busiest-hours: a zone's occupancy over time.

These read InfluxDB per request (in a worker thread), unlike the live endpoints.
"""

from __future__ import annotations

import asyncio
import re
from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, Query, status

from api.deps import (
    CityDep,
    HistoryDep,
    LimitsDep,
    LocalDate,
    NowDep,
    Rfc3339,
    check_window,
    database_unavailable,
    local_day,
    query_error,
    require_zone,
)
from api.schemas import (
    ID_PATTERN,
    BusiestHoursOut,
    BusyHourOut,
    ErrorOut,
    OccupancyBucketOut,
    OccupancyHistoryOut,
)
from curbside.adapters.influx.client import InfluxError
from curbside.domain.parking.occupancy_history import OccupancyBucket, busiest_first

router = APIRouter(
    prefix="/api/v1/parking",
    tags=["parking"],
    responses={
        status.HTTP_404_NOT_FOUND: {"model": ErrorOut, "description": "unknown zone"},
        status.HTTP_503_SERVICE_UNAVAILABLE: {"model": ErrorOut},
    },
)

_EVERY = re.compile(r"^([1-9][0-9]{0,3})([mhd])$")
_UNITS = {"m": timedelta(minutes=1), "h": timedelta(hours=1), "d": timedelta(days=1)}
MIN_EVERY = timedelta(minutes=1)
MAX_EVERY = timedelta(days=1)
# Bounds the answer: a month at one-minute buckets would be 44,640 of them.
MAX_BUCKETS = 10_000
_DIGITS = 4


def parse_every(text: str) -> timedelta | None:
    """``5m``, ``15m``, ``1h``, ``1d`` as a duration within 1m..1d, or None."""
    match = _EVERY.match(text)
    if match is None:
        return None
    every = int(match.group(1)) * _UNITS[match.group(2)]
    return every if MIN_EVERY <= every <= MAX_EVERY else None


def _rounded(value: float | None) -> float | None:
    return None if value is None else round(value, _DIGITS)


def _bucket_out(bucket: OccupancyBucket) -> OccupancyBucketOut:
    return OccupancyBucketOut(
        start=bucket.start,
        end=bucket.end,
        # No data is null (a gap in a chart), never 0.
        occupied_mean=round(bucket.occupied_mean, _DIGITS) if bucket.has_data else None,
        occupancy_rate=_rounded(bucket.occupancy_rate),
    )


@router.get("/occupancy/history", summary="Mean occupancy of a zone over time")
async def occupancy_history(
    *,
    city: CityDep,
    history: HistoryDep,
    now: NowDep,
    limits: LimitsDep,
    zone: Annotated[str, Query(pattern=ID_PATTERN, description="the zone")],
    start: Annotated[
        Rfc3339, Query(description="RFC 3339 with offset; the first bucket starts here")
    ],
    end: Annotated[Rfc3339, Query(description="RFC 3339 with offset; exclusive")],
    every: Annotated[str, Query(description="bucket length, 1m to 1d: 5m, 15m, 1h, 1d")] = "15m",
) -> OccupancyHistoryOut:
    """The time-weighted mean number of occupied spaces per bucket (docs/api.md)."""
    span = parse_every(every)
    if span is None:
        raise query_error("every", "expected a length from 1m to 1d such as 5m, 15m, 1h, 1d", every)
    check_window(start, end, limits)
    buckets_asked = (end - start) / span
    if buckets_asked > min(MAX_BUCKETS, limits.max_results):
        cap = min(MAX_BUCKETS, limits.max_results)
        raise query_error("every", f"more than {cap} buckets: choose a longer every", every)
    z = require_zone(city, zone)
    spaces = [s.id for s in z.spaces]
    try:
        buckets = await asyncio.to_thread(
            history.occupancy, z.id, spaces, start, end, every=span, now=now
        )
    except InfluxError as exc:
        raise database_unavailable(exc) from exc
    return OccupancyHistoryOut(
        zone=z.id, capacity=len(spaces), every=every, buckets=[_bucket_out(b) for b in buckets]
    )


@router.get("/occupancy/busiest-hours", summary="The hours of a day ranked by occupancy")
async def busiest_hours(
    *,
    city: CityDep,
    history: HistoryDep,
    now: NowDep,
    zone: Annotated[str, Query(pattern=ID_PATTERN, description="the zone")],
    date: Annotated[LocalDate, Query(description="the city's local date, YYYY-MM-DD")],
) -> BusiestHoursOut:
    """The day's complete local hours with data, busiest first: not the hour still running,
    nor hours when no sensor of the zone reported (docs/api.md)."""
    z = require_zone(city, zone)
    start, end = local_day(city, date)
    spaces = [s.id for s in z.spaces]
    hour = timedelta(hours=1)
    try:
        buckets = await asyncio.to_thread(
            history.occupancy, z.id, spaces, start, end, every=hour, now=now
        )
    except InfluxError as exc:
        raise database_unavailable(exc) from exc
    hours = [
        BusyHourOut(
            rank=rank,
            hour=bucket.start.astimezone(city.tz).hour,
            start=bucket.start,
            end=bucket.end,
            occupied_mean=round(bucket.occupied_mean, _DIGITS),
            occupancy_rate=_rounded(bucket.occupancy_rate),
        )
        for rank, bucket in enumerate(busiest_first(buckets, hour), start=1)
    ]
    return BusiestHoursOut(zone=z.id, date=date, capacity=len(spaces), hours=hours)
