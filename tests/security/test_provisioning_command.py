"""``python -m curbside.cli.provisioning`` against the running test broker: add, log in, revoke."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from curbside.adapters.mqtt.client import connack
from curbside.config.settings import Settings
from tests.security.broker import NOT_AUTHORISED
from tests.support import ACCEPTED, access_as, wait_for

pytestmark = pytest.mark.integration

REPO = Path(__file__).resolve().parents[2]
DEVICE = "Z01-003"


def _provisioning(settings: Settings, *args: str) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "CURBSIDE_RUN_DIR": str(settings.run_dir),
        "CURBSIDE_MQTT_PORT": str(settings.mqtt.port),
    }
    return subprocess.run(
        [sys.executable, "-m", "curbside.cli.provisioning", *args],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_add_reloads_the_broker_and_revoke_locks_the_device_out(base_settings: Settings) -> None:
    added = _provisioning(base_settings, "device", "add", "--rotate", DEVICE)
    assert added.returncode == 0, added.stderr
    username, password = added.stdout.strip().split("\t")
    assert username == DEVICE
    assert "broker reloaded" in added.stderr and f"{DEVICE} logs in" in added.stderr
    # The command waited for the reload: the new password works at once.
    assert connack(access_as(base_settings, DEVICE, password), client_id="cli-1") == ACCEPTED

    listed = _provisioning(base_settings, "device", "list")
    assert DEVICE in [line.split("\t")[0] for line in listed.stdout.splitlines()]

    revoked = _provisioning(base_settings, "device", "revoke", DEVICE)
    assert revoked.returncode == 0, revoked.stderr
    wait_for(
        lambda: (
            connack(access_as(base_settings, DEVICE, password), client_id="cli-2") == NOT_AUTHORISED
        ),
        30,
        "the revoked device to be refused",
    )
