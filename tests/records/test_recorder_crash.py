"""The recorder killed with -9 mid-stream, on SQLite and PostgreSQL: no record lost or doubled
(tests/records/stream_truth.py says what the records must be). The broker is the one
scripts/test started."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from functools import partial
from pathlib import Path

import pytest

from curbside.adapters.records.engine import record_engine
from curbside.config.settings import Settings
from tests.faults.stack import SteadyPublisher, publisher
from tests.records.recorder_process import RecorderProcess, drain_and_check, write_city
from tests.records.stream_truth import as_messages, status_stream
from tests.support import forget_session, wait_for

pytestmark = [pytest.mark.records, pytest.mark.faults]

SPACES = 12
REPORTS_PER_SPACE = 60
RATE = 150  # messages per second
KILL_AT = (200, 450)


def _published(steady: SteadyPublisher, count: int) -> bool:
    return steady.published >= count


def recorder_settings(base: Settings, records_url: str, tmp_path: Path, unique: str) -> Settings:
    """Settings for a recorder of its own city and MQTT session, batching small and often."""
    return base.replace(
        records_url=records_url,
        city_file=write_city(tmp_path / "city.yaml", f"RZ{unique}", SPACES),
        recorder_client_id=f"recorder-{unique}",
        recorder_batch_size=40,
        recorder_flush_interval_s=1.0,
        recorder_tick_s=1.0,
    )


@pytest.fixture
def recorder(
    base_settings: Settings, records_url: str, tmp_path: Path, unique: str
) -> Iterator[RecorderProcess]:
    settings = recorder_settings(base_settings, records_url, tmp_path, unique)
    process = RecorderProcess(settings, tmp_path / "recorder.log")
    yield process
    if process.process is not None:
        process.stop()
    forget_session(settings, settings.recorder.client_id)


def test_kill_9_mid_stream_loses_and_doubles_nothing(
    recorder: RecorderProcess, records_url: str, unique: str
) -> None:
    reports = status_stream(f"RZ{unique}", SPACES, REPORTS_PER_SPACE, datetime.now(UTC))
    recorder.start()
    client = publisher(recorder.settings, f"pub-{unique}")
    steady = SteadyPublisher(client, as_messages(reports), RATE)
    engine = record_engine(records_url)
    try:
        steady.start()
        for kill_at in KILL_AT:
            wait_for(partial(_published, steady, kill_at), 60, f"{kill_at} messages published")
            recorder.kill()
            recorder.start()
        steady.join(60)
        drain_and_check(recorder, engine, reports)
    finally:
        engine.dispose()
        client.disconnect()
        client.loop_stop()
