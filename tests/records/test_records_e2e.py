"""End to end on SQLite and PostgreSQL: the simulator's traffic through the real broker into
the recorder; the recorded sessions and charges equal the stays the simulator really made and
the fee engine's price for them (simulators/truth.py), whatever faults the traffic had."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import yaml
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from curbside.adapters.records.models import Charge, ParkingSession
from curbside.city.registry import load_city
from curbside.config.settings import Settings
from curbside.domain.parking.fees import compute_fee
from curbside.recorder.service import Recorder
from simulators.truth import true_stays
from tests.e2e.test_parking_sessions import DEBOUNCE, _expected
from tests.e2e.town import read_truth, run_simulator, small_city
from tests.records.recorder_process import recording
from tests.support import wait_for

pytestmark = [pytest.mark.records, pytest.mark.e2e]


@pytest.fixture
def city_file(tmp_path: Path) -> Path:
    """The e2e tests' small town."""
    path = tmp_path / "city.yaml"
    path.write_text(yaml.safe_dump(small_city(), allow_unicode=True))
    return path


@pytest.fixture
def recorder(
    settings: Settings, records_url: str, city_file: Path, unique: str
) -> Iterator[Recorder]:
    with recording(settings, records_url, city_file, f"recorder-{unique}") as running:
        yield running


def test_records_equal_the_true_stays_and_their_fees(
    settings: Settings, recorder: Recorder, city_file: Path, records_url: str, tmp_path: Path
) -> None:
    truth_file = tmp_path / "truth.jsonl"
    run_end = datetime.now(UTC) - timedelta(minutes=5)
    run_start = (run_end - timedelta(hours=20)).replace(microsecond=0)
    run_simulator(
        settings,
        city_file,
        "--devices", "parking",
        "--start", run_start.isoformat(),
        "--duration", "20h",
        "--speed", "max",
        "--seed", "29",
        "--seq",
        "--faults", "duplicate=0.05,reorder=0.05,flicker=0.05",
        "--truth", str(truth_file),
    )  # fmt: skip
    final, records = read_truth(truth_file)
    wait_for(
        lambda: recorder.recorded_messages >= final["published"],
        180,
        f"the recorder to record all {final['published']} messages",
        interval_s=0.5,
    )
    time_of_stream = recorder.stream_time
    assert time_of_stream is not None
    settled = time_of_stream - DEBOUNCE
    city = load_city(city_file)
    expected = _expected(true_stays(records))
    checked = 0
    with Session(recorder.engine) as db:
        for zone in city.parking_zones:
            for space in zone.spaces:
                rows = db.scalars(
                    select(ParkingSession)
                    .where(
                        ParkingSession.zone == zone.id,
                        ParkingSession.space == space.id,
                        ParkingSession.status == "closed",
                    )
                    .order_by(ParkingSession.start)
                ).all()
                want = [
                    s for s in expected.get(space.id, []) if s.end is not None and s.end <= settled
                ]
                assert [(r.start, r.end) for r in rows] == [(s.start, s.end) for s in want], space
                for row in rows:
                    assert row.end is not None
                    if row.start == run_start:
                        continue  # the simulator's first report: the stay began before it
                    fee = compute_fee(
                        city.tariff_for_zone(zone.id), row.start, row.end,
                        city.workday_calendar, city.tz,
                    )  # fmt: skip
                    net = db.scalar(
                        select(func.sum(Charge.amount_fen)).where(Charge.session_id == row.id)
                    )
                    assert net == fee.total_fen, (space.id, row.start)
                    checked += 1
    assert checked > 50, "too few finished stays to prove the charges"
