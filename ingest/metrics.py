"""Ingest's counters, exported for Prometheus and summarised in the log."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

from curbside.vocabulary.rejection import Reason, Skipped

DEADLETTER_DROP_CAUSES = ("topic_too_long", "queue_full", "publish_failed")


class IngestMetrics:
    """One registry per ingester, so several can live in one test process."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        r = self.registry
        self.received = Counter("curbside_ingest_received", "MQTT messages received", registry=r)
        self.redelivered = Counter(
            "curbside_ingest_redelivered",
            "Messages the broker delivered again (DUP flag): stored again, idempotently",
            registry=r,
        )
        self.stored = Counter(
            "curbside_ingest_stored_points", "Points InfluxDB accepted", registry=r
        )
        self.rejected = Counter(
            "curbside_ingest_rejected",
            "Messages rejected, by reason",
            ["reason"],
            registry=r,
        )
        self.skipped_parts = Counter(
            "curbside_ingest_skipped_parts",
            "Parts of stored messages left out (configuration replies, unknown channels or "
            "values), by reason",
            ["reason"],
            registry=r,
        )
        self.write_dropped = Counter(
            "curbside_ingest_write_dropped_points",
            "Points InfluxDB refused as invalid (HTTP 4xx); dropped and acknowledged",
            registry=r,
        )
        self.write_retries = Counter(
            "curbside_ingest_write_retries",
            "Batch writes retried, by cause",
            ["cause"],
            registry=r,
        )
        self.batch_size = Histogram(
            "curbside_ingest_batch_points",
            "Points per InfluxDB write",
            buckets=(1, 10, 100, 500, 1000, 2000, 5000, 10000, 50000),
            registry=r,
        )
        self.write_seconds = Histogram(
            "curbside_ingest_write_seconds",
            "Latency of successful InfluxDB writes",
            buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
            registry=r,
        )
        self.pending = Gauge(
            "curbside_ingest_pending_points",
            "Points waiting to be written (and their messages to be acknowledged)",
            registry=r,
        )
        self.pending_messages = Gauge(
            "curbside_ingest_pending_messages",
            "Messages held in memory waiting for their batch (bounded by "
            "CURBSIDE_INGEST_MAX_PENDING_MESSAGES)",
            registry=r,
        )
        self.backpressure_waits = Counter(
            "curbside_ingest_backpressure_waits",
            "Times a delivered message had to wait for room in memory (the broker kept the rest)",
            registry=r,
        )
        self.stale_acks_skipped = Counter(
            "curbside_ingest_stale_acks_skipped",
            "Acknowledgements not sent because the connection they belonged to was gone "
            "(the broker redelivers those messages on the new connection)",
            registry=r,
        )
        self.database_up = Gauge(
            "curbside_ingest_database_up",
            "1 while the last InfluxDB write succeeded, 0 during an outage",
            registry=r,
        )
        self.spooled_points = Counter(
            "curbside_ingest_spooled_points",
            "Points written to the on-disk spool during an InfluxDB outage",
            registry=r,
        )
        self.spool_drained_points = Counter(
            "curbside_ingest_spool_drained_points",
            "Spooled points written back to InfluxDB",
            registry=r,
        )
        self.spool_full = Counter(
            "curbside_ingest_spool_full",
            "Batches the full spool could not take (kept in memory, unacknowledged)",
            registry=r,
        )
        self.spool_bytes = Gauge(
            "curbside_ingest_spool_bytes", "Bytes held in the on-disk spool", registry=r
        )
        self.spool_segments = Gauge(
            "curbside_ingest_spool_segments", "Batches held in the on-disk spool", registry=r
        )
        self.connected = Gauge(
            "curbside_ingest_broker_connected", "1 while connected to the broker", registry=r
        )
        self.message_errors = Counter(
            "curbside_ingest_message_errors",
            "Messages whose handling failed unexpectedly: logged at ERROR, acknowledged, dropped",
            registry=r,
        )
        self.deadletters_dropped = Counter(
            "curbside_ingest_deadletters_dropped",
            "Rejected messages acknowledged without a dead letter, by cause "
            "(topic_too_long, queue_full, publish_failed)",
            ["cause"],
            registry=r,
        )
        self.retained_skipped = Counter(
            "curbside_ingest_retained_skipped",
            "Retained messages without a device timestamp, acknowledged and not stored",
            registry=r,
        )
        self.healthy = Gauge(
            "curbside_ingest_healthy",
            "1 while every thread of ingest runs; 0 once one died (the process then exits)",
            registry=r,
        )
        for cause in DEADLETTER_DROP_CAUSES:
            self.deadletters_dropped.labels(cause=cause)
        for reason in Reason:  # export zeros so dashboards see every reason from the start
            self.rejected.labels(reason=str(reason))

    def count_skipped(self, part: Skipped) -> None:
        """Count one part of a message that was left out while the rest was stored."""
        self.skipped_parts.labels(reason=str(part.reason)).inc()

    def rejected_by_reason(self) -> dict[str, int]:
        """Current rejection counts per reason (non-zero only)."""
        counts: dict[str, int] = {}
        for metric in self.rejected.collect():
            for sample in metric.samples:
                if sample.name.endswith("_total") and sample.value:
                    counts[sample.labels["reason"]] = int(sample.value)
        return counts

    def summary(self) -> str:
        """A one-line summary for the periodic log."""
        rejected = self.rejected_by_reason()
        detail = ",".join(f"{k}={v}" for k, v in sorted(rejected.items())) or "none"
        return (
            f"received={self.value('curbside_ingest_received_total')} "
            f"stored={self.value('curbside_ingest_stored_points_total')} "
            f"rejected={sum(rejected.values())} ({detail}) "
            f"redelivered={self.value('curbside_ingest_redelivered_total')} "
            f"write_dropped={self.value('curbside_ingest_write_dropped_points_total')} "
            f"pending={self.value('curbside_ingest_pending_points')} "
            f"spooled={self.value('curbside_ingest_spooled_points_total')} "
            f"spool_bytes={self.value('curbside_ingest_spool_bytes')}"
        )

    def value(self, sample: str, **labels: str) -> int:
        """The current value of one sample, e.g. ``curbside_ingest_stored_points_total``."""
        return int(self.registry.get_sample_value(sample, labels) or 0)
