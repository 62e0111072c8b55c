"""Charges for closed stays, and when late data calls for an adjustment (pure logic).

A closed stay gets one charge, priced by the tariff version in force on the local date it
began (docs/records.md). A charge is never edited: when late data changes what the stay's
charge would be, the old charge is reversed and a new one made, with the reason stated here.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from curbside.domain.parking.fees import Fee, FeeItem, compute_fee
from curbside.domain.parking.sessions import Session
from curbside.vocabulary.messages import message_from_document
from curbside.vocabulary.tariff import TariffInForce
from curbside.vocabulary.workdays import WorkdayCalendar


@dataclass(frozen=True, slots=True)
class ChargeBasis:
    """What a charge was computed from and came to: equal bases need no adjustment."""

    priced_from: datetime
    priced_until: datetime
    tariff_version: date | None
    amount_fen: int


@dataclass(frozen=True, slots=True)
class PricedStay:
    """A closed stay priced: the basis, the fee with its items, and the day it is billed on."""

    tariff_id: str
    basis: ChargeBasis
    fee: Fee
    business_day: date


def price_stay(
    session: Session, in_force: TariffInForce, calendar: WorkdayCalendar, tz: ZoneInfo
) -> PricedStay:
    """The charge of a closed stay; its revenue belongs to the local day it ended."""
    if session.end is None:
        raise ValueError(f"{session.zone}/{session.space}: an ongoing stay has no charge yet")
    fee = compute_fee(in_force.tariff, session.start, session.end, calendar, tz)
    return PricedStay(
        tariff_id=in_force.tariff_id,
        basis=ChargeBasis(session.start, session.end, in_force.version, fee.total_fen),
        fee=fee,
        business_day=business_day(session.end, tz),
    )


def business_day(end: datetime, tz: ZoneInfo) -> date:
    """The local day a stay's revenue belongs to: the day it ended."""
    return end.astimezone(tz).date()


def breakdown(fee: Fee) -> dict[str, Any]:
    """The fee's itemised breakdown as JSON, stored with the charge."""
    return {
        "items": [
            {
                "band": item.band,
                "start": item.start.isoformat(),
                "end": item.end.isoformat(),
                "units": item.units,
                "unit_fen": item.unit_fen,
                "subtotal_fen": item.subtotal_fen,
                "description": item.description,
                "message": None if item.message is None else item.message.document(),
            }
            for item in fee.items
        ],
        "cap_deduction_fen": fee.cap_deduction_fen,
        "grace_applied": fee.grace_applied,
        "total_fen": fee.total_fen,
    }


def fee_from_breakdown(stored: dict[str, Any]) -> Fee:
    """The fee a stored breakdown describes (the inverse of :func:`breakdown`)."""
    return Fee(
        total_fen=int(stored["total_fen"]),
        items=tuple(
            FeeItem(
                band=str(item["band"]),
                start=datetime.fromisoformat(item["start"]),
                end=datetime.fromisoformat(item["end"]),
                units=int(item["units"]),
                unit_fen=int(item["unit_fen"]),
                subtotal_fen=int(item["subtotal_fen"]),
                description=str(item["description"]),
                message=message_from_document(item.get("message")),
            )
            for item in stored["items"]
        ),
        cap_deduction_fen=int(stored["cap_deduction_fen"]),
        grace_applied=bool(stored["grace_applied"]),
    )


def adjustment_reason(old: ChargeBasis, new: ChargeBasis | None) -> str | None:
    """Why a recorded charge must be reversed, or None when it still stands.

    ``new`` is None when the stay no longer stands as a closed stay (late data merged it into
    another, removed it, or showed the car still there).
    """
    if new is None:
        return "late data: the stay as charged no longer stands"
    if new == old:
        return None
    changes = []
    if new.priced_from != old.priced_from:
        changes.append(f"start {_hm(old.priced_from)} -> {_hm(new.priced_from)}")
    if new.priced_until != old.priced_until:
        changes.append(f"end {_hm(old.priced_until)} -> {_hm(new.priced_until)}")
    if new.tariff_version != old.tariff_version:
        changes.append(f"tariff version {old.tariff_version} -> {new.tariff_version}")
    if new.amount_fen != old.amount_fen:
        changes.append(f"amount {old.amount_fen} -> {new.amount_fen} fen")
    return "late data: " + ", ".join(changes)


def _hm(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")
