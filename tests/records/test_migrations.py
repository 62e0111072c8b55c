"""The schema changes only through the migrations, and they carry populated databases along."""

from __future__ import annotations

from datetime import UTC, date, datetime

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from records.migrate import current_revision, downgrade, head_revision, upgrade
from records.models import Base, BinCollection, Charge, ParkingSession

T0 = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)


def test_the_migrations_build_exactly_the_models(engine: Engine) -> None:
    upgrade(engine)
    assert current_revision(engine) == head_revision(engine)
    with engine.connect() as connection:
        assert compare_metadata(MigrationContext.configure(connection), Base.metadata) == []


def test_upgrading_a_populated_database_keeps_every_record(engine: Engine) -> None:
    upgrade(engine, "0001")
    with Session(engine) as db, db.begin():
        for n in range(50):
            stay = ParkingSession(
                zone="Z1",
                space=f"S{n}",
                start=T0,
                end=T0.replace(hour=2),
                last_confirmed=T0,
                flags="",
                status="closed",
                end_day=date(2026, 3, 2),
                revision=0,
                recorded_at=T0,
                revised_at=T0,
            )
            db.add(stay)
            db.flush()
            db.add(
                Charge(
                    session_id=stay.id,
                    zone="Z1",
                    kind="charge",
                    amount_fen=100 + n,
                    tariff_id="t",
                    tariff_version=None,
                    priced_from=T0,
                    priced_until=T0,
                    breakdown={"items": []},
                    reason=None,
                    reverses_id=None,
                    business_day=date(2026, 3, 2),
                    recorded_at=T0,
                )
            )
    upgrade(engine)
    assert current_revision(engine) == head_revision(engine)
    with Session(engine) as db:
        assert db.scalar(select(func.count()).select_from(ParkingSession)) == 50
        assert db.scalar(select(func.sum(Charge.amount_fen))) == sum(100 + n for n in range(50))
        assert db.scalar(select(ParkingSession.start).limit(1)) == T0
        # The new tables work alongside the old rows.
        db.add(
            BinCollection(
                district="D1",
                bin="B1",
                ts=T0,
                source="fill",
                truck=None,
                before_pct=80.0,
                after_pct=5.0,
                recorded_at=T0,
            )
        )
        db.commit()


def test_downgrade_then_upgrade_again(engine: Engine) -> None:
    upgrade(engine)
    downgrade(engine, "0001")
    assert current_revision(engine) == "0001"
    upgrade(engine)
    assert current_revision(engine) == head_revision(engine)
