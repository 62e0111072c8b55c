"""The batch writer: collects points, writes them in batches, reports what became durable.

Messages are acknowledged to the broker only through ``on_stored`` (after InfluxDB accepted
their points) or ``on_dropped`` (after InfluxDB refused them as invalid), so a crash at any
moment leaves every unacknowledged message with the broker, which delivers it again.

Write failures are classified (see store.influx): refused points are isolated by splitting
the batch and dropped one by one; a too-large batch is split; an unavailable database is
retried with capped exponential backoff, for as long as it takes, while the broker holds the
unacknowledged messages (bounded by its in-flight limit).
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

from ingest.metrics import IngestMetrics
from store.influx import Unavailable, WriteRejected, WriteTooLarge

log = logging.getLogger(__name__)

Token = TypeVar("Token")


@dataclass(frozen=True, slots=True)
class Pending(Generic[Token]):
    """One message's lines and the token that acknowledges it."""

    lines: list[str]
    token: Token


class BatchWriter(Generic[Token]):
    """Flushes on size or on time from its own thread; ``submit`` is thread-safe."""

    def __init__(
        self,
        write: Callable[[Sequence[str]], None],
        on_stored: Callable[[list[Token]], None],
        on_dropped: Callable[[list[Token], str], None],
        metrics: IngestMetrics,
        *,
        batch_size: int,
        flush_interval_s: float,
        retry_max_s: float,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._write = write
        self._on_stored = on_stored
        self._on_dropped = on_dropped
        self._metrics = metrics
        self._batch_size = batch_size
        self._flush_interval_s = flush_interval_s
        self._retry_max_s = retry_max_s
        self._sleep = sleep
        self._pending: deque[Pending[Token]] = deque()
        self._pending_lines = 0
        self._oldest: float | None = None
        self._cond = threading.Condition()
        self._stopping = False
        self._thread = threading.Thread(target=self._run, name="batch-writer", daemon=True)

    def start(self) -> None:
        """Start the flushing thread."""
        self._thread.start()

    def submit(self, lines: list[str], token: Token) -> None:
        """Queue one message's lines; it is acknowledged once they are stored."""
        with self._cond:
            self._pending.append(Pending(lines, token))
            self._pending_lines += len(lines)
            first = self._oldest is None
            if first:
                self._oldest = time.monotonic()
            self._metrics.pending.set(self._pending_lines)
            # Wake the writer to start the flush timer, or to flush a full batch.
            if first or self._pending_lines >= self._batch_size:
                self._cond.notify()

    def stop(self, timeout_s: float) -> bool:
        """Flush what is queued and stop; False if the thread did not finish in time."""
        with self._cond:
            self._stopping = True
            self._cond.notify()
        self._thread.join(timeout_s)
        return not self._thread.is_alive()

    def _run(self) -> None:
        while True:
            batch = self._next_batch()
            if batch is None:
                return
            self._flush(batch)

    def _next_batch(self) -> list[Pending[Token]] | None:
        with self._cond:
            while True:
                if self._pending_lines >= self._batch_size:
                    break
                if self._pending and (self._stopping or self._due()):
                    break
                if self._stopping:
                    return None
                self._cond.wait(self._wait_time())
            batch: list[Pending[Token]] = []
            lines = 0
            while self._pending and (
                not batch or lines + len(self._pending[0].lines) <= self._batch_size
            ):
                item = self._pending.popleft()
                batch.append(item)
                lines += len(item.lines)
            self._pending_lines -= lines
            self._oldest = time.monotonic() if self._pending else None
            self._metrics.pending.set(self._pending_lines)
            return batch

    def _due(self) -> bool:
        return self._oldest is not None and (
            time.monotonic() - self._oldest >= self._flush_interval_s
        )

    def _wait_time(self) -> float | None:
        if self._oldest is None:
            return None
        return max(0.0, self._flush_interval_s - (time.monotonic() - self._oldest))

    def _flush(self, batch: list[Pending[Token]]) -> None:
        lines = [line for item in batch for line in item.lines]
        delay = 0.5
        while True:
            started = time.monotonic()
            try:
                self._write(lines)
            except Unavailable as exc:
                self._metrics.write_retries.labels(cause="unavailable").inc()
                wait = min(exc.retry_after or delay, self._retry_max_s)
                log.warning(
                    "InfluxDB unavailable (%s); retrying %d points in %.1fs", exc, len(lines), wait
                )
                self._sleep(wait)
                delay = min(delay * 2, self._retry_max_s)
                continue
            except (WriteTooLarge, WriteRejected) as exc:
                self._split_or_drop(batch, exc)
                return
            self._metrics.write_seconds.observe(time.monotonic() - started)
            self._metrics.batch_size.observe(len(lines))
            self._metrics.stored.inc(len(lines))
            self._on_stored([item.token for item in batch])
            return

    def _split_or_drop(self, batch: list[Pending[Token]], exc: Exception) -> None:
        if len(batch) > 1:
            # Writes are idempotent, so halves may safely rewrite points that already landed.
            self._metrics.write_retries.labels(cause=type(exc).__name__).inc()
            middle = len(batch) // 2
            self._flush(batch[:middle])
            self._flush(batch[middle:])
            return
        log.error("InfluxDB refused a message's points, dropping them: %s", exc)
        self._metrics.write_dropped.inc(len(batch[0].lines))
        self._on_dropped([batch[0].token], str(exc))
