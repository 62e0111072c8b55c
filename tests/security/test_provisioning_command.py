"""``python -m curbside.cli.provisioning`` against the running test broker: add, log in, revoke."""

from __future__ import annotations

import pytest

from curbside.adapters.mqtt.client import connack
from curbside.config.settings import Settings
from tests.security.broker import NOT_AUTHORISED, provisioning_command
from tests.support import ACCEPTED, access_as, wait_for

pytestmark = pytest.mark.integration

DEVICE = "Z01-003"


def test_add_reloads_the_broker_and_revoke_locks_the_device_out(base_settings: Settings) -> None:
    added = provisioning_command(base_settings, "device", "add", "--rotate", DEVICE)
    assert added.returncode == 0, added.stderr
    username, password = added.stdout.strip().split("\t")
    assert username == DEVICE
    assert "broker reloaded" in added.stderr and f"{DEVICE} logs in" in added.stderr
    # The command waited for the reload: the new password works at once.
    assert connack(access_as(base_settings, DEVICE, password), client_id="cli-1") == ACCEPTED

    listed = provisioning_command(base_settings, "device", "list")
    assert DEVICE in [line.split("\t")[0] for line in listed.stdout.splitlines()]

    revoked = provisioning_command(base_settings, "device", "revoke", DEVICE)
    assert revoked.returncode == 0, revoked.stderr
    wait_for(
        lambda: (
            connack(access_as(base_settings, DEVICE, password), client_id="cli-2") == NOT_AUTHORISED
        ),
        30,
        "the revoked device to be refused",
    )
