"""Overdue charges, on SQLite and PostgreSQL: noticed once each, only when still owed past the
allowed days, and announced on MQTT by a real recorder (with the plate, for the platform)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import Engine, select

from curbside.adapters.records.collection_store import (
    MoneyMovement,
    PlateEvent,
    bind_plate,
    record_movement,
)
from curbside.adapters.records.migrate import upgrade
from curbside.adapters.records.models import OutboxMessage, PlateBinding
from curbside.config.settings import Settings
from curbside.domain.collection.ledger import Movement
from curbside.domain.collection.plates import parse_plate
from curbside.recorder.overdue import mark_published, notice_overdue, unpublished
from curbside.recorder.retention import apply_retention
from tests.records.collection_api import new_db
from tests.records.collection_rows import add_stay
from tests.records.recorder_process import recording, write_city
from tests.support import mqtt_client, wait_for

pytestmark = pytest.mark.records

# Days are the city's local days (write_city leaves the registry's default zone): counted in
# UTC, the test failed from 16:00 to 24:00 UTC, when Shanghai is already on the next day.
CITY_TZ = ZoneInfo("Asia/Shanghai")
NOW = datetime.now(UTC).replace(microsecond=0)
TODAY = NOW.astimezone(CITY_TZ).date()


def days_ago(n: int) -> datetime:
    """A start whose one-hour stay ends (is billed) n local days before today, at 10:00."""
    return datetime.combine(TODAY - timedelta(days=n), time(9), CITY_TZ)


def billed(engine: Engine, zone: str = "Z1") -> dict[str, int]:
    """Stays on S0..S4 (name -> stay id): unpaid 8 and 20 days ago, paid 8 days ago, unpaid 7
    days ago (not overdue yet after 7 days), partly paid 9 days ago."""
    ids = {}
    with new_db(engine) as db, db.begin():
        for name, space, ago, fen in [
            ("unpaid8", "S0", 8, 500),
            ("unpaid20", "S1", 20, 300),
            ("paid8", "S2", 8, 400),
            ("unpaid7", "S3", 7, 200),
            ("part9", "S4", 9, 600),
        ]:
            stay, charge = add_stay(db, (zone, space), days_ago(ago), 60, fen)
            ids[name] = stay.id
            paid = {"paid8": 400, "part9": 250}.get(name)
            if paid:
                move = MoneyMovement("wechat", f"T{name}", Movement.PAYMENT, charge.id, paid, NOW)
                record_movement(db, move, f"d{name}", NOW, UTC)  # type: ignore[arg-type]
        bind_plate(
            db,
            PlateEvent(
                zone,
                "S0",
                days_ago(8) + timedelta(minutes=5),
                parse_plate("粤B12345", "blue"),
                "pda",
                "pda-1",
            ),
            NOW,
        )
    return ids


def test_stays_still_owing_past_the_allowed_days_are_noticed_once(engine: Engine) -> None:
    upgrade(engine)
    ids = billed(engine)
    with new_db(engine) as db, db.begin():
        notice_overdue(db, TODAY, 7, NOW)
    with new_db(engine) as db, db.begin():
        notice_overdue(db, TODAY, 7, NOW)  # again: nothing new
        events = unpublished(db)
    assert sorted((e.stay, e.owed_fen) for e in events) == sorted(
        [(ids["unpaid8"], 500), (ids["unpaid20"], 300), (ids["part9"], 350)]
    )
    (with_plate,) = [e for e in events if e.plate]
    assert (with_plate.stay, with_plate.plate) == (ids["unpaid8"], "粤B12345")
    with new_db(engine) as db, db.begin():
        mark_published(db, [ids["unpaid8"]], NOW)
    with new_db(engine) as db:
        assert sorted(e.stay for e in unpublished(db)) == sorted([ids["unpaid20"], ids["part9"]])


def test_with_a_webhook_each_overdue_stay_is_queued_once_for_the_platform(engine: Engine) -> None:
    upgrade(engine)
    ids = billed(engine)
    with new_db(engine) as db, db.begin():
        notice_overdue(db, TODAY, 7, NOW, webhook=True)
    with new_db(engine) as db, db.begin():
        notice_overdue(db, TODAY, 7, NOW, webhook=True)  # again: nothing new is queued
        queued = list(db.scalars(select(OutboxMessage)))
    # The three stays still owing past 7 days (as above), each once, on the webhook only.
    assert sorted(
        (m.channel, m.kind, m.payload["stay"], m.payload["owed_fen"]) for m in queued
    ) == (
        sorted(
            ("webhook", "charge.overdue", stay, owed)
            for stay, owed in ((ids["unpaid8"], 500), (ids["unpaid20"], 300), (ids["part9"], 350))
        )
    )
    assert len({m.key for m in queued}) == 3
    (with_plate,) = [m for m in queued if m.payload["plate"]]
    assert (with_plate.payload["stay"], with_plate.payload["plate"]) == (ids["unpaid8"], "粤B12345")


def test_without_a_webhook_nothing_is_queued(engine: Engine) -> None:
    upgrade(engine)
    billed(engine)
    with new_db(engine) as db, db.begin():
        notice_overdue(db, TODAY, 7, NOW)
        assert list(db.scalars(select(OutboxMessage))) == []


@pytest.mark.integration
def test_the_recorder_announces_overdue_stays_on_mqtt(
    settings: Settings, records_url: str, engine: Engine, tmp_path: Path, unique: str
) -> None:
    zone = f"OZ{unique}"
    upgrade(engine)
    ids = billed(engine, zone)
    heard: list[dict[str, object]] = []
    listener = mqtt_client(settings, f"listen-{unique}")
    listener.on_message = lambda _c, _u, m: heard.append(json.loads(m.payload))
    listener.subscribe(f"arrears/overdue/{zone}", qos=1)
    try:
        city_file = write_city(tmp_path / "city.yaml", zone, 5)
        with recording(settings, records_url, city_file, f"recorder-{unique}"):
            wait_for(lambda: len(heard) >= 3, 30, "three overdue events")
    finally:
        listener.disconnect()
        listener.loop_stop()
    assert sorted((e["stay"], e["owed_fen"]) for e in heard) == sorted(
        [(ids["unpaid8"], 500), (ids["unpaid20"], 300), (ids["part9"], 350)]
    )
    assert {e["plate"] for e in heard} == {"粤B12345", None}


def test_plates_of_settled_stays_are_anonymised_after_the_retention_period(engine: Engine) -> None:
    upgrade(engine)
    ids = billed(engine)
    with new_db(engine) as db, db.begin():
        bind_plate(
            db,
            PlateEvent(
                "Z1",
                "S2",
                days_ago(8) + timedelta(minutes=5),
                parse_plate("粤B54321", "blue"),
                "pda",
                "pda-1",
            ),
            NOW,
        )
    with new_db(engine) as db, db.begin():
        assert apply_retention(db, TODAY, 30) == 0  # all billed within 30 days
    with new_db(engine) as db, db.begin():
        assert apply_retention(db, TODAY, 7) == 1
    with new_db(engine) as db, db.begin():
        assert apply_retention(db, TODAY, 7) == 0
        plates = {
            sid: p for sid, p in db.execute(select(PlateBinding.session_id, PlateBinding.plate))
        }
    # the paid stay's plate is gone; the one still owing keeps it (needed to recover the debt)
    assert plates == {ids["paid8"]: "-", ids["unpaid8"]: "粤B12345"}
