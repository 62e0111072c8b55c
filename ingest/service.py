"""Wiring of one ingester: settings, city, store, consumer, metrics endpoint, summaries."""

from __future__ import annotations

import logging
import threading

from prometheus_client import start_http_server

import decoders.formats  # noqa: F401 - registers every payload format
from city.registry import load_city
from config.settings import Settings
from decoders.registry import subscriptions
from ingest.consumer import Consumer
from ingest.metrics import IngestMetrics
from ingest.pipeline import Pipeline
from ingest.sharding import apply_shard
from ingest.spool import Spool
from store.influx import InfluxClient, Unavailable
from telemetry.intake import Intake

log = logging.getLogger(__name__)


class Ingester:
    """One running ingester. ``start``, then ``stop`` (flushes and acknowledges)."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.city = load_city(settings.city_file)
        self.metrics = IngestMetrics()
        self.store = InfluxClient.from_settings(settings)
        pipeline = Pipeline(Intake.from_settings(settings, self.city, self.metrics.count_skipped))
        # One spool per client id: each ingester owns its folder (a lock keeps others out).
        settings, topic_filters = apply_shard(settings, self.city, subscriptions())
        self.spool = (
            Spool(
                settings.ingest_spool_dir / settings.mqtt_client_id,
                settings.ingest_spool_max_bytes,
            )
            if settings.ingest_spool_max_bytes
            else None
        )
        self.consumer = Consumer(
            settings,
            pipeline,
            self.metrics,
            self.store.write,
            spool=self.spool,
            topic_filters=topic_filters,
        )
        self._stopped = threading.Event()
        self._metrics_server: object | None = None

    def start(self) -> None:
        """Create the database if needed, serve metrics, and start consuming."""
        self._ensure_database()
        if self.settings.ingest_metrics_port:
            server, _thread = start_http_server(
                self.settings.ingest_metrics_port,
                addr=self.settings.ingest_metrics_host,
                registry=self.metrics.registry,
            )
            self._metrics_server = server
        log.info(
            "ingest for %s: %d spaces, %d bins, %d LoRaWAN sensors; broker %s:%d; InfluxDB %s "
            "db=%s",
            self.city.name,
            self.city.space_count,
            self.city.bin_count,
            len(self.city.sensors),
            self.settings.mqtt_host,
            self.settings.mqtt_port,
            self.settings.influx_url,
            self.settings.influx_db,
        )
        self.consumer.start()
        threading.Thread(target=self._summarise, name="summary", daemon=True).start()

    def stop(self) -> None:
        """Flush, acknowledge and disconnect."""
        self._stopped.set()
        self.consumer.stop()
        log.info("stopped: %s", self.metrics.summary())
        self.store.close()
        if self.spool is not None:
            self.spool.close()

    def _ensure_database(self) -> None:
        # The database may not be up yet when the whole system starts together: wait for it.
        # Any other refusal (bad credentials, no rights) is fatal and raised as it is.
        delay = 1.0
        while not self._stopped.is_set():
            try:
                self.store.ensure_database()
                return
            except Unavailable as exc:
                log.warning("InfluxDB not ready (%s); retrying in %.0fs", exc, delay)
                self._stopped.wait(delay)
                delay = min(delay * 2, 30.0)

    def _summarise(self) -> None:
        while not self._stopped.wait(self.settings.ingest_summary_interval_s):
            log.info("%s", self.metrics.summary())
