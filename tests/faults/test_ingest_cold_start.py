"""Ingest started while InfluxDB is down (issue 12): it serves health and metrics at once,
consumes and spools to disk as it does once an outage begins, and when InfluxDB comes up it
creates its database and stores every message."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from curbside.adapters.influx.client import InfluxClient
from tests.faults.stack import (
    IngesterProcess,
    PrivateServices,
    count_points,
    parking_messages,
    publish_all,
)
from tests.support import wait_for

pytestmark = pytest.mark.faults

PORT_SLOT = 5  # private ports: see tests/faults/conftest.py
MESSAGES = 3_000
DATABASE = "faults_cold"  # never created before ingest starts: ingest must create it


def test_ingest_started_without_influxdb_serves_metrics_spools_and_then_stores_everything(
    services: PrivateServices, ingester: IngesterProcess
) -> None:
    services.run("stop", "influx")
    ingester.settings = ingester.settings.replace(
        influx_db=DATABASE, ingest_spool_after_s=2.0, ingest_retry_max_s=2.0
    )
    # Returns once /metrics says the broker is connected: with InfluxDB down.
    ingester.start()
    status, health = ingester.health()
    assert status == 200
    assert health["status"] == "ok"
    assert health["database_up"] is False
    messages = parking_messages(ingester.settings, MESSAGES, datetime.now(UTC) - timedelta(hours=1))
    publish_all(ingester.settings, messages, "faults-cold-publisher")
    wait_for(
        lambda: ingester.value("curbside_ingest_spooled_points_total") == MESSAGES,
        60,
        "every message to be consumed and spooled while InfluxDB is down",
    )
    assert ingester.value("curbside_ingest_pending_messages") == 0
    services.run("start", "influx")
    influx = InfluxClient.from_settings(ingester.settings)
    try:
        wait_for(lambda: _stored(influx) == MESSAGES, 60, "the spool to be written back")
        wait_for(lambda: ingester.value("curbside_ingest_spool_segments") == 0, 10, "empty spool")
        assert ingester.health()[1]["database_up"] is True
        assert ingester.alive
        assert ingester.stop() == 0
    finally:
        influx.close()


def _stored(influx: InfluxClient) -> int:
    try:
        return count_points(influx)
    except Exception:  # noqa: BLE001 - the database is not there until ingest creates it
        return 0
