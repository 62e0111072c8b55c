"""The recorder's Prometheus metrics: messages, batches, commit retries, records written by
kind and how far the records lag behind the wall clock, served on
``CURBSIDE_RECORDER_METRICS_PORT``."""

from __future__ import annotations

import math
from collections import Counter as Tally
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Gauge
from sqlalchemy import event
from sqlalchemy.orm import Session as DbSession
from sqlalchemy.orm import sessionmaker

from curbside.adapters.records.models import (
    CaseEventRecord,
    CaseRecord,
    Charge,
    ClearanceVerdict,
    ParkingSession,
)
from curbside.adapters.records.parking_store import REVERSAL

RECORD_KINDS = ("sessions", "charges", "adjustments", "verdicts", "cases", "case_events")
_PENDING = "curbside_recorder_pending_records"


def record_kind(row: object) -> str | None:
    """The metric's kind of a new row: a charge's reversal and a verdict's correction are
    adjustments (a correction is a new record with its reason); other rows are not counted."""
    if isinstance(row, ParkingSession):
        return "sessions"
    if isinstance(row, Charge):
        return "adjustments" if row.kind == REVERSAL else "charges"
    if isinstance(row, ClearanceVerdict):
        return "adjustments" if row.revision > 0 else "verdicts"
    if isinstance(row, CaseRecord):
        return "cases"
    if isinstance(row, CaseEventRecord):
        return "case_events"
    return None


class RecorderMetrics:
    """One registry per recorder, so tests can hold several."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        r = self.registry
        self.received = Counter(
            "curbside_recorder_messages_received",
            "MQTT messages received (redeliveries after a restart included)",
            registry=r,
        )
        self.rejected = Counter(
            "curbside_recorder_messages_rejected",
            "Messages skipped because they could not be decoded (acknowledged all the same)",
            registry=r,
        )
        self.recorded = Counter(
            "curbside_recorder_messages_recorded",
            "Messages whose batch was committed to the record store (and then acknowledged)",
            registry=r,
        )
        self.batches = Counter(
            "curbside_recorder_batches_committed",
            "Batches of messages committed in one transaction each",
            registry=r,
        )
        self.retries = Counter(
            "curbside_recorder_commit_retries",
            "Transactions that failed because the record database was unavailable, and were "
            "tried again",
            registry=r,
        )
        self.records = Counter(
            "curbside_recorder_records_written",
            "Records committed, by kind (sessions, charges, adjustments: charge reversals and "
            "verdict corrections, verdicts, cases opened, case events)",
            ["kind"],
            registry=r,
        )
        for kind in RECORD_KINDS:  # zeros from the start, so every series exists
            self.records.labels(kind)
        self.plates = Counter(
            "curbside_recorder_plate_events",
            "Plate events from handhelds and video poles, by outcome: new, same, correction, "
            "bad_message, or why the binding was refused",
            ["outcome"],
            registry=r,
        )
        self.alerts_rejected = Counter(
            "curbside_recorder_alert_messages_rejected",
            "Messages on alerts/ that are not an alert document of a registered device "
            "(skipped and acknowledged)",
            registry=r,
        )
        self.lag = Gauge(
            "curbside_recorder_lag_seconds",
            "Wall clock minus the stream's time (the newest report recorded); NaN before the "
            "first report",
            registry=r,
        )

    def follow_stream_time(self, stream_time: Callable[[], datetime | None]) -> None:
        """Compute the lag at each scrape from the recorder's stream time."""

        def lag() -> float:
            newest = stream_time()
            return math.nan if newest is None else (datetime.now(UTC) - newest).total_seconds()

        self.lag.set_function(lag)

    def count_records(self, sessions: sessionmaker[DbSession]) -> None:
        """Count the rows each transaction of ``sessions`` adds, once it commits."""

        def flushed(db: DbSession, context: Any) -> None:
            pending: Tally[str] = db.info.setdefault(_PENDING, Tally())
            pending.update(k for k in map(record_kind, db.new) if k is not None)

        def committed(db: DbSession) -> None:
            for kind, count in db.info.pop(_PENDING, Tally()).items():
                self.records.labels(kind).inc(count)

        def rolled_back(db: DbSession) -> None:
            db.info.pop(_PENDING, None)

        event.listen(sessions, "after_flush", flushed)
        event.listen(sessions, "after_commit", committed)
        event.listen(sessions, "after_rollback", rolled_back)
