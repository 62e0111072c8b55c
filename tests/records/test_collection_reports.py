"""Billed, collected, refunded, outstanding and the collection rate in the period reports and
their downloads, on SQLite and PostgreSQL; figures counted by hand."""

from __future__ import annotations

import csv
import io
import random
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from curbside.adapters.records.collection_store import MoneyMovement, record_movement
from curbside.adapters.records.day_totals import refresh_zone_days
from curbside.adapters.records.migrate import upgrade
from curbside.adapters.records.models import Charge
from curbside.adapters.records.parking_store import reverse_charge
from curbside.domain.collection.ledger import Movement
from curbside.readmodels.collection import outstanding_by_day, stay_balances
from curbside.readmodels.reports.exports import PARKING_COLUMNS, as_rows, to_csv
from curbside.readmodels.reports.parking import parking_report
from tests.records.collection_api import new_db
from tests.records.collection_rows import add_stay
from tests.records.test_parking_recorder import city

pytestmark = pytest.mark.records

UTC_ZONE = ZoneInfo("UTC")
D1 = date(2026, 3, 2)
D2 = date(2026, 3, 3)


def at(day: date, hour: int) -> datetime:
    return datetime(day.year, day.month, day.day, hour, tzinfo=UTC)


def move(
    db: Session,
    charge: Charge,
    fen: int,
    txn: str,
    when: datetime,
    *,
    kind: Movement = Movement.PAYMENT,
) -> None:
    record_movement(
        db,
        MoneyMovement("wechat", txn, kind, charge.id, fen, when),
        f"digest-{txn}",
        when,
        UTC_ZONE,
    )


def test_collection_figures_per_zone_and_day(engine: Engine) -> None:
    upgrade(engine)
    with new_db(engine) as db, db.begin():
        _, a = add_stay(db, ("Z1", "S0"), at(D1, 1), 60, 500)  # paid at once
        _, b = add_stay(db, ("Z1", "S1"), at(D1, 2), 60, 300)  # 100 paid the next day
        add_stay(db, ("Z1", "S2"), at(D1, 3), 60, 200)  # never paid
        _, d = add_stay(db, ("Z1", "S0"), at(D2, 1), 60, 400)  # paid, 150 refunded
        move(db, a, 500, "A", at(D1, 2))
        move(db, b, 100, "B", at(D2, 9))
        move(db, d, 400, "D", at(D2, 2))
        move(db, d, 150, "R", at(D2, 3), kind=Movement.REFUND)
        refresh_zone_days(db, [("Z1", D1), ("Z1", D2)])
    with new_db(engine) as db:
        rows = parking_report(db, city(), D1, D2, group="zone", period="day")
        (total,) = parking_report(db, city(), D1, D2, group="city", period="all")
    figures = [
        (
            r.period,
            r.billed_fen,
            r.collected_fen,
            r.refunded_fen,
            r.outstanding_fen,
            r.collection_rate,
        )
        for r in rows
    ]
    assert figures == [
        # D1: billed 1000; collected on D1 500; its stays still owe 200 + 200
        ("2026-03-02", 1000, 500, 0, 400, 0.6),
        # D2: billed 400; collected on D2 100 (for D1's stay) + 400; refunded 150, owed again
        ("2026-03-03", 400, 500, 150, 150, 0.625),
    ]
    assert (total.billed_fen, total.collected_fen, total.refunded_fen, total.outstanding_fen) == (
        1400,
        1000,
        150,
        550,
    )
    text = to_csv(as_rows(rows), PARKING_COLUMNS)
    table = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
    assert table[0][-4:] == ["实收金额（分）", "退款金额（分）", "欠费金额（分）", "收缴率"]
    assert table[1][-4:] == ["500", "0", "400", "0.6"]


def test_the_summed_outstanding_is_the_ledger_rule_stay_by_stay(engine: Engine) -> None:
    """The report sums owed in SQL; each stay's owed is Account.owed_fen (never negative, also
    when late data billed a paid stay lower): the two must agree on random books."""
    upgrade(engine)
    rng = random.Random(18)
    with new_db(engine) as db, db.begin():
        for n in range(60):
            day = D1 + timedelta(days=n % 3)
            fen = rng.randrange(0, 2000)
            _, charge = add_stay(
                db, ("Z1", f"S{n % 4}"), at(day, 0) + timedelta(minutes=n * 10), 5, fen
            )
            if fen and rng.random() < 0.7:
                paid = rng.randrange(1, fen + 1)
                move(db, charge, paid, f"P{n}", at(day, 12))
                if rng.random() < 0.3:
                    move(
                        db,
                        charge,
                        rng.randrange(1, paid + 1),
                        f"R{n}",
                        at(day, 13),
                        kind=Movement.REFUND,
                    )
            if fen and rng.random() < 0.2:  # late data bills it lower: maybe below what was paid
                reverse_charge(db, charge, "late data", charge.recorded_at)
    with new_db(engine) as db:
        summed = outstanding_by_day(db, ["Z1"], D1, D1 + timedelta(days=2))
        by_stay: dict[tuple[str, date], int] = {}
        for b in stay_balances(db, zones=["Z1"]):
            by_stay[b.zone, b.billed_on] = (
                by_stay.get((b.zone, b.billed_on), 0) + b.account.owed_fen
            )
    assert summed == by_stay and sum(summed.values()) > 0
