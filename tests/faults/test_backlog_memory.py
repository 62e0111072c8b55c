"""Promise 7: with 40,000 messages queued while the ingester was away and InfluxDB throttled,
the ingester's peak memory stays within the documented bound."""

from __future__ import annotations

import signal
import threading
from datetime import UTC, datetime, timedelta

import pytest

from tests.faults.memory import PEAK_RSS_BOUND_KIB
from tests.faults.stack import (
    IngesterProcess,
    PrivateServices,
    count_points,
    parking_messages,
    publish_all,
)
from tests.support import wait_for

pytestmark = pytest.mark.faults

PORT_SLOT = 4  # private ports: see tests/faults/conftest.py
BACKLOG = 40_000


class Throttle:
    """Slows InfluxDB down by stopping it for ``stopped_s`` out of every period."""

    def __init__(self, services: PrivateServices, stopped_s: float, running_s: float) -> None:
        self._services = services
        self._stopped_s = stopped_s
        self._running_s = running_s
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._run, name="influx-throttle", daemon=True)

    def __enter__(self) -> Throttle:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._done.set()
        self._thread.join(10)
        self._services.signal("influx", signal.SIGCONT)

    def _run(self) -> None:
        while not self._done.is_set():
            self._services.signal("influx", signal.SIGSTOP)
            self._done.wait(self._stopped_s)
            self._services.signal("influx", signal.SIGCONT)
            self._done.wait(self._running_s)


def test_a_40000_message_backlog_with_a_throttled_influxdb_stays_within_the_memory_bound(
    services: PrivateServices, ingester: IngesterProcess
) -> None:
    influx = services.influx()
    ingester.start()  # the persistent session that collects the backlog
    assert ingester.stop() == 0
    messages = parking_messages(
        services.settings, BACKLOG, datetime.now(UTC).replace(microsecond=0) - timedelta(hours=4)
    )
    publish_all(services.settings, messages, "faults-backlog-publisher")
    most_pending = 0.0
    with Throttle(services, stopped_s=1.0, running_s=0.5):
        ingester.start()

        def _stored_all() -> bool:
            nonlocal most_pending
            most_pending = max(most_pending, ingester.value("curbside_ingest_pending_messages"))
            return ingester.value("curbside_ingest_stored_points_total") >= BACKLOG

        wait_for(_stored_all, 300, "the backlog to be stored", interval_s=0.5)
        peak_kib = ingester.peak_rss_kib()
    assert ingester.stop() == 0
    assert count_points(influx) == BACKLOG
    assert most_pending <= ingester.settings.ingest.max_pending_messages
    assert peak_kib <= PEAK_RSS_BOUND_KIB
    print(f"\nbacklog: peak RSS {peak_kib} KiB, most messages pending {most_pending:.0f}")
    influx.close()
