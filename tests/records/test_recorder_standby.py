"""Two recorders on one record store, on SQLite and PostgreSQL: one writes, the other waits as a
hot standby and takes over when the first is killed with -9; then the first, restarted, waits
in turn and takes over when the second is killed. Nothing is lost or doubled
(tests/records/stream_truth.py says what the records must be). The broker is the one
scripts/test started; both recorders share one MQTT session, as a deployment's would."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from functools import partial
from pathlib import Path

import pytest

from curbside.adapters.records.engine import record_engine
from curbside.config.settings import Settings
from tests.faults.stack import SteadyPublisher, publisher
from tests.records.recorder_process import RecorderProcess, drain_and_check
from tests.records.stream_truth import as_messages, status_stream
from tests.records.test_recorder_crash import recorder_settings
from tests.support import forget_session, wait_for
from tools.harness.processes import CurbsideProcess

pytestmark = [pytest.mark.records, pytest.mark.faults]

SPACES = 12
REPORTS_PER_SPACE = 60
RATE = 100  # messages per second: 7 s of stream, with two take-overs in it
KILL_AT = (150, 450)
LEASE_S = 3.0


def _published(steady: SteadyPublisher, count: int) -> bool:
    return steady.published >= count


def _logged(process: RecorderProcess, text: str, times: int = 1) -> bool:
    process.check_running()
    return process.log_path.read_text(errors="replace").count(text) >= times


def _start_standby(process: RecorderProcess) -> None:
    # Not RecorderProcess.start: that waits for a broker connection a standby never makes.
    CurbsideProcess.start(process, new_session=True)
    wait_for(partial(_logged, process, "standby: the lease is held by"), 60, "standby")


@pytest.fixture
def pair(
    base_settings: Settings, records_url: str, tmp_path: Path, unique: str
) -> Iterator[tuple[RecorderProcess, RecorderProcess]]:
    settings = recorder_settings(base_settings, records_url, tmp_path, unique)
    processes = tuple(
        RecorderProcess(
            settings.replace(recorder_instance=name, recorder_lease_s=LEASE_S),
            tmp_path / f"recorder-{name}.log",
        )
        for name in ("a", "b")
    )
    yield processes  # type: ignore[misc]
    for process in processes:
        if process.process is not None and process.process.poll() is None:
            process.stop()
    forget_session(settings, settings.recorder.client_id)


def test_a_standby_takes_over_from_a_killed_recorder_and_nothing_is_lost_or_doubled(
    pair: tuple[RecorderProcess, RecorderProcess], records_url: str, unique: str
) -> None:
    a, b = pair
    reports = status_stream(f"RZ{unique}", SPACES, REPORTS_PER_SPACE, datetime.now(UTC))
    a.start()
    _start_standby(b)
    assert "connected to the broker" not in b.log_path.read_text()
    client = publisher(a.settings, f"pub-{unique}")
    steady = SteadyPublisher(client, as_messages(reports), RATE)
    engine = record_engine(records_url)
    try:
        steady.start()
        wait_for(partial(_published, steady, KILL_AT[0]), 60, f"{KILL_AT[0]} published")
        a.kill()
        wait_for(partial(_logged, b, "took over the lease as b"), 30, "b to take over")
        wait_for(partial(_logged, b, "connected to the broker (session"), 30, "b to connect")
        _start_standby(a)  # restarted, a waits: b holds the lease now
        wait_for(partial(_published, steady, KILL_AT[1]), 60, f"{KILL_AT[1]} published")
        b.kill()
        wait_for(partial(_logged, a, "took over the lease as a"), 30, "a to take over")
        steady.join(60)
        drain_and_check(a, engine, reports)
    finally:
        engine.dispose()
        client.disconnect()
        client.loop_stop()
