"""Wiring of one ingester: settings, city, store, consumer, metrics endpoint, summaries."""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence
from typing import Any
from wsgiref.simple_server import WSGIServer

import curbside.adapters.decoders.formats  # noqa: F401 - registers every payload format
from curbside.adapters.decoders.registry import subscriptions
from curbside.adapters.influx.client import InfluxClient, Unavailable
from curbside.adapters.influx.retention import ensure_retention_logged
from curbside.adapters.intake import Intake
from curbside.city.registry import load_city
from curbside.config.settings import Settings
from ingest.consumer import Consumer
from ingest.endpoint import serve
from ingest.liveness import Liveness
from ingest.metrics import IngestMetrics
from ingest.pipeline import Pipeline
from ingest.sharding import apply_shard
from ingest.spool import Spool

log = logging.getLogger(__name__)


class Ingester:
    """One running ingester. ``start``, then ``stop`` (flushes and acknowledges)."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.city = load_city(settings.city_file)
        self.metrics = IngestMetrics()
        self.liveness = Liveness(self.metrics)
        self.store = InfluxClient.from_settings(settings)
        self._database_ready = threading.Event()
        pipeline = Pipeline(Intake.from_settings(settings, self.city, self.metrics.count_skipped))
        # One spool per client id: each ingester owns its folder (a lock keeps others out).
        settings, topic_filters = apply_shard(settings, self.city, subscriptions())
        self.spool = (
            Spool(
                settings.ingest.spool_dir / settings.mqtt.client_id,
                settings.ingest.spool_max_bytes,
            )
            if settings.ingest.spool_max_bytes
            else None
        )
        self.consumer = Consumer(
            settings,
            pipeline,
            self.metrics,
            self._write,
            spool=self.spool,
            topic_filters=topic_filters,
        )
        self._stopped = threading.Event()
        self._running = threading.Event()
        self._metrics_server: WSGIServer | None = None

    def start(self) -> None:
        """Serve metrics and health, and start consuming at once.

        InfluxDB need not be up: the database is created before the first write, and until
        then batches wait and go to the spool exactly as in an outage. A database that
        answers but refuses us (credentials, rights) is fatal: InfluxError is raised.
        """
        self.liveness.install()
        if self.settings.ingest.metrics_port:
            self._metrics_server = serve(
                self.settings.ingest.metrics_host,
                self.settings.ingest.metrics_port,
                self.metrics.registry,
                self.health,
            )
        try:
            self._ensure_database()
        except Unavailable as exc:
            self.metrics.database_up.set(0)
            log.warning("InfluxDB not ready (%s); consuming anyway, spooling if it stays away", exc)
        log.info(
            "ingest for %s: %d spaces, %d bins, %d LoRaWAN sensors; broker %s:%d; InfluxDB %s "
            "db=%s",
            self.city.name,
            self.city.space_count,
            self.city.bin_count,
            len(self.city.sensors),
            self.settings.mqtt.host,
            self.settings.mqtt.port,
            self.settings.influx.url,
            self.settings.influx.db,
        )
        self.consumer.start()
        self._running.set()
        threading.Thread(target=self._summarise, name="summary", daemon=True).start()

    def alive(self) -> bool:
        """False once one of its threads has died (see ingest/liveness.py)."""
        if self._running.is_set() and not self._stopped.is_set():
            self.liveness.check({"batch-writer": self.consumer.writer.thread})
        return not self.liveness.failed.is_set()

    def health(self) -> tuple[bool, dict[str, Any]]:
        """Healthy while every thread runs; the broker and database states as they are."""
        ok = self.alive()
        detail: dict[str, Any] = {
            "status": "ok" if ok else "failed",
            "broker_connected": self.metrics.value("curbside_ingest_broker_connected") == 1,
            "database_up": self.metrics.value("curbside_ingest_database_up") == 1,
            "pending_messages": self.metrics.value("curbside_ingest_pending_messages"),
            "spool_bytes": self.metrics.value("curbside_ingest_spool_bytes"),
        }
        if self.liveness.reason is not None:
            detail["reason"] = self.liveness.reason
        return ok, detail

    def stop(self) -> None:
        """Flush, acknowledge and disconnect."""
        self._stopped.set()
        self.consumer.stop()
        log.info("stopped: %s", self.metrics.summary())
        self.store.close()
        if self.spool is not None:
            self.spool.close()
        if self._metrics_server is not None:
            self._metrics_server.shutdown()
            self._metrics_server.server_close()

    def _ensure_database(self) -> None:
        self.store.ensure_database()
        # Before the first raw reading: it must land in the raw policy (docs/retention.md).
        ensure_retention_logged(self.store, self.settings)
        self._database_ready.set()

    def _write(self, lines: Sequence[str]) -> None:
        # The database may not have been up at start (the whole system starting together):
        # create it before the first write, which would otherwise be refused as 404. Until
        # then this raises Unavailable, and the writer retries and spools as in any outage.
        if not self._database_ready.is_set():
            self._ensure_database()
        self.store.write(lines)

    def _summarise(self) -> None:
        while not self._stopped.wait(self.settings.ingest.summary_interval_s):
            log.info("%s", self.metrics.summary())
