"""The audit: recompute a day from the raw readings in InfluxDB and diff it against the records.

The old per-request derivation (curbside/adapters/influx/history.py, the clearance judge)
becomes the check, not the path: sessions that ended on the day, each closed session's net
charge against the fee of the tariff version in force at its start, and each bin's newest
clearance verdict.

    python -m curbside.recorder.audit 2026-03-04   # exit 0: records and readings agree; 1: not
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session as DbSession

from curbside.adapters.influx.client import InfluxClient
from curbside.adapters.influx.history import HistoryReader
from curbside.adapters.influx.sanitation_history import SanitationHistoryReader
from curbside.adapters.records import sanitation_store
from curbside.adapters.records.engine import record_engine, session_factory
from curbside.adapters.records.models import Charge, ParkingSession
from curbside.city.registry import City, CityFileError, load_city
from curbside.config.rules import clearance_rules, session_rules
from curbside.config.settings import SettingsError, load_settings
from curbside.domain.parking.charges import price_stay
from curbside.domain.sanitation.clearance import ClearanceRules, day_bounds, district_clearance


@dataclass(frozen=True, slots=True)
class Difference:
    """One disagreement between the records and the readings."""

    kind: str  # session, charge or verdict
    where: str
    recorded: str
    derived: str

    def __str__(self) -> str:
        return f"{self.kind} {self.where}: recorded {self.recorded}, readings say {self.derived}"


def audit_parking(
    db: DbSession, history: HistoryReader, city: City, day: date, now: datetime
) -> list[Difference]:
    """Sessions that ended on the local ``day`` and their charges, records against readings."""
    start = datetime.combine(day, time(0), tzinfo=city.tz)
    end = datetime.combine(day + timedelta(days=1), time(0), tzinfo=city.tz)
    found: list[Difference] = []
    for zone in city.parking_zones:
        spaces = [s.id for s in zone.spaces]
        derived = {
            (s.space, s.start): s
            for s in history.ended_sessions(zone.id, spaces, start, end, now=now)
        }
        rows = db.scalars(
            select(ParkingSession).where(
                ParkingSession.zone == zone.id,
                ParkingSession.status == "closed",
                ParkingSession.end_day == day,
            )
        ).all()
        recorded = {(r.space, r.start): r for r in rows}
        for key in sorted(derived.keys() - recorded.keys()):
            found.append(Difference("session", f"{zone.id}/{key[0]} {key[1]:%H:%M:%S}", "none",
                                    f"ended {derived[key].end}"))  # fmt: skip
        for key in sorted(recorded.keys() - derived.keys()):
            found.append(Difference("session", f"{zone.id}/{key[0]} {key[1]:%H:%M:%S}",
                                    f"ended {recorded[key].end}", "none"))  # fmt: skip
        for key in sorted(recorded.keys() & derived.keys()):
            session, row = derived[key], recorded[key]
            where = f"{zone.id}/{key[0]} {key[1]:%H:%M:%S}"
            if session.end != row.end:
                found.append(Difference("session", where, f"end {row.end}", f"end {session.end}"))
                continue
            net = db.scalar(select(func.sum(Charge.amount_fen)).where(Charge.session_id == row.id))
            try:
                in_force = city.tariff_in_force(zone.id, session.start)
            except KeyError:
                continue
            fee = price_stay(session, in_force, city.workday_calendar, city.tz).basis.amount_fen
            if net != fee:
                found.append(Difference("charge", where, f"{net} fen", f"{fee} fen"))
    return found


def audit_clearance(
    db: DbSession, history: SanitationHistoryReader, city: City, day: date, rules: ClearanceRules
) -> list[Difference]:
    """Each bin's newest recorded verdict of the ``day`` against the judge on the readings."""
    found: list[Difference] = []
    for district in city.sanitation_districts:
        recorded = sanitation_store.latest_verdicts(db, day, district.id)
        if not recorded:
            continue  # not frozen yet
        bounds = day_bounds(day, district.clearance_deadline, city.tz)
        read = history.readings(district.id, bounds.start, bounds.end)
        verdicts = district_clearance(
            district, read.levels, read.reports, day, city.tz, rules=rules
        )
        for b in district.bins:
            verdict = verdicts[b.id]
            row = recorded.get(b.id)
            mine = None if row is None else sanitation_store.as_clearance(row)
            if mine != verdict:
                found.append(
                    Difference("verdict", f"{district.id}/{b.id}", str(mine), str(verdict))
                )
    return found


def main(argv: list[str] | None = None) -> int:
    """Audit one local day; print the differences; exit 1 if there are any, 2 on bad input."""
    parser = argparse.ArgumentParser(
        prog="python -m curbside.recorder.audit",
        description="Recompute a local day from the raw readings and diff it against the "
        "records (sessions, charges, clearance verdicts). Settings: CURBSIDE_*.",
    )
    parser.add_argument("day", type=date.fromisoformat, help="the local day, YYYY-MM-DD")
    args = parser.parse_args(argv)
    try:
        settings = load_settings()
        city = load_city(settings.city_file)
    except (SettingsError, CityFileError) as exc:
        print(f"audit: {exc}", file=sys.stderr)
        return 2
    influx = InfluxClient.from_settings(settings)
    engine = record_engine(settings.records_database_url)
    rules = session_rules(settings)
    try:
        with session_factory(engine)() as db:
            differences = audit_parking(
                db,
                HistoryReader(influx, rules, timedelta(seconds=settings.space_stale_after_s)),
                city,
                args.day,
                datetime.now(UTC),
            ) + audit_clearance(
                db, SanitationHistoryReader(influx), city, args.day, clearance_rules(settings)
            )
    finally:
        engine.dispose()
        influx.close()
    for difference in differences:
        print(difference)
    print(f"audit {args.day}: {len(differences)} difference(s)")
    return 1 if differences else 0


if __name__ == "__main__":
    sys.exit(main())
