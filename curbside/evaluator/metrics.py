"""The evaluator's Prometheus metrics: round time, alert changes and the active alerts by
kind and status, served on ``CURBSIDE_ALERTS_METRICS_PORT``."""

from __future__ import annotations

from collections.abc import Iterable

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

from curbside.vocabulary.alerts import Alert, AlertKind, AlertStatus


class EvaluatorMetrics:
    """One registry per evaluator, so tests can hold several."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        r = self.registry
        self.round_seconds = Histogram(
            "curbside_alerts_round_seconds",
            "Time one evaluation round took (the rules, saving, publishing, collections)",
            buckets=(0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120),
            registry=r,
        )
        self.rounds_failed = Counter(
            "curbside_alerts_rounds_failed",
            "Rounds skipped because InfluxDB failed",
            registry=r,
        )
        self.changes = Counter(
            "curbside_alerts_changes",
            "Alert changes saved and published, by kind and the status they changed to",
            ["kind", "status"],
            registry=r,
        )
        self.active = Gauge(
            "curbside_alerts_active",
            "Active alerts after the last round, by kind and status (open, acknowledged)",
            ["kind", "status"],
            registry=r,
        )
        for kind in AlertKind:  # zeros from the start, so every series exists
            for status in AlertStatus:
                self.changes.labels(kind, status)
                if status is not AlertStatus.RESOLVED:
                    self.active.labels(kind, status)

    def record_round(self, before: Iterable[Alert], changes: Iterable[Alert]) -> None:
        """Count a round's changes, and the active alerts they leave."""
        active = {alert.id: alert for alert in before}
        for alert in changes:
            self.changes.labels(alert.kind, alert.status).inc()
            if alert.active:
                active[alert.id] = alert
            else:
                active.pop(alert.id, None)
        counts = {(a.kind, a.status): 0 for a in active.values()}
        for alert in active.values():
            counts[alert.kind, alert.status] += 1
        for kind in AlertKind:
            for status in (AlertStatus.OPEN, AlertStatus.ACKNOWLEDGED):
                self.active.labels(kind, status).set(counts.get((kind, status), 0))
