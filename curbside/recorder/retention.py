"""Plates are kept while they are needed, then anonymised (docs/security.md, "Privacy").

A stay's plate is needed while the stay owes something (to remind and recover) and for
``CURBSIDE_PAYMENTS_PLATE_RETENTION_DAYS`` after the day it was billed (disputes, refunds).
After that, when nothing is owed and nothing is due back, the plate is replaced by "-": the
stay, its charges and payments stay in the records, no longer linked to a vehicle.
"""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy.orm import Session

from curbside.adapters.records.collection_store import anonymise_plates
from curbside.readmodels.collection import stay_balances


def plates_past_retention(db: Session, today: date, keep_days: int) -> list[int]:
    """The settled stays billed more than ``keep_days`` before ``today`` that still have a
    plate."""
    last = today - timedelta(days=keep_days + 1)
    return [
        b.session_id
        for b in stay_balances(db, billed_until=last)
        if b.plate not in (None, "-") and b.account.balance_fen == 0
    ]


def apply_retention(db: Session, today: date, keep_days: int) -> int:
    """Anonymise what the retention period no longer allows to keep; how many bindings."""
    return anonymise_plates(db, plates_past_retention(db, today, keep_days))
