"""What a stay's driver owes: billed − paid + refunded, in integer fen, never negative.

A stay's account is the sum of its charges (a charge and the reversal of it cancel out; late
data can bring a new charge, docs/records.md), the payments the channel reported against it and
the refunds. The rule keeps what is owed from going negative by refusing the money movements
that would make it so: a payment for more than is owed, a refund of more than was paid and not
yet refunded. Only billing itself can fall below what was paid (late data shortened a stay that
was already paid for): then nothing is owed and the difference is a credit the platform has to
refund; the channel's refund of it closes the account.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Movement(StrEnum):
    """What a payment channel reports."""

    PAYMENT = "payment"
    REFUND = "refund"


class LedgerRefusal(ValueError):
    """A money movement the rule refuses; ``reason`` is a stable code for records and metrics."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason


@dataclass(frozen=True, slots=True)
class Account:
    """One stay's money, each figure a sum of immutable records."""

    billed_fen: int = 0
    paid_fen: int = 0
    refunded_fen: int = 0

    @property
    def balance_fen(self) -> int:
        """billed − paid + refunded: positive is owed, negative is a credit due back."""
        return self.billed_fen - self.paid_fen + self.refunded_fen

    @property
    def owed_fen(self) -> int:
        """What the driver still owes (never negative)."""
        return max(self.balance_fen, 0)

    @property
    def credit_fen(self) -> int:
        """What is due back to the driver because billing fell below what was paid."""
        return max(-self.balance_fen, 0)

    @property
    def refundable_fen(self) -> int:
        """The most a refund may be: what was paid and not yet refunded."""
        return self.paid_fen - self.refunded_fen

    def billed(self, amount_fen: int) -> Account:
        """The account after a charge (positive) or a reversal (negative) of ``amount_fen``."""
        return Account(self.billed_fen + amount_fen, self.paid_fen, self.refunded_fen)

    def apply(self, movement: Movement, amount_fen: int) -> Account:
        """The account after a payment or refund; LedgerRefusal when the rule forbids it."""
        if amount_fen <= 0:
            raise LedgerRefusal(
                "bad_amount", f"an amount is a positive number of fen, not {amount_fen}"
            )
        if movement is Movement.PAYMENT:
            if amount_fen > self.owed_fen:
                raise LedgerRefusal(
                    "over_payment", f"{amount_fen} fen paid but {self.owed_fen} fen owed"
                )
            return Account(self.billed_fen, self.paid_fen + amount_fen, self.refunded_fen)
        if amount_fen > self.refundable_fen:
            raise LedgerRefusal(
                "over_refund",
                f"{amount_fen} fen refunded, {self.refundable_fen} fen paid and not yet refunded",
            )
        return Account(self.billed_fen, self.paid_fen, self.refunded_fen + amount_fen)
