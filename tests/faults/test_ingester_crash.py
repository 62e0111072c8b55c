"""Promise 2: kill -9 of the ingester, several times during a steady run, loses nothing and
stores nothing twice; the broker's redeliveries are counted."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from functools import partial

import pytest

from tests.faults.stack import (
    IngesterProcess,
    PrivateServices,
    SteadyPublisher,
    count_points,
    parking_messages,
    publisher,
)
from tests.support import wait_for

pytestmark = pytest.mark.faults

PORT_SLOT = 1  # private ports: see tests/faults/conftest.py
MESSAGES = 10_000
RATE = 250  # messages per second: 40 s of steady traffic
KILL_AT = (2_000, 4_500, 7_000)  # published messages at which the ingester is killed


def test_kill_9_of_the_ingester_loses_nothing_and_duplicates_nothing(
    services: PrivateServices, ingester: IngesterProcess
) -> None:
    # A long flush interval keeps messages in flight (received, not yet acknowledged) at
    # every kill, so each kill really leaves the broker something to redeliver.
    ingester.settings = ingester.settings.replace(ingest_flush_interval_s=2.0)
    influx = services.influx()
    first_ts = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=1)
    messages = parking_messages(services.settings, MESSAGES, first_ts)
    client = publisher(services.settings, "faults-crash-publisher")
    steady = SteadyPublisher(client, messages, RATE)
    redelivered = 0.0
    try:
        ingester.start()
        steady.start()
        for kill_at in KILL_AT:
            wait_for(partial(_reached, steady, kill_at), 120, f"{kill_at} messages published")
            wait_for(
                lambda: ingester.value("curbside_ingest_pending_messages") > 0,
                30,
                "messages in flight in the ingester",
            )
            redelivered += ingester.value("curbside_ingest_redelivered_total")
            ingester.kill()
            ingester.start()
        steady.join(120)
        wait_for(lambda: count_points(influx) >= MESSAGES, 120, "every message to be stored")
        wait_for(
            lambda: ingester.value("curbside_ingest_pending_messages") == 0, 30, "a quiet ingester"
        )
        redelivered += ingester.value("curbside_ingest_redelivered_total")
        assert ingester.alive
    finally:
        client.disconnect()
        client.loop_stop()
    assert ingester.stop() == 0
    # Exactly as many points as messages: redelivered copies overwrote, none was added twice.
    assert count_points(influx) == MESSAGES
    assert redelivered >= len(KILL_AT)
    print(f"\ncrash: {len(KILL_AT)} kills, {redelivered:.0f} redeliveries counted")
    influx.close()


def _reached(steady: SteadyPublisher, count: int) -> bool:
    return steady.published >= count
