"""POST /api/v1/parking/plates: bind a plate to the stay covering its time (or correct one);
GET /api/v1/parking/plates/unbound: the stays that have no plate yet. See docs/payments.md."""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime

from fastapi import APIRouter, HTTPException, status
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from api.auth import AccessDep, CallerDep
from api.collection_schemas import PlateBindingOut, PlateEventIn, UnboundStayOut
from api.deps import CityDep, LocalDate, NowDep, RecordsDep, local_day, require_zone
from api.payment_desk import PaymentDeskDep
from api.schemas import ErrorOut
from curbside.adapters.access.scope import AreaKind
from curbside.adapters.records.collection_store import PlateEvent, bind_plate
from curbside.adapters.records.models import ParkingSession
from curbside.adapters.records.parking_store import VOID
from curbside.domain.collection.binding import Binding, BindingRefused
from curbside.domain.collection.plates import PlateError, mask, parse_plate
from curbside.readmodels.collection import current_bindings

log = logging.getLogger(__name__)

bind_router = APIRouter(prefix="/api/v1/parking", tags=["plates"])
unbound_router = APIRouter(prefix="/api/v1/parking", tags=["plates"])


@bind_router.post(
    "/plates",
    status_code=status.HTTP_201_CREATED,
    responses={
        404: {"model": ErrorOut, "description": "unknown space, or no stay at that time"},
        409: {"model": ErrorOut, "description": "the stay has another plate (send a correction)"},
    },
)
async def bind(
    event: PlateEventIn,
    *,
    key: CallerDep,
    access: AccessDep,
    city: CityDep,
    records: RecordsDep,
    desk: PaymentDeskDep,
    now: NowDep,
) -> PlateBindingOut:
    """Bind a plate seen on a space to the stay covering ``observed_at``; the caller's key name
    is recorded as who did it. A different plate for a stay that has one is a correction: name
    the binding in ``corrects`` and say why in ``reason``."""
    # The role's right to bind is checked by the router; here the key's zones.
    if not key.scope.allows(AreaKind.ZONE, event.zone):
        raise access.refuse(
            status.HTTP_403_FORBIDDEN, f"key {key.name!r} may not bind in {event.zone!r}"
        )
    zone = require_zone(city, event.zone)
    if event.space not in {s.id for s in zone.spaces}:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no space {event.space!r} in {zone.id}")
    try:
        plate = parse_plate(event.plate, event.colour)
    except PlateError as exc:
        desk.plate_events.labels("bad_plate").inc()
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, f"plate: {exc}") from None
    record = PlateEvent(
        zone.id,
        event.space,
        event.observed_at,
        plate,
        event.source,
        key.name,
        event.corrects,
        event.reason,
    )

    def work() -> PlateBindingOut:
        with records() as db, db.begin():
            outcome, row = bind_plate(db, record, now)
            return PlateBindingOut(
                binding=row.id,
                stay=row.session_id,
                outcome=outcome.value,
                plate=row.plate,
                colour=row.colour,
            )

    try:
        out = await asyncio.to_thread(work)
    except BindingRefused as refused:
        desk.plate_events.labels(refused.reason).inc()
        code = (
            status.HTTP_404_NOT_FOUND if refused.reason == "no_stay" else status.HTTP_409_CONFLICT
        )
        raise HTTPException(code, str(refused)) from None
    desk.plate_events.labels(out.outcome).inc()
    if out.outcome != Binding.SAME.value:
        log.info(
            "plate %s bound to stay %d by %s (%s)", mask(out.plate), out.stay, key.name, out.outcome
        )
    return out


@unbound_router.get("/plates/unbound", responses={404: {"model": ErrorOut}})
async def unbound(
    zone: str, day: LocalDate, city: CityDep, records: RecordsDep
) -> list[UnboundStayOut]:
    """The zone's stays that started on the local ``day`` and have no plate (no plate is
    shown: this needs only parking.read)."""
    start, end = local_day(city, day)
    require_zone(city, zone)
    return await asyncio.to_thread(_unbound, records, zone, start, end)


def _unbound(
    records: sessionmaker[Session], zone: str, start: datetime, end: datetime
) -> list[UnboundStayOut]:
    with records() as db:
        bound = current_bindings()
        rows = db.scalars(
            select(ParkingSession)
            .where(
                ParkingSession.zone == zone,
                ParkingSession.status != VOID,
                ParkingSession.start >= start,
                ParkingSession.start < end,
                ParkingSession.id.not_in(select(bound.c.session_id)),
            )
            .order_by(ParkingSession.start)
        )
        return [
            UnboundStayOut(stay=s.id, zone=s.zone, space=s.space, start=s.start, end=s.end)
            for s in rows
        ]
