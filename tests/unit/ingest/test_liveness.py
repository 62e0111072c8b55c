"""A thread of ingest that dies marks it failed at once: metrics and /health say so."""

from __future__ import annotations

import json
import threading
import urllib.error
import urllib.request
from collections.abc import Iterator
from typing import Any

import pytest

from ingest.endpoint import serve
from ingest.liveness import Liveness
from ingest.metrics import IngestMetrics


@pytest.fixture
def restore_excepthook() -> Iterator[None]:
    previous = threading.excepthook
    yield
    threading.excepthook = previous


def _dies() -> None:
    raise ValueError("Publish topic is too long.")


@pytest.mark.filterwarnings("ignore::pytest.PytestUnhandledThreadExceptionWarning")
def test_an_exception_that_ends_any_thread_marks_ingest_failed(restore_excepthook: None) -> None:
    metrics = IngestMetrics()
    metrics.connected.set(1)
    liveness = Liveness(metrics)
    liveness.install()
    assert metrics.value("curbside_ingest_healthy") == 1
    thread = threading.Thread(target=_dies, name="paho-mqtt-client-x")
    thread.start()
    thread.join()
    assert liveness.failed.is_set()
    assert liveness.reason is not None
    assert "paho-mqtt-client-x" in liveness.reason and "too long" in liveness.reason
    assert metrics.value("curbside_ingest_healthy") == 0
    assert metrics.value("curbside_ingest_broker_connected") == 0


def test_a_worker_thread_that_ended_marks_ingest_failed() -> None:
    liveness = Liveness(IngestMetrics())
    done = threading.Thread(target=lambda: None, name="batch-writer")
    done.start()
    done.join()
    liveness.check({"batch-writer": done})
    assert liveness.reason == "thread batch-writer has ended"


def _get(port: int, path: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=5) as answer:
            return answer.status, answer.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


def test_health_answers_503_with_the_reason_once_failed_and_metrics_stay_served() -> None:
    metrics = IngestMetrics()
    liveness = Liveness(metrics)

    def health() -> tuple[bool, dict[str, Any]]:
        return not liveness.failed.is_set(), {"reason": liveness.reason}

    server = serve("127.0.0.1", 0, metrics.registry, health)
    port = server.server_port
    try:
        assert _get(port, "/health")[0] == 200
        liveness.fail("thread batch-writer has ended")
        status, body = _get(port, "/health")
        assert status == 503
        assert json.loads(body)["reason"] == "thread batch-writer has ended"
        status, text = _get(port, "/metrics")
        assert status == 200
        assert "curbside_ingest_healthy 0.0" in text
    finally:
        server.shutdown()
        server.server_close()
