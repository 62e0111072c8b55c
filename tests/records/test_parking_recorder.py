"""The recorder's parking records on SQLite and PostgreSQL: sessions, charges, adjustments.

The tariff here is simple enough to price by hand: ¥1 (100 fen) per started hour, all day,
every day; a 15-minute grace (free when not exceeded). Times are UTC; the city's day is
Shanghai's.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from curbside.adapters.records import parking_store, zone_revisions
from curbside.adapters.records.migrate import upgrade
from curbside.adapters.records.models import (
    Charge,
    ParkingSession,
    ZoneDayTotals,
    ZoneOccupancyHour,
)
from curbside.city.registry import City, parse_city
from curbside.domain.parking.sessions import SessionRules
from curbside.recorder.parking import ParkingRecorder, StatusReport
from tests.records.recorder_process import hourly_tariff

T0 = datetime(2026, 3, 4, 2, 0, tzinfo=UTC)  # 10:00 in Shanghai, a Wednesday
RULES = SessionRules(debounce=timedelta(seconds=60), silent_after=timedelta(hours=3))


def city(versions: list[dict[str, Any]] | None = None) -> City:
    return parse_city(
        {
            "tariffs": {"hourly": hourly_tariff(100)},
            "tariff_versions": {"hourly": versions or []},
            "parking_zones": [
                {
                    "id": "Z1",
                    "name": "z",
                    "tariff": "hourly",
                    "spaces": [{"id": f"S{n}", "lat": 0, "lon": 0} for n in range(4)],
                }
            ],
        }
    )


@pytest.fixture
def db(engine: Engine) -> Iterator[Session]:
    upgrade(engine)
    with Session(engine, expire_on_commit=False) as session:
        yield session


def at(minutes: float) -> datetime:
    return T0 + timedelta(minutes=minutes)


def report(
    minutes: float, occupied: bool, space: str = "S0", seq: int | None = None
) -> StatusReport:
    return StatusReport("Z1", space, at(minutes), occupied, seq)


def run(
    recorder: ParkingRecorder, db: Session, reports: list[StatusReport], now_min: float
) -> None:
    recorder.record(db, reports, at(now_min))
    db.commit()


def sessions(db: Session) -> list[ParkingSession]:
    return list(db.scalars(select(ParkingSession).order_by(ParkingSession.start)))


def charges(db: Session) -> list[Charge]:
    return list(db.scalars(select(Charge).order_by(Charge.id)))


def test_a_stay_is_open_then_closed_with_one_charge(db: Session) -> None:
    recorder = ParkingRecorder(city(), RULES)
    run(recorder, db, [report(-10, False), report(0, True), report(10, True)], now_min=20)
    (stay,) = sessions(db)
    assert (stay.status, stay.start, stay.end) == ("open", at(0), None)
    assert charges(db) == []
    run(recorder, db, [report(95, False)], now_min=100)
    (stay,) = sessions(db)
    assert (stay.status, stay.end) == ("closed", at(95))
    (charge,) = charges(db)
    # 95 minutes, grace exceeded and not charged: 80 charged minutes = 2 started hours.
    assert (charge.kind, charge.amount_fen, charge.reason) == ("charge", 200, None)
    assert charge.breakdown["total_fen"] == 200
    assert sum(i["subtotal_fen"] for i in charge.breakdown["items"]) == 200
    assert charge.business_day.isoformat() == "2026-03-04"


def test_a_redelivered_batch_records_nothing_twice(db: Session) -> None:
    recorder = ParkingRecorder(city(), RULES)
    batch = [report(0, True), report(30, True), report(70, False)]
    run(recorder, db, batch, now_min=80)
    run(recorder, db, batch, now_min=80)
    run(recorder, db, batch, now_min=90)
    assert len(sessions(db)) == 1
    assert [c.amount_fen for c in charges(db)] == [100]


def test_a_zone_s_revision_moves_with_its_stays_and_only_then(db: Session) -> None:
    # The API reads a zone's sessions again only when this number moved, and then only the
    # spaces marked as changed since (docs/api.md).
    recorder = ParkingRecorder(city(), RULES)
    assert zone_revisions.all_revisions(db) == {}
    seen = []
    for reports, now_min in [
        ([report(0, True)], 5),  # a stay opens on S0
        ([report(0, True)], 5),  # the same report redelivered: nothing changes
        ([report(10, True), report(10, True, "S1")], 15),  # S0's heartbeat, S1 opens
        ([report(70, False)], 80),  # S0's stay closes, with its charge
        ([report(70, False)], 90),  # redelivered again
    ]:
        before = zone_revisions.revision_of(db, "Z1")
        run(recorder, db, reports, now_min=now_min)
        after = zone_revisions.revision_of(db, "Z1")
        seen.append((after > before, zone_revisions.spaces_changed_since(db, "Z1", before)))
    assert seen == [
        (True, {"S0"}),
        (False, set()),
        (True, {"S0", "S1"}),
        (True, {"S0"}),
        (False, set()),
    ]
    assert set(zone_revisions.all_revisions(db)) == {"Z1"}


def test_the_records_do_not_depend_on_how_the_stream_was_cut(db: Session) -> None:
    stream = [
        report(m, occ, space=s)
        for s in ("S1", "S2")
        for m, occ in [(0, False), (5, True), (40, True), (61, False), (70, True), (200, False)]
    ]
    one = ParkingRecorder(city(), RULES)
    for n, r in enumerate(stream):
        run(one, db, [r], now_min=(r.ts - T0).total_seconds() / 60 + 0.5 + n * 0)
    run(one, db, [], now_min=210)
    one.close_due(db, at(210))
    db.commit()
    by_space = {(s.space, s.start, s.end, s.status) for s in sessions(db)}
    expected = {(space, at(5), at(61), "closed") for space in ("S1", "S2")} | {
        (space, at(70), at(200), "closed") for space in ("S1", "S2")
    }
    assert by_space == expected
    # 56 min - 15 free = 41 min: 1 h; 130 min - 15 = 115 min: 2 h.
    assert sorted(c.amount_fen for c in charges(db)) == [100, 100, 200, 200]


@pytest.mark.parametrize("per_query", [2, 1000])
def test_each_space_of_a_batch_gets_its_own_stays(
    db: Session, per_query: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The recorder reads a batch's spaces together, per_query spaces a statement: with 2, three
    # spaces take two statements, and no space may get another's reports or stays.
    monkeypatch.setattr(parking_store, "_PER_STATEMENT", per_query)
    recorder = ParkingRecorder(city(), RULES)
    stays = {"S0": (0, 50), "S1": (10, 100), "S2": (20, 150)}
    batch = [
        report(m, occ, space=space)
        for space, (start, end) in stays.items()
        for m, occ in [(-5, False), (start, True), (end, False)]
    ]
    run(recorder, db, batch, now_min=160)
    got = {(s.space, s.start, s.end, s.status) for s in sessions(db)}
    assert got == {(sp, at(a), at(b), "closed") for sp, (a, b) in stays.items()}
    # 50 - 15 free = 35 min: 1 h; 90 - 15 = 75 min: 2 h; 130 - 15 = 115 min: 2 h.
    assert sorted(c.amount_fen for c in charges(db)) == [100, 200, 200]
    # A later report of one space re-reads that space alone, from its own settled stay on.
    run(recorder, db, [report(170, True, space="S1")], now_min=175)
    got = {(s.space, s.start, s.end, s.status) for s in sessions(db)}
    assert got - {(sp, at(a), at(b), "closed") for sp, (a, b) in stays.items()} == {
        ("S1", at(170), None, "open")
    }
    assert len(charges(db)) == 3


@pytest.mark.parametrize("per_query", [2, 1000])
def test_late_data_is_read_from_its_own_space_s_bound_in_a_batch_of_several(
    db: Session, per_query: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The spaces of a batch go to the database as one list of (zone, space, bound): a bound
    # given to the wrong space moves where that space's history starts. Here S0's late report
    # (39.5) needs its history from before its stay; S1's bound (300 - 181 min = 119) is past
    # the end of S0's stay (40), and S0 read from there would miss the late report.
    monkeypatch.setattr(parking_store, "_PER_STATEMENT", per_query)
    recorder = ParkingRecorder(city(), RULES)
    run(recorder, db, [report(0, True), report(20, True), report(40, False)], now_min=45)
    batch = [
        report(39.5, True),
        report(40.5, True),
        report(130, False),
        report(300, True, space="S1"),
        report(310, True, space="S1"),
    ]
    run(recorder, db, batch, now_min=320)
    got = {(s.space, s.start, s.end, s.status, s.revision) for s in sessions(db)}
    assert got == {("S0", at(0), at(130), "closed", 1), ("S1", at(300), None, "open", 0)}
    assert [(c.kind, c.amount_fen) for c in charges(db)] == [
        ("charge", 100),
        ("reversal", -100),
        ("charge", 200),
    ]


def test_a_day_s_totals_stay_when_another_day_is_refreshed(db: Session) -> None:
    # Totals are rewritten for the (zone, day) pairs a batch touched, and for no other day.
    recorder = ParkingRecorder(city(), RULES)
    run(recorder, db, [report(0, True), report(20, True), report(40, False)], now_min=45)
    next_day = [report(1440, True), report(1460, True), report(1480, False)]
    run(recorder, db, next_day, now_min=1485)
    totals = {(t.zone, t.day, t.sessions, t.billed_fen) for t in db.scalars(select(ZoneDayTotals))}
    # T0 is 10:00 on 4 March in Shanghai; 1,440 minutes later is the 5th.
    assert totals == {("Z1", date(2026, 3, 4), 1, 100), ("Z1", date(2026, 3, 5), 1, 100)}


def test_late_data_reverses_the_charge_and_charges_anew_with_the_reason(db: Session) -> None:
    recorder = ParkingRecorder(city(), RULES)
    run(recorder, db, [report(0, True), report(20, True), report(40, False)], now_min=45)
    (first,) = charges(db)
    assert first.amount_fen == 100
    # A late report: the car was there at 40 after all; the vacancy came at 130.
    run(recorder, db, [report(39.5, True), report(40.5, True), report(130, False)], now_min=135)
    (stay,) = sessions(db)
    assert (stay.end, stay.revision) == (at(130), 1)
    original, reversal, replacement = charges(db)
    assert (original.id, original.amount_fen, original.kind) == (first.id, 100, "charge")
    assert (reversal.kind, reversal.amount_fen, reversal.reverses_id) == (
        "reversal",
        -100,
        first.id,
    )
    assert reversal.reason is not None and "end" in reversal.reason
    assert (replacement.amount_fen, replacement.reason) == (200, reversal.reason)
    assert sum(c.amount_fen for c in charges(db)) == 200


def test_a_stay_split_by_late_data_voids_the_old_one(db: Session) -> None:
    recorder = ParkingRecorder(city(), RULES)
    run(recorder, db, [report(0, True), report(100, True), report(130, False)], now_min=140)
    assert [c.amount_fen for c in charges(db)] == [200]
    # Late: the car left at 50 and another came at 60.
    run(recorder, db, [report(50, False), report(55, False), report(60, True)], now_min=140)
    standing = [s for s in sessions(db) if s.status != "void"]
    assert [(s.start, s.end) for s in standing] == [(at(0), at(50)), (at(60), at(130))]
    assert sum(c.amount_fen for c in charges(db)) == 100 + 100
    assert sum(1 for c in charges(db) if c.kind == "reversal") == 1


def test_time_alone_closes_a_stay(db: Session) -> None:
    recorder = ParkingRecorder(city(), RULES)
    run(recorder, db, [report(-5, False), report(0, True), report(20, True)], now_min=25)
    assert sessions(db)[0].status == "open"
    recorder.close_due(db, at(300))  # silent since 20: ends at its last confirmation
    db.commit()
    (stay,) = sessions(db)
    assert (stay.status, stay.end, stay.flags) == ("closed", at(20), "sensor_silent")
    assert [c.amount_fen for c in charges(db)] == [100]


def test_a_new_tariff_version_leaves_earlier_charges_alone(db: Session) -> None:
    recorder = ParkingRecorder(city(), RULES)
    run(recorder, db, [report(0, True), report(90, False)], now_min=100)
    before = [(c.id, c.amount_fen, c.tariff_version) for c in charges(db)]
    # Five times the price from the next day on; the recorder restarts with the new registry.
    newer = ParkingRecorder(city([hourly_tariff(500) | {"effective_from": "2026-03-05"}]), RULES)
    newer.close_due(db, at(100))
    run(newer, db, [report(0, True), report(90, False)], now_min=110)  # redelivered
    run(newer, db, [report(24 * 60, True), report(24 * 60 + 90, False)], now_min=24 * 60 + 100)
    recorded = charges(db)
    assert [(c.id, c.amount_fen, c.tariff_version) for c in recorded[:1]] == before
    assert (recorded[1].amount_fen, str(recorded[1].tariff_version)) == (1000, "2026-03-05")
    assert len(recorded) == 2


def test_occupancy_hours_add_up_to_the_closed_stays(db: Session) -> None:
    recorder = ParkingRecorder(city(), RULES)
    run(
        recorder,
        db,
        [
            report(0, True),
            report(30, True),
            report(90, False),
            report(10, True, "S1"),
            report(50, False, "S1"),
        ],
        now_min=100,
    )
    # Late data moves S0's end from 90 to 150: the hours follow.
    run(recorder, db, [report(89, True), report(90.5, True), report(150, False)], now_min=160)
    total = db.scalar(select(func.sum(ZoneOccupancyHour.occupied_s)))
    assert total == (150 + 40) * 60
    hours = {h.hour: h.occupied_s for h in db.scalars(select(ZoneOccupancyHour))}
    assert hours[at(0)] == 3600 + 40 * 60
    assert all(h.spaces == 4 for h in db.scalars(select(ZoneOccupancyHour)))


def test_a_void_stay_that_later_data_brings_back_is_the_same_record(db: Session) -> None:
    recorder = ParkingRecorder(city(), RULES)
    run(recorder, db, [report(-1, False), report(0, True)], now_min=5)
    (stay,) = sessions(db)
    run(recorder, db, [report(0.2, False)], now_min=5)  # 12 s of occupancy: a flicker
    assert sessions(db)[0].status == "void"
    # The vacancy was a 6-second blink under a car that stayed.
    run(recorder, db, [report(0.3, True), report(10, True), report(40, False)], now_min=45)
    (back,) = sessions(db)
    assert (back.id, back.status, back.start, back.end) == (stay.id, "closed", at(0), at(40))
    assert [c.amount_fen for c in charges(db)] == [100]
