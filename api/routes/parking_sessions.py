"""GET /api/v1/parking/sessions and /revenue: stays with their fees, and a day's takings.

Sessions are the recorder's records (docs/records.md); revenue still reads InfluxDB per
request (in a worker thread). Sessions follow docs/sessions.md; fees come from the zone's
tariff (curbside.domain.parking.fees).
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, HTTPException, Query, Response, status
from sqlalchemy.orm import Session as DbSession

from api.auth import CallerDep, readable_zones
from api.deps import (
    CityDep,
    HistoryDep,
    LimitsDep,
    LocalDate,
    NowDep,
    RecordsDep,
    Rfc3339,
    SessionBodiesDep,
    SessionsAnswersDep,
    check_results,
    check_window,
    database_unavailable,
    in_records,
    local_day,
    require_zone,
)
from api.schemas import (
    ID_PATTERN,
    ErrorOut,
    NamesOut,
    RevenueOut,
    RevenueTotalOut,
    SessionOut,
    ZoneRevenueOut,
    rfc3339,
)
from api.session_bodies import SessionsAnswer
from curbside.adapters.influx.client import InfluxError
from curbside.city.registry import City, Zone
from curbside.domain.parking.fees import yuan
from curbside.domain.parking.sessions import Session
from curbside.readmodels.parking_sessions import session_fee

router = APIRouter(
    prefix="/api/v1/parking",
    tags=["parking"],
    responses={
        status.HTTP_404_NOT_FOUND: {"model": ErrorOut, "description": "unknown zone or space"},
        status.HTTP_503_SERVICE_UNAVAILABLE: {"model": ErrorOut},
    },
)


# When the answer was rendered (open stays' durations and fees run up to then); ``Age``
# (RFC 9111) says the same in whole seconds.
AS_OF_HEADER = "X-Curbside-As-Of"


@router.get("/sessions", summary="Parking sessions of a zone or a space")
async def sessions(
    *,
    city: CityDep,
    records: RecordsDep,
    bodies: SessionBodiesDep,
    answers: SessionsAnswersDep,
    now: NowDep,
    limits: LimitsDep,
    zone: Annotated[str, Query(pattern=ID_PATTERN, description="the zone")],
    start: Annotated[Rfc3339, Query(description="RFC 3339 with offset")],
    end: Annotated[Rfc3339, Query(description="RFC 3339 with offset; exclusive")],
    space: Annotated[str | None, Query(pattern=ID_PATTERN, description="only this space")] = None,
) -> list[SessionOut]:
    """The sessions overlapping ``[start, end)``, by start time, with their fees so far, as
    the record store holds them (curbside/readmodels/parking_sessions.py), as of the
    ``X-Curbside-As-Of`` header: at most ``CURBSIDE_API_SESSIONS_MAX_AGE_S`` old."""
    check_window(start, end, limits)
    z = require_zone(city, zone)
    if space is not None and city.space(z.id, space) is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"unknown space {space!r} in zone {z.id!r}")

    def render(db: DbSession) -> SessionsAnswer:
        stays = bodies.window(db, z.id, space, start, end)
        check_results("end", len(stays), limits, end.isoformat())
        return SessionsAnswer(bodies.render(stays, now), now)

    # Dashboards poll the same window: the last answer is sent while one task renders the
    # next in the background (api/rendered.py); only a window's first request waits.
    answer = await answers.get_or_render(
        (z.id, space, start, end), lambda: in_records(records, render)
    )
    age_s = max(0, int((now - answer.as_of).total_seconds()))
    headers = {AS_OF_HEADER: rfc3339(answer.as_of), "Age": str(age_s)}
    return Response(answer.body, media_type="application/json", headers=headers)  # type: ignore[return-value]


def _zone_revenue(
    city: City, zone: Zone, ended: Sequence[Session], now: datetime
) -> ZoneRevenueOut:
    fees = [session_fee(city, s, now) for s in ended]
    fen = sum(f.total_fen for f in fees if f is not None)
    return ZoneRevenueOut(
        zone=zone.id,
        name=str(zone.name),
        names=NamesOut.of(zone.name),
        sessions=len(ended),
        flagged_sessions=sum(1 for s in ended if s.flags),
        revenue_fen=fen,
        revenue_display=yuan(fen),
    )


@router.get("/revenue", summary="Fees of the sessions that ended on a local day")
async def revenue(
    *,
    city: CityDep,
    history: HistoryDep,
    now: NowDep,
    key: CallerDep,
    date: Annotated[LocalDate, Query(description="the city's local date, YYYY-MM-DD")],
    zone: Annotated[str | None, Query(pattern=ID_PATTERN, description="only this zone")] = None,
) -> RevenueOut:
    """Per zone the key may read (registry order) and in total: sessions that ended that day
    and their fees."""
    zones = [require_zone(city, zone)] if zone is not None else readable_zones(key, city)
    start, end = local_day(city, date)

    def load() -> list[list[Session]]:
        return [
            history.ended_sessions(z.id, [s.id for s in z.spaces], start, end, now=now)
            for z in zones
        ]

    try:
        ended = await asyncio.to_thread(load)
    except InfluxError as exc:
        raise database_unavailable(exc) from exc
    per_zone = [_zone_revenue(city, z, found, now) for z, found in zip(zones, ended, strict=True)]
    total_fen = sum(z.revenue_fen for z in per_zone)
    return RevenueOut(
        date=date,
        zones=per_zone,
        total=RevenueTotalOut(
            sessions=sum(z.sessions for z in per_zone),
            flagged_sessions=sum(z.flagged_sessions for z in per_zone),
            revenue_fen=total_fen,
            revenue_display=yuan(total_fen),
        ),
    )
