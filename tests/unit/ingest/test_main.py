"""``python -m ingest`` refuses bad configuration at start-up, naming what is wrong."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).parents[3]


def _run(tmp_path: Path, **env: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("CURBSIDE_")}
    return subprocess.run(
        [sys.executable, "-m", "ingest"],
        cwd=REPO,
        env={**clean, "CURBSIDE_INGEST_METRICS_PORT": "0", **env},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_bad_setting_is_named_and_exits_2(tmp_path: Path) -> None:
    result = _run(tmp_path, CURBSIDE_MQTT_PORT="not-a-port")
    assert result.returncode == 2
    assert "CURBSIDE_MQTT_PORT" in result.stderr


def test_bad_city_file_is_named_and_exits_2(tmp_path: Path) -> None:
    city = tmp_path / "city.yaml"
    city.write_text("parking_zones:\n  - id: Z1\n    name: x\n    tariff: t\n    spaces: []\n")
    result = _run(tmp_path, CURBSIDE_CITY_FILE=str(city))
    assert result.returncode == 2
    assert str(city) in result.stderr
    assert "parking_zones.0.spaces" in result.stderr


def test_help_describes_the_process() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "ingest", "--help"],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    assert "acknowledging each message only once it is stored" in result.stdout
