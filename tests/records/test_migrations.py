"""The schema changes only through the migrations, and they carry populated databases along."""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, date, datetime

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from curbside.adapters.records.day_totals import refresh_district_days, refresh_zone_days
from curbside.adapters.records.engine import record_engine
from curbside.adapters.records.migrate import current_revision, downgrade, head_revision, upgrade
from curbside.adapters.records.models import (
    Base,
    BinCollection,
    Charge,
    ClearanceVerdict,
    DistrictDayTotals,
    ParkingSession,
    ZoneDayTotals,
    ZoneOccupancyHour,
)

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


def test_the_day_totals_migration_fills_them_from_the_records_already_there(
    engine: Engine,
) -> None:
    upgrade(engine, "0002")
    day = date(2026, 3, 2)
    with Session(engine) as db, db.begin():
        for n, flags in enumerate(["", "sensor_silent", ""]):
            stay = ParkingSession(
                zone="Z1", space=f"S{n}", start=T0, end=T0.replace(hour=2), last_confirmed=T0,
                flags=flags, status="closed", end_day=day, duration_s=3600, revision=0,
                recorded_at=T0, revised_at=T0,
            )  # fmt: skip
            db.add(stay)
            db.flush()
            for kind, amount in [("charge", 300), ("reversal", -300), ("charge", 200)][: n + 1]:
                db.add(
                    Charge(
                        session_id=stay.id, zone="Z1", kind=kind, amount_fen=amount,
                        tariff_id="t", tariff_version=None, priced_from=T0, priced_until=T0,
                        breakdown={}, reason=None, reverses_id=None, business_day=day,
                        recorded_at=T0,
                    )
                )  # fmt: skip
        db.add(ZoneOccupancyHour(zone="Z1", hour=T0, day=day, occupied_s=7200, spaces=3))
        for bin_id, revision, cleared, late in [
            ("B1", 0, True, False),
            ("B2", 0, False, False),
            ("B2", 1, True, False),
            ("B3", 0, True, True),
        ]:
            db.add(
                ClearanceVerdict(
                    day=day, district="D1", bin=bin_id, revision=revision, needed=True,
                    cleared=cleared, late=late, cleared_at=None, last_rise=None, reason=None,
                    recorded_at=T0,
                )
            )  # fmt: skip
    upgrade(engine)
    with Session(engine) as db:
        zone = db.get(ZoneDayTotals, ("Z1", day))
        district = db.get(DistrictDayTotals, ("D1", day))
        assert zone is not None and district is not None
        # By hand: 3 stays of an hour, one flagged; 300 + (300 - 300) + (300 - 300 + 200).
        assert (zone.sessions, zone.stay_s, zone.flagged) == (3, 3 * 3600, 1)
        assert (zone.billed_fen, zone.adjustments, zone.adjustments_fen) == (500, 2, -600)
        assert zone.occupied_s == 7200
        assert (district.needed, district.cleared_on_time, district.late) == (3, 1, 1)
        assert district.corrections == 1
        # The recorder's own recomputation agrees with the migration's.
        migrated = [(zone.sessions, zone.billed_fen), (district.needed, district.corrections)]
        refresh_zone_days(db, [("Z1", day)])
        refresh_district_days(db, [("D1", day)])
        db.flush()
        db.expire_all()
        zone, district = db.get(ZoneDayTotals, ("Z1", day)), db.get(DistrictDayTotals, ("D1", day))
        assert zone is not None and district is not None
        assert [(zone.sessions, zone.billed_fen), (district.needed, district.corrections)] == (
            migrated
        )


def test_two_processes_migrating_at_once_both_succeed(records_url: str) -> None:
    # The recorder and the API start together and both migrate: neither may fail.
    script = (
        "import sys; from curbside.adapters.records.engine import record_engine; "
        "from curbside.adapters.records.migrate import upgrade; upgrade(record_engine(sys.argv[1]))"
    )
    runs = [
        subprocess.Popen([sys.executable, "-c", script, records_url], stderr=subprocess.PIPE)
        for _ in range(4)
    ]
    errors = [run.communicate(timeout=120)[1].decode()[-2000:] for run in runs]
    assert [run.returncode for run in runs] == [0] * len(runs), errors
    engine = record_engine(records_url)
    try:
        assert current_revision(engine) == head_revision(engine)
    finally:
        engine.dispose()
