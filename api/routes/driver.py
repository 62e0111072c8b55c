"""GET /api/v1/driver/charges: what one plate owes, for the driver paying by phone.

Anyone may ask (no key), but only by a full, valid plate and its colour: no partial match, no
wildcard, nothing about other plates, and the same answer for a plate never seen as for one
that owes nothing, so an answer says nothing about whether a car parked. Lookups are
rate-limited per client address and for all addresses together (docs/security.md: why this
keeps plates from being enumerated).
"""

from __future__ import annotations

import asyncio
from typing import Annotated

from fastapi import APIRouter, HTTPException, Query, Request, status
from sqlalchemy.orm import Session, sessionmaker

from api.collection_schemas import DriverChargesOut, UnpaidChargeOut, items_of
from api.deps import RecordsDep
from api.payment_desk import PaymentDeskDep
from api.schemas import ErrorOut
from curbside.adapters.records.models import ParkingSession
from curbside.adapters.records.parking_store import active_charge
from curbside.domain.collection.plates import Plate, PlateError, parse_plate
from curbside.readmodels.collection import sessions_of_plate, stay_balances

router = APIRouter(prefix="/api/v1/driver", tags=["driver"])


@router.get(
    "/charges",
    responses={
        422: {"model": ErrorOut, "description": "not a valid plate"},
        429: {"model": ErrorOut, "description": "too many lookups"},
    },
)
async def charges(
    request: Request,
    plate: Annotated[str, Query(min_length=1, max_length=24, examples=["粤B·D12345"])],
    colour: Annotated[str, Query(max_length=16, examples=["green"])],
    records: RecordsDep,
    desk: PaymentDeskDep,
) -> DriverChargesOut:
    """The plate's unpaid stays with their itemised charges, places and times."""
    # The limit is taken before the plate is checked: invalid guesses cost the same.
    desk.admit_lookup(request.client.host if request.client else "unknown")
    try:
        valid = parse_plate(plate, colour)
    except PlateError as exc:
        desk.lookups.labels("bad_plate").inc()
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, f"plate: {exc}") from None
    out = await asyncio.to_thread(_unpaid, records, valid)
    desk.lookups.labels("answered").inc()
    return out


def _unpaid(records: sessionmaker[Session], plate: Plate) -> DriverChargesOut:
    with records() as db:
        ids = sessions_of_plate(db, plate.number, plate.colour.value)
        owing = [b for b in stay_balances(db, session_ids=ids) if b.account.owed_fen > 0]
        found: list[UnpaidChargeOut] = []
        for balance in owing:
            stay = db.get(ParkingSession, balance.session_id)
            charge = active_charge(db, balance.session_id)
            if stay is None or charge is None or stay.end is None:
                continue
            found.append(
                UnpaidChargeOut(
                    charge_id=charge.id,
                    zone=stay.zone,
                    space=stay.space,
                    start=stay.start,
                    end=stay.end,
                    billed_on=balance.billed_on,
                    billed_fen=balance.account.billed_fen,
                    paid_fen=balance.account.paid_fen,
                    refunded_fen=balance.account.refunded_fen,
                    owed_fen=balance.account.owed_fen,
                    items=items_of(charge.breakdown),
                    cap_deduction_fen=int(charge.breakdown.get("cap_deduction_fen", 0)),
                )
            )
    return DriverChargesOut(
        plate=plate.number,
        colour=plate.colour.value,
        owed_fen=sum(c.owed_fen for c in found),
        charges=found,
    )
