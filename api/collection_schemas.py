"""Request and response bodies of the fee-collection routes (plates, payments, arrears)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, StrictInt

from api.schemas import ID_PATTERN, FeeItemOut

TXN_PATTERN = r"^[A-Za-z0-9_.:-]{1,64}$"


class _Response(BaseModel):
    model_config = ConfigDict(frozen=True)


class PlateEventIn(BaseModel):
    """A plate seen on a space: a new binding, or with ``corrects`` and ``reason`` a correction."""

    model_config = ConfigDict(extra="forbid")

    zone: str = Field(pattern=ID_PATTERN)
    space: str = Field(pattern=ID_PATTERN)
    observed_at: AwareDatetime
    plate: str = Field(min_length=1, max_length=24, examples=["粤B·D12345"])
    colour: str = Field(max_length=16, examples=["green"])
    source: Literal["pda", "video", "operator"] = "operator"
    corrects: StrictInt | None = Field(None, ge=1, description="the binding this corrects")
    reason: str | None = Field(None, max_length=300, description="why (corrections)")


class PlateBindingOut(_Response):
    """What the plate event did: ``new``, ``same`` (already bound, nothing recorded) or
    ``correction``."""

    binding: int
    stay: int
    outcome: Literal["new", "same", "correction"]
    plate: str
    colour: str


class UnboundStayOut(_Response):
    """A stay that has no plate yet."""

    stay: int
    zone: str
    space: str
    start: datetime
    end: datetime | None


class NotificationIn(BaseModel):
    """A payment channel's notification body (signed; see docs/payments.md). Unknown fields are
    ignored: providers add fields."""

    txn_id: str = Field(pattern=TXN_PATTERN)
    type: Literal["payment", "refund"]
    charge_id: StrictInt = Field(ge=1)
    amount_fen: StrictInt = Field(ge=-(10**12), le=10**12)
    occurred_at: AwareDatetime


class NotificationOut(_Response):
    """An accepted notification: ``accepted`` (recorded now) or ``duplicate`` (recorded before,
    nothing changed), and what the stay still owes."""

    status: Literal["accepted", "duplicate"]
    owed_fen: int


class RefusalOut(_Response):
    """A refused notification: the reason code and what was wrong."""

    reason: str
    detail: str


class UnpaidChargeOut(_Response):
    """An unpaid (or partly paid) stay, as the driver sees it."""

    charge_id: int
    zone: str
    space: str
    start: datetime
    end: datetime
    billed_on: date
    billed_fen: int
    paid_fen: int
    refunded_fen: int
    owed_fen: int
    items: list[FeeItemOut]
    cap_deduction_fen: int


class DriverChargesOut(_Response):
    """What one plate owes: the same shape whether the plate is unknown or owes nothing."""

    plate: str
    colour: str
    owed_fen: int
    charges: list[UnpaidChargeOut]


class BucketOut(_Response):
    """Owed amounts of one age range (days since the stay was billed)."""

    label: str
    first_day: int
    last_day: int | None
    owed_fen: int
    stays: int


class PlateArrearsOut(_Response):
    """One plate over the threshold."""

    plate: str
    colour: str
    owed_fen: int
    stays: int
    oldest_days: int
    buckets: list[BucketOut]


class ArrearsOut(_Response):
    """Arrears in the caller's zones: ageing of everything owed, what stays without a plate
    owe, and the plates owing more than the threshold, largest first."""

    as_of: date
    owed_fen: int
    buckets: list[BucketOut]
    unbound_owed_fen: int
    over_fen: int
    plates: list[PlateArrearsOut]


def items_of(breakdown: dict[str, Any]) -> list[FeeItemOut]:
    """The stored breakdown's items (curbside.domain.parking.charges.breakdown) as served."""
    return [FeeItemOut.model_validate(item) for item in breakdown.get("items", [])]
