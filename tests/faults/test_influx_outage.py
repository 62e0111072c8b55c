"""Promise 1: an InfluxDB outage loses nothing. InfluxDB is killed (kill -9) part-way through a
steady run and restarted 60 s later, then hung (SIGSTOP) so writes time out, then resumed;
every message is stored, the broker dropped nothing, and the ingester's memory stayed bounded.
"""

from __future__ import annotations

import signal
import time
from datetime import UTC, datetime, timedelta

import pytest

from tests.faults.memory import PEAK_RSS_BOUND_KIB
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

PORT_SLOT = 0  # private ports: see tests/faults/conftest.py
MESSAGES = 12_000
RATE = 120  # messages per second: 100 s of steady traffic
OUTAGE_S = 60  # the outage: InfluxDB restarted 60 s after kill -9
HANG_S = 12  # SIGSTOP long enough for several write timeouts


def test_influx_kill_9_and_hang_lose_nothing(
    services: PrivateServices, ingester: IngesterProcess
) -> None:
    # Short timeouts so the test sees the hang quickly; spool after 5 s of outage so the 60 s
    # one goes through the on-disk spool (in production: 30 s, CURBSIDE_INGEST_SPOOL_AFTER_S).
    ingester.settings = ingester.settings.replace(
        influx_timeout_s=2.0, ingest_retry_max_s=5.0, ingest_spool_after_s=5.0
    )
    influx = services.influx()
    first_ts = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=1)
    messages = parking_messages(services.settings, MESSAGES, first_ts)
    client = publisher(services.settings, "faults-outage-publisher")
    steady = SteadyPublisher(client, messages, RATE)
    hung = False
    try:
        ingester.start()
        steady.start()
        wait_for(lambda: steady.published >= 1_000, 60, "1,000 messages published")
        services.signal("influx", signal.SIGKILL)
        time.sleep(OUTAGE_S)  # the outage itself, as the issue prescribes
        assert ingester.value("curbside_ingest_spooled_points_total") > 0
        services.run("start", "influx")
        wait_for(lambda: steady.published >= 9_500, 120, "9,500 messages published")
        services.signal("influx", signal.SIGSTOP)
        hung = True
        time.sleep(HANG_S)
        services.signal("influx", signal.SIGCONT)
        hung = False
        steady.join(120)
        wait_for(lambda: count_points(influx) >= MESSAGES, 180, "every message to be stored")
        wait_for(
            lambda: ingester.value("curbside_ingest_spool_bytes") == 0, 60, "the spool to drain"
        )
        assert ingester.alive
        peak_kib = ingester.peak_rss_kib()
        spooled = ingester.value("curbside_ingest_spooled_points_total")
        retries = ingester.value("curbside_ingest_write_retries_total", cause="unavailable")
    finally:
        if hung:
            services.signal("influx", signal.SIGCONT)
        client.disconnect()
        client.loop_stop()
    assert ingester.stop() == 0
    assert count_points(influx) == MESSAGES
    assert "dropped" not in services.broker_log().lower()
    assert retries > 0
    assert peak_kib <= PEAK_RSS_BOUND_KIB
    print(f"\noutage: {spooled:.0f} points spooled, {retries:.0f} retries, peak RSS {peak_kib} KiB")
    influx.close()
