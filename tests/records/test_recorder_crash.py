"""The recorder killed with -9 mid-stream, on SQLite and PostgreSQL: no record lost or doubled.

Truth is what was published: the session rules (parking/sessions.py) applied to every report
sent, and the fee engine for their charges. The real broker is the one scripts/test started.
"""

from __future__ import annotations

import json
import random
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from city.registry import load_city
from config.rules import session_rules
from config.settings import Settings
from parking.fees import compute_fee
from parking.sessions import ONGOING, Observation, derive_sessions
from records.engine import record_engine
from records.models import Charge, ParkingSession, SpaceReport
from tests.faults.stack import SteadyPublisher, publisher
from tests.records.recorder_process import RecorderProcess, write_city
from tests.support import forget_session, wait_for

pytestmark = [pytest.mark.records, pytest.mark.faults]

SPACES = 12
REPORTS_PER_SPACE = 60
RATE = 150  # messages per second
KILL_AT = (200, 450)


def _stream(zone: str, now: datetime) -> list[tuple[str, str, datetime, bool]]:
    # Each space reports every 20 s over the last 20 minutes, changing state now and then.
    rng = random.Random(14)
    first = now - timedelta(seconds=20 * REPORTS_PER_SPACE + 60)
    reports = []
    for n in range(SPACES):
        occupied = rng.random() < 0.5
        for k in range(REPORTS_PER_SPACE):
            if rng.random() < 0.2:
                occupied = not occupied
            reports.append((zone, f"S{n}", first + timedelta(seconds=20 * k + n), occupied))
    return sorted(reports, key=lambda r: r[2])


def _published(steady: SteadyPublisher, count: int) -> bool:
    return steady.published >= count


@pytest.fixture
def recorder(
    base_settings: Settings, records_url: str, tmp_path: Path, unique: str
) -> Iterator[RecorderProcess]:
    settings = base_settings.model_copy(
        update={
            "records_url": records_url,
            "city_file": write_city(tmp_path / "city.yaml", f"RZ{unique}", SPACES),
            "recorder_client_id": f"recorder-{unique}",
            "recorder_batch_size": 40,
            "recorder_flush_interval_s": 1.0,
            "recorder_tick_s": 1.0,
        }
    )
    process = RecorderProcess(settings, tmp_path / "recorder.log")
    yield process
    if process.process is not None:
        process.stop()
    forget_session(settings, settings.recorder_client_id)


def test_kill_9_mid_stream_loses_and_doubles_nothing(
    recorder: RecorderProcess, records_url: str, unique: str
) -> None:
    zone = f"RZ{unique}"
    now = datetime.now(UTC).replace(microsecond=0)
    reports = _stream(zone, now)
    messages = [
        (f"parking/{z}/{s}/status", json.dumps({"occupied": o, "ts": ts.isoformat()}).encode())
        for z, s, ts, o in reports
    ]
    recorder.start()
    client = publisher(recorder.settings, f"pub-{unique}")
    steady = SteadyPublisher(client, messages, RATE)
    steady.start()
    for kill_at in KILL_AT:
        wait_for(partial(_published, steady, kill_at), 60, f"{kill_at} messages published")
        recorder.kill()
        recorder.start()
    steady.join(60)
    engine = record_engine(records_url)
    try:
        with Session(engine) as db:
            wait_for(
                lambda: db.scalar(select(func.count()).select_from(SpaceReport)) == len(reports),
                120,
                "every report to be recorded",
                interval_s=0.5,
            )
        recorder.stop()
        # The recorder judges at the stream's time: its newest report (docs/records.md).
        checked_at = max(ts for _, _, ts, _ in reports)
        city = load_city(recorder.settings.city_file)
        rules = session_rules(recorder.settings)
        with Session(engine) as db:
            for n in range(SPACES):
                space = f"S{n}"
                truth = [
                    s
                    for s in derive_sessions(
                        zone,
                        space,
                        [Observation(ts, o) for z, sp, ts, o in reports if sp == space],
                        checked_at,
                        rules,
                    )
                    if ONGOING not in s.flags
                ]
                rows = db.scalars(
                    select(ParkingSession).where(
                        ParkingSession.zone == zone,
                        ParkingSession.space == space,
                        ParkingSession.status == "closed",
                    )
                ).all()
                assert sorted((r.start, r.end) for r in rows) == [(s.start, s.end) for s in truth]
                for row, stay in zip(sorted(rows, key=lambda r: r.start), truth, strict=True):
                    assert stay.end is not None
                    net = db.scalar(
                        select(func.sum(Charge.amount_fen)).where(Charge.session_id == row.id)
                    )
                    fee = compute_fee(
                        city.tariffs["hourly"], stay.start, stay.end, city.workday_calendar, city.tz
                    )
                    assert net == fee.total_fen, f"{space} {stay.start}: net charge"
                    charges = db.scalar(
                        select(func.count()).where(
                            Charge.session_id == row.id, Charge.kind == "charge"
                        )
                    )
                    reversals = db.scalar(
                        select(func.count()).where(
                            Charge.session_id == row.id, Charge.kind == "reversal"
                        )
                    )
                    assert charges == (reversals or 0) + 1  # exactly one charge standing
    finally:
        engine.dispose()
        client.disconnect()
        client.loop_stop()
