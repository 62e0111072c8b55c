"""Promise 3: messages queued for an offline ingester survive a graceful broker restart
(SIGTERM) and, up to the last autosave, a broker kill -9 (the loss window is measured here and
documented in docs/reliability.md)."""

from __future__ import annotations

import signal
import time
from datetime import UTC, datetime, timedelta

import pytest

from tests.faults.stack import (
    IngesterProcess,
    PrivateServices,
    count_points,
    parking_messages,
    publish_all,
)
from tests.support import wait_for

pytestmark = pytest.mark.faults

PORT_SLOT = 2  # private ports: see tests/faults/conftest.py
MESSAGES = 3_000


def _drain(ingester: IngesterProcess, influx_count: int, what: str) -> None:
    ingester.start()
    wait_for(
        lambda: ingester.value("curbside_ingest_stored_points_total") >= influx_count,
        120,
        what,
    )


def test_sigterm_restart_of_the_broker_keeps_messages_queued_for_an_offline_ingester(
    services: PrivateServices, ingester: IngesterProcess
) -> None:
    influx = services.influx()
    ingester.start()  # creates the persistent session and its subscriptions
    assert ingester.stop() == 0
    first_ts = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=2)
    messages = parking_messages(services.settings, MESSAGES, first_ts)
    publish_all(services.settings, messages, "faults-broker-publisher")
    services.run("stop", "mqtt")  # SIGTERM: Mosquitto saves its state on the way out
    services.run("start", "mqtt")
    _drain(ingester, MESSAGES, "the queued messages to be stored")
    wait_for(lambda: count_points(influx) == MESSAGES, 30, "every message in InfluxDB")
    assert ingester.stop() == 0
    influx.query('DROP SERIES FROM "parking_status"')
    influx.close()


def test_kill_9_of_the_broker_loses_at_most_what_arrived_since_its_last_save(
    services: PrivateServices, ingester: IngesterProcess
) -> None:
    influx = services.influx()
    influx.query('DROP SERIES FROM "parking_status"')
    ingester.start()
    assert ingester.stop() == 0
    first_ts = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=3)
    saved, unsaved = (
        parking_messages(services.settings, MESSAGES, first_ts),
        parking_messages(services.settings, MESSAGES, first_ts + timedelta(minutes=10)),
    )
    database = services.broker_db()
    publish_all(services.settings, saved, "faults-broker-publisher")
    acknowledged_ns = time.time_ns()
    # Wait for the broker's next autosave (autosave_interval in mosquitto.conf).
    wait_for(
        lambda: database.exists() and database.stat().st_mtime_ns > acknowledged_ns,
        60,
        "the broker to save its state",
        interval_s=0.05,
    )
    publish_all(services.settings, unsaved, "faults-broker-publisher")
    services.signal("mqtt", signal.SIGKILL)
    services.run("start", "mqtt")
    _drain(ingester, MESSAGES, "the saved messages to be stored")
    wait_for(
        lambda: ingester.value("curbside_ingest_pending_messages") == 0, 30, "a quiet ingester"
    )
    assert ingester.stop() == 0
    stored = count_points(influx)
    assert stored >= MESSAGES  # everything saved before the kill survived it
    lost = 2 * MESSAGES - stored
    print(f"\nbroker kill -9: {lost} of {MESSAGES} messages published after the last save lost")
    influx.close()
