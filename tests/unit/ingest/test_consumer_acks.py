"""Acknowledgements go only to the connection that delivered the message: after a reconnect
the broker redelivers, and a packet id may already belong to another message."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import timedelta
from typing import Any

from curbside.adapters.intake import Intake
from curbside.city.registry import load_city
from curbside.config.settings import load_settings
from curbside.domain.telemetry.admission import TimestampPolicy
from ingest.consumer import Consumer
from ingest.metrics import IngestMetrics
from ingest.pipeline import Pipeline


def _consumer() -> tuple[Consumer, IngestMetrics, list[tuple[int, int]]]:
    settings = load_settings(ingest_metrics_port=0)
    policy = TimestampPolicy(timedelta(seconds=300), timedelta(days=7))
    metrics = IngestMetrics()
    consumer = Consumer(
        settings,
        Pipeline(Intake(load_city(settings.city_file), policy, 4096)),
        metrics,
        write=lambda lines: None,
    )
    sent: list[tuple[int, int]] = []

    def _record(mids: Iterable[int]) -> Any:
        sent.extend((mid, 1) for mid in mids)

    consumer.client.ack_many = _record  # type: ignore[method-assign]
    return consumer, metrics, sent


def test_acks_of_the_current_connection_are_sent() -> None:
    consumer, metrics, sent = _consumer()
    consumer._ack_all([(consumer._connection, 7, 1), (consumer._connection, 8, 0)])
    assert sent == [(7, 1)]  # QoS 0 has nothing to acknowledge
    assert metrics.value("curbside_ingest_stale_acks_skipped_total") == 0


def test_acks_of_a_lost_connection_are_skipped_and_counted() -> None:
    consumer, metrics, sent = _consumer()
    token = (consumer._connection, 7, 1)
    consumer._on_disconnect(consumer.client, None, None, None, None)  # type: ignore[arg-type]
    consumer._ack_all([token])
    assert sent == []
    assert metrics.value("curbside_ingest_stale_acks_skipped_total") == 1
