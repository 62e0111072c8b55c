"""``python -m recorder`` as a real subprocess for the record tests, and a small city for it."""

from __future__ import annotations

import signal
import subprocess
import sys
from pathlib import Path

import yaml

from config.settings import Settings
from tests.faults.stack import REPO, settings_env
from tests.support import wait_for

HOURLY_TARIFF = {
    "grace": {"minutes": 15, "charged_when_exceeded": False},
    "bands": [
        {
            "name": "all",
            "start": "00:00",
            "end": "00:00",
            "price": {
                "kind": "tiered",
                "tiers": [{"unit_minutes": 60, "unit_fen": 100}],
                "partial": "round-up",
            },
        }
    ],
}


def write_city(path: Path, zone: str, spaces: int) -> Path:
    """A registry with one zone of ``spaces`` spaces under ¥1 per started hour."""
    city = {
        "tariffs": {"hourly": HOURLY_TARIFF},
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


class RecorderProcess:
    """The recorder subprocess: start (waits until it follows the broker), kill -9, stop."""

    def __init__(self, settings: Settings, log_path: Path) -> None:
        self.settings = settings
        self.log_path = log_path
        self.process: subprocess.Popen[bytes] | None = None
        self._connections = 0

    def start(self) -> None:
        """Start it and wait for its connection to the broker."""
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "recorder"],
                cwd=REPO,
                env=settings_env(self.settings),
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        self._connections += 1
        wait_for(self._connected, 60, "the recorder to connect", interval_s=0.2)

    def _connected(self) -> bool:
        assert self.process is not None
        if self.process.poll() is not None:
            raise AssertionError(f"the recorder exited ({self.process.returncode}); see log")
        text = self.log_path.read_text(encoding="utf-8", errors="replace")
        return text.count("connected (session") >= self._connections

    def kill(self) -> None:
        """``kill -9`` and reap it."""
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(30)

    def stop(self) -> int:
        """SIGTERM and wait; the exit status."""
        assert self.process is not None
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(60)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(10)
        return self.process.returncode
