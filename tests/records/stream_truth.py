"""A status stream to publish, and the check of the records against it.

Truth is what was published: the session rules (curbside/domain/parking/sessions.py) applied to
every report
sent, judged at the stream's time (its newest report, as the recorder does), and the fee
engine's price for each stay.
"""

from __future__ import annotations

import json
import random
from datetime import datetime, timedelta

from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from curbside.adapters.records.models import Charge, ParkingSession, SpaceReport
from curbside.city.registry import City
from curbside.domain.parking.fees import compute_fee
from curbside.domain.parking.sessions import ONGOING, Observation, SessionRules, derive_sessions

Report = tuple[str, str, datetime, bool]


def status_stream(zone: str, spaces: int, per_space: int, now: datetime) -> list[Report]:
    """Each space reports every 20 s up to ``now``, changing state now and then (seeded)."""
    rng = random.Random(14)
    first = now - timedelta(seconds=20 * per_space + 60)
    reports = []
    for n in range(spaces):
        occupied = rng.random() < 0.5
        for k in range(per_space):
            if rng.random() < 0.2:
                occupied = not occupied
            reports.append((zone, f"S{n}", first + timedelta(seconds=20 * k + n), occupied))
    return sorted(reports, key=lambda r: r[2])


def as_messages(reports: list[Report]) -> list[tuple[str, bytes]]:
    """The reports as native MQTT messages."""
    return [
        (f"parking/{z}/{s}/status", json.dumps({"occupied": o, "ts": ts.isoformat()}).encode())
        for z, s, ts, o in reports
    ]


def reports_recorded(engine: Engine) -> int:
    """How many distinct reports the record store holds."""
    with Session(engine) as db:
        return int(db.scalar(select(func.count()).select_from(SpaceReport)) or 0)


def check_records(engine: Engine, reports: list[Report], city: City, rules: SessionRules) -> None:
    """Every closed session is a true stay with exactly one standing charge of its fee."""
    checked_at = max(ts for _, _, ts, _ in reports)
    tariff = next(iter(city.tariffs.values()))
    with Session(engine) as db:
        for zone, space in sorted({(z, s) for z, s, _, _ in reports}):
            observations = [Observation(ts, o) for z, sp, ts, o in reports if sp == space]
            truth = [
                s
                for s in derive_sessions(zone, space, observations, checked_at, rules)
                if ONGOING not in s.flags
            ]
            rows = db.scalars(
                select(ParkingSession)
                .where(
                    ParkingSession.zone == zone,
                    ParkingSession.space == space,
                    ParkingSession.status == "closed",
                )
                .order_by(ParkingSession.start)
            ).all()
            assert [(r.start, r.end) for r in rows] == [(s.start, s.end) for s in truth], space
            for row, stay in zip(rows, truth, strict=True):
                assert stay.end is not None
                charges = db.scalars(select(Charge).where(Charge.session_id == row.id)).all()
                fee = compute_fee(tariff, stay.start, stay.end, city.workday_calendar, city.tz)
                assert sum(c.amount_fen for c in charges) == fee.total_fen, (space, stay.start)
                standing = [c for c in charges if c.kind == "charge"]
                reversals = [c for c in charges if c.kind == "reversal"]
                assert len(standing) == len(reversals) + 1, (space, stay.start)
