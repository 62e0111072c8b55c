"""The record database (PostgreSQL) stopped and started again under a running recorder:
it waits, then records everything, nothing lost or doubled (tests/records/stream_truth.py).

A private PostgreSQL of its own, started by scripts/services, so that stopping it disturbs
no other test.
"""

from __future__ import annotations

import os
import socket
import subprocess
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from curbside.adapters.records.engine import record_engine
from curbside.city.registry import load_city
from curbside.config.rules import session_rules
from curbside.config.settings import Settings
from tests.faults.stack import REPO, publish_all
from tests.records.recorder_process import RecorderProcess
from tests.records.stream_truth import as_messages, check_records, reports_recorded, status_stream
from tests.records.test_recorder_crash import REPORTS_PER_SPACE, SPACES, recorder_settings
from tests.support import forget_session, wait_for
from tools.harness.ports import free_port
from tools.harness.processes import scrape

pytestmark = [pytest.mark.records, pytest.mark.faults]

PASSWORD = "curbside-dev-only"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class PrivatePostgres:
    """scripts/services' PostgreSQL on a port and run dir of its own."""

    def __init__(self) -> None:
        self.port = _free_port()
        # Under the repository, not pytest's private tmp: the postgres user must reach it.
        self.run_dir = REPO / ".run" / "test" / f"pg-restart-{uuid.uuid4().hex[:8]}"
        self.url = f"postgresql+psycopg://curbside:{PASSWORD}@127.0.0.1:{self.port}/curbside"

    def run(self, action: str) -> None:
        env = {k: v for k, v in os.environ.items() if not k.startswith("CURBSIDE_")}
        env.update(CURBSIDE_RUN_DIR=str(self.run_dir), CURBSIDE_PG_PORT=str(self.port))
        result = subprocess.run(
            ["scripts/services", action, "postgres"],
            cwd=REPO, env=env, capture_output=True, timeout=120, check=False,
        )  # fmt: skip
        assert result.returncode == 0, result.stderr.decode()[-2000:]


@pytest.fixture
def postgres() -> Iterator[PrivatePostgres]:
    server = PrivatePostgres()
    server.run("start")
    try:
        yield server
    finally:
        server.run("stop")
        subprocess.run(["rm", "-rf", str(server.run_dir)], check=False)


def test_the_recorder_waits_out_a_database_restart(
    base_settings: Settings, postgres: PrivatePostgres, tmp_path: Path, unique: str
) -> None:
    settings = recorder_settings(base_settings, postgres.url, tmp_path, unique).replace(
        recorder_metrics_port=free_port()
    )
    metrics = f"http://127.0.0.1:{settings.recorder.metrics_port}/metrics"
    recorder = RecorderProcess(settings, tmp_path / "recorder.log")
    reports = status_stream(f"RZ{unique}", SPACES, REPORTS_PER_SPACE, datetime.now(UTC))
    messages = as_messages(reports)
    third = len(messages) // 3
    engine = record_engine(postgres.url)
    try:
        recorder.start()
        publish_all(settings, messages[:third], f"pub-{unique}")
        wait_for(lambda: reports_recorded(engine) == third, 60, "the first third recorded")
        engine.dispose()
        postgres.run("stop")
        publish_all(settings, messages[third : 2 * third], f"pub-{unique}")
        time.sleep(3)  # the recorder meets the outage and retries
        assert recorder.process is not None and recorder.process.poll() is None
        postgres.run("start")
        publish_all(settings, messages[2 * third :], f"pub-{unique}")
        wait_for(
            lambda: reports_recorded(engine) == len(reports),
            120,
            "every report to be recorded",
            interval_s=0.5,
        )
        retries = scrape(metrics)[("curbside_recorder_commit_retries_total", ())]
        assert recorder.stop() == 0
        text = recorder.log_path.read_text(encoding="utf-8")
        # Every failed transaction is logged and counted once.
        assert text.count("record database unavailable") == retries > 0
        check_records(engine, reports, load_city(settings.city_file), session_rules(settings))
    finally:
        engine.dispose()
        if recorder.process is not None:
            recorder.stop()
        forget_session(settings, settings.recorder.client_id)
