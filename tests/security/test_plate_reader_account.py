"""A handheld's or video pole's broker account (role ``plate-reader``) publishes plates under
its own name and nowhere else, so the topic proves who saw a plate (docs/payments.md).
Proven by what a real subscriber receives (see test_broker_auth for the marker method)."""

from __future__ import annotations

import pytest

from curbside.adapters.provisioning.changes import add_service, revoke
from curbside.adapters.provisioning.store import BrokerFiles, broker_dir
from curbside.config.settings import Settings
from curbside.vocabulary.topics import plate_topic
from tests.security.broker import attempt, listening
from tests.support import reload_and_wait

pytestmark = pytest.mark.integration


@pytest.mark.parametrize(
    "denied",
    [
        plate_topic("pda-someone-else", "Z01", "Z01-001"),  # another account's name
        "parking/Z01/Z01-001/status",  # a sensor's topic
        "plates/x",
    ],
)
def test_a_plate_reader_publishes_only_under_its_own_name(
    base_settings: Settings, unique: str, denied: str
) -> None:
    files = BrokerFiles(broker_dir(base_settings))
    name = f"pda-{unique}"
    reader = add_service(files, "plate-reader", name, rotate=False)
    reload_and_wait(files, base_settings, [reader])
    try:
        bad, good = f"denied {unique}".encode(), f"allowed {unique}".encode()
        with listening(base_settings, ("#",)) as listener:
            attempt(base_settings, reader, denied, bad)
            attempt(base_settings, reader, plate_topic(name, "Z01", "Z01-001"), good)
            listener.sync()
        assert listener.got(good), "the reader cannot publish under its own name"
        assert not listener.got(bad), f"the reader published to {denied}"
    finally:
        revoke(files, [name])
        reload_and_wait(files, base_settings, [])
