"""``python -m curbside.recorder`` as a real subprocess for the record tests, and a small city
for it."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import yaml
from sqlalchemy import Engine

from curbside.city.registry import load_city
from curbside.config.rules import session_rules
from curbside.config.settings import Settings
from curbside.recorder.service import Recorder
from tests.records.stream_truth import Report, check_records, reports_recorded
from tests.support import forget_session, wait_for
from tools.harness.processes import CurbsideProcess, settings_env


def hourly_tariff(fen: int) -> dict[str, Any]:
    """¥fen/100 per started hour, all day, every day, after a 15-minute grace (free when not
    exceeded): simple enough to price by hand."""
    return {
        "grace": {"minutes": 15, "charged_when_exceeded": False},
        "bands": [
            {
                "name": "all",
                "start": "00:00",
                "end": "00:00",
                "price": {
                    "kind": "tiered",
                    "tiers": [{"unit_minutes": 60, "unit_fen": fen}],
                    "partial": "round-up",
                },
            }
        ],
    }


def write_city(path: Path, zone: str, spaces: int) -> Path:
    """A registry with one zone of ``spaces`` spaces under ¥1 per started hour."""
    city = {
        "tariffs": {"hourly": hourly_tariff(100)},
        "parking_zones": [
            {
                "id": zone,
                "name": "recorder test",
                "tariff": "hourly",
                "spaces": [{"id": f"S{n}", "lat": 0, "lon": 0} for n in range(spaces)],
            }
        ],
    }
    path.write_text(yaml.safe_dump(city), encoding="utf-8")
    return path


class RecorderProcess(CurbsideProcess):
    """The recorder subprocess: start (waits until it follows the broker), kill -9, stop."""

    def __init__(self, settings: Settings, log_path: Path) -> None:
        self.settings = settings
        self.log_path = log_path
        self._connections = 0
        super().__init__("recorder", ["curbside.recorder"], settings_env(settings), log_path)

    def start(self, *, new_session: bool = True) -> RecorderProcess:
        """Start it and wait for its connection to the broker."""
        super().start(new_session=new_session)
        self._connections += 1
        wait_for(self._connected, 60, "the recorder to connect", interval_s=0.2)
        return self

    @property
    def process(self) -> subprocess.Popen[bytes] | None:
        """The running process, if started."""
        return self.popen

    def _connected(self) -> bool:
        self.check_running()
        text = self.log_path.read_text(encoding="utf-8", errors="replace")
        return text.count("connected to the broker (session") >= self._connections


def drain_and_check(recorder: RecorderProcess, engine: Engine, reports: list[Report]) -> None:
    """Wait until every report is recorded, stop the recorder, and check the records against
    the rules applied to everything published (tests/records/stream_truth.py)."""
    wait_for(
        lambda: reports_recorded(engine) == len(reports),
        120,
        "every report to be recorded",
        interval_s=0.5,
    )
    recorder.stop()
    city = load_city(recorder.settings.city_file)
    check_records(engine, reports, city, session_rules(recorder.settings))


@contextmanager
def recording(
    settings: Settings, records_url: str, city_file: Path, client_id: str
) -> Iterator[Recorder]:
    """A recorder in this process for the city, on ``records_url``, connected; its MQTT
    session is forgotten afterwards so it collects nothing for later tests."""
    running = Recorder(
        settings.replace(
            records_url=records_url,
            city_file=city_file,
            recorder_client_id=client_id,
            recorder_tick_s=1.0,
        ),
        load_city(city_file),
    )
    running.start()
    try:
        wait_for(lambda: running.follower.connected, 10, "the recorder to connect")
        yield running
    finally:
        running.stop()
        forget_session(settings, client_id)
