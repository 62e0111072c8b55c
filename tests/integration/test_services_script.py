"""scripts/services against the test services that scripts/test started with it."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import httpx
import pytest

from curbside.config.settings import Settings

pytestmark = pytest.mark.integration

REPO = Path(__file__).resolve().parents[2]
SERVICES = REPO / "scripts" / "services"


def _services(*args: str) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ)
    # Run outside scripts/test, the test services still live in .run/test (see scripts/test).
    env.setdefault("CURBSIDE_RUN_DIR", str(REPO / ".run" / "test"))
    return subprocess.run(
        [str(SERVICES), *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        stdin=subprocess.DEVNULL,
    )


def test_status_reports_both_services_running(base_settings: Settings) -> None:
    result = _services("status")
    assert result.returncode == 0, result.stdout + result.stderr
    lines = result.stdout.splitlines()
    assert any(line.startswith("services: mqtt: running") for line in lines), result.stdout
    assert any(line.startswith("services: influx: running") for line in lines), result.stdout
    assert "NOT answering" not in result.stdout


def test_second_start_is_a_no_op(base_settings: Settings) -> None:
    before = _services("status").stdout
    result = _services("start")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "mqtt: already running" in result.stdout
    assert "influx: already running" in result.stdout
    assert _services("status").stdout == before


def test_influx_requires_the_configured_credentials(base_settings: Settings) -> None:
    password = base_settings.influx.password
    assert base_settings.influx.username is not None and password is not None
    url = f"{base_settings.influx.url}/query"
    query = {"q": "SHOW DATABASES"}
    with httpx.Client(timeout=10) as client:
        anonymous = client.post(url, data=query)
        wrong = client.post(url, data=query, auth=(base_settings.influx.username, "wrong"))
        right = client.post(
            url, data=query, auth=(base_settings.influx.username, password.get_secret_value())
        )
    assert anonymous.status_code == 401
    assert wrong.status_code == 401
    assert right.status_code == 200, right.text
    assert "error" not in right.json()["results"][0]


def test_unknown_command_is_a_usage_error() -> None:
    result = _services("restart")
    assert result.returncode == 2
    assert "usage: scripts/services start|stop|status" in result.stderr
