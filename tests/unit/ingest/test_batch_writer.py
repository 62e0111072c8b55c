"""The batch writer acknowledges exactly what was stored, and classifies write failures."""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from pathlib import Path

from curbside.adapters.influx.client import Unavailable, WriteRejected, WriteTooLarge
from ingest.batch_writer import BatchWriter
from ingest.metrics import IngestMetrics
from ingest.spool import Spool


class FakeStore:
    """Records writes; fails as scripted. Stands for InfluxDB in these unit tests only."""

    def __init__(self, failures: Sequence[Exception] = (), max_lines: int = 10**9) -> None:
        self.failures = list(failures)
        self.max_lines = max_lines
        self.bad_lines: set[str] = set()
        self.written: list[str] = []
        self.calls = 0

    def write(self, lines: Sequence[str]) -> None:
        self.calls += 1
        if self.failures:
            raise self.failures.pop(0)
        if len(lines) > self.max_lines:
            raise WriteTooLarge("too large")
        if self.bad_lines & set(lines):
            raise WriteRejected(400, "partial write: field type conflict")
        self.written.extend(lines)


class FakeClock:
    """Time that passes only when the writer sleeps, so retry waits can be read exactly."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.sleeps: list[float] = []

    def time(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


def _writer(
    store: FakeStore, batch_size: int = 100
) -> tuple[BatchWriter[int], list[int], list[int], IngestMetrics, list[float]]:
    stored: list[int] = []
    dropped: list[int] = []
    clock = FakeClock()
    metrics = IngestMetrics()
    writer: BatchWriter[int] = BatchWriter(
        store.write,
        stored.extend,
        lambda tokens, _error: dropped.extend(tokens),
        metrics,
        batch_size=batch_size,
        flush_interval_s=0.05,
        retry_max_s=4.0,
        sleep=clock.sleep,
        clock=clock.time,
    )
    return writer, stored, dropped, metrics, clock.sleeps


def _run(writer: BatchWriter[int], messages: int) -> None:
    writer.start()
    for n in range(messages):
        writer.submit([f"m v={n}i {n}"], n)
    assert writer.stop(timeout_s=10)


def test_everything_submitted_is_stored_and_acknowledged_once() -> None:
    store = FakeStore()
    writer, stored, dropped, metrics, _ = _writer(store, batch_size=7)
    _run(writer, 100)
    assert sorted(stored) == list(range(100))
    assert dropped == []
    assert len(store.written) == 100
    assert metrics.value("curbside_ingest_stored_points_total") == 100


def test_a_partial_batch_is_flushed_by_time() -> None:
    store = FakeStore()
    writer, stored, _, _, _ = _writer(store, batch_size=1000)
    writer.start()
    writer.submit(["m v=1i 1"], 1)
    done = threading.Event()
    for _ in range(200):  # 2 s at most; the flush interval is 0.05 s
        if stored:
            done.set()
            break
        threading.Event().wait(0.01)
    assert done.is_set(), "a lone message was not flushed by the timer"
    writer.stop(5)


def test_unavailable_is_retried_with_capped_backoff_before_acknowledging() -> None:
    store = FakeStore([Unavailable("down")] * 6 + [Unavailable("busy", retry_after=1.0)])
    writer, stored, dropped, metrics, sleeps = _writer(store)
    _run(writer, 3)
    assert sorted(stored) == [0, 1, 2]
    assert dropped == []
    assert sleeps == [0.5, 1.0, 2.0, 4.0, 4.0, 4.0, 1.0]
    assert metrics.value("curbside_ingest_write_retries_total", cause="unavailable") == 7


def test_too_large_batches_are_split_until_they_fit() -> None:
    store = FakeStore(max_lines=3)
    writer, stored, dropped, _, _ = _writer(store, batch_size=20)
    _run(writer, 20)
    assert sorted(stored) == list(range(20))
    assert dropped == []
    assert sorted(store.written) == sorted(f"m v={n}i {n}" for n in range(20))


def test_refused_points_are_isolated_and_only_they_are_dropped() -> None:
    store = FakeStore()
    store.bad_lines = {"m v=5i 5", "m v=11i 11"}
    writer, stored, dropped, metrics, _ = _writer(store, batch_size=16)
    _run(writer, 16)
    assert sorted(dropped) == [5, 11]
    assert sorted(stored) == [n for n in range(16) if n not in (5, 11)]
    assert metrics.value("curbside_ingest_write_dropped_points_total") == 2


class OutageStore(FakeStore):
    """Unavailable until ``up`` is set; records every write in order."""

    def __init__(self) -> None:
        super().__init__()
        self.up = threading.Event()

    def write(self, lines: Sequence[str]) -> None:
        if not self.up.is_set():
            raise Unavailable("connection refused")
        super().write(lines)


def _outage_writer(
    store: FakeStore,
    stored: list[int],
    *,
    batch_size: int = 5,
    spool: Spool | None = None,
    max_pending_messages: int = 10_000,
) -> tuple[BatchWriter[int], IngestMetrics]:
    """A writer with real time and short waits, spooling at once when it has a spool."""
    metrics = IngestMetrics()
    writer: BatchWriter[int] = BatchWriter(
        store.write,
        stored.extend,
        lambda tokens, _error: None,
        metrics,
        batch_size=batch_size,
        flush_interval_s=0.01,
        retry_max_s=0.05,
        max_pending_messages=max_pending_messages,
        spool=spool,
        spool_after_s=0.0,
    )
    return writer, metrics


def _wait(condition: Callable[[], bool]) -> None:
    for _ in range(500):  # 5 s at most
        if condition():
            return
        threading.Event().wait(0.01)
    raise AssertionError("condition not reached in 5 s")


def test_an_outage_spools_and_acknowledges_then_drains_in_order_before_new_points(
    tmp_path: Path,
) -> None:
    store = OutageStore()
    stored: list[int] = []
    spool = Spool(tmp_path, 1_000_000)
    writer, metrics = _outage_writer(store, stored, spool=spool)
    writer.start()
    for n in range(20):
        writer.submit([f"m v={n}i {n}"], n)
    _wait(lambda: len(stored) == 20)  # acknowledged once on disk, while the database is down
    assert store.written == []
    assert metrics.value("curbside_ingest_spooled_points_total") == 20
    store.up.set()
    _wait(lambda: metrics.value("curbside_ingest_spool_segments") == 0)
    writer.submit(["m v=20i 20"], 20)
    assert writer.stop(5)
    assert store.written == [f"m v={n}i {n}" for n in range(21)]
    assert metrics.value("curbside_ingest_spool_drained_points_total") == 20
    assert metrics.value("curbside_ingest_stored_points_total") == 21
    spool.close()


def test_a_full_spool_takes_nothing_more_and_those_messages_wait_unacknowledged(
    tmp_path: Path,
) -> None:
    store = OutageStore()
    stored: list[int] = []
    line_bytes = len("m v=0i 0")
    spool = Spool(tmp_path, 5 * line_bytes + 4)
    writer, metrics = _outage_writer(store, stored, spool=spool)
    writer.start()
    for n in range(10):
        writer.submit([f"m v={n}i {n}"], n)
    _wait(lambda: metrics.value("curbside_ingest_spool_full_total") > 0)
    assert sorted(stored) == [0, 1, 2, 3, 4]  # the first batch fits, the second must wait
    store.up.set()
    _wait(lambda: len(stored) == 10)
    assert writer.stop(5)
    assert store.written == [f"m v={n}i {n}" for n in range(10)]
    spool.close()


def test_submit_blocks_while_the_pending_bound_is_reached() -> None:
    store = OutageStore()
    stored: list[int] = []
    writer, metrics = _outage_writer(store, stored, batch_size=2, max_pending_messages=3)
    writer.start()
    submitted: list[int] = []

    def _submit_all() -> None:
        for n in range(10):
            writer.submit([f"m v={n}i {n}"], n)
            submitted.append(n)

    thread = threading.Thread(target=_submit_all, daemon=True)
    thread.start()
    _wait(lambda: metrics.value("curbside_ingest_backpressure_waits_total") > 0)
    # At most the bound waits in memory plus the one batch the writer holds.
    assert len(submitted) <= 3 + 2
    assert metrics.value("curbside_ingest_pending_messages") <= 3
    store.up.set()
    thread.join(5)
    assert submitted == list(range(10))
    assert writer.stop(5)
    assert sorted(stored) == list(range(10))


def test_a_receive_batch_bigger_than_the_room_left_never_passes_the_bound() -> None:
    store = OutageStore()
    stored: list[int] = []
    writer, metrics = _outage_writer(store, stored, batch_size=2, max_pending_messages=3)
    writer.start()
    most = 0

    def _watch() -> None:
        nonlocal most
        while not done.is_set():
            most = max(most, int(metrics.value("curbside_ingest_pending_messages")))

    done = threading.Event()
    watcher = threading.Thread(target=_watch, daemon=True)
    watcher.start()
    batch = [([f"m v={n}i {n}"], n) for n in range(10)]
    thread = threading.Thread(target=writer.submit_many, args=(batch,), daemon=True)
    thread.start()
    _wait(lambda: metrics.value("curbside_ingest_backpressure_waits_total") > 0)
    assert thread.is_alive()  # waiting for room, with the rest of its batch
    store.up.set()
    thread.join(5)
    assert writer.stop(5)
    done.set()
    watcher.join(5)
    assert sorted(stored) == list(range(10))
    assert most <= 3
