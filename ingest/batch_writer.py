"""The batch writer: collects points, writes them in batches, reports what became durable.

Messages are acknowledged to the broker only through ``on_stored`` (after InfluxDB accepted
their points, or after the spool wrote them to disk and fsynced them) or ``on_dropped``
(after InfluxDB refused them as invalid), so a crash at any moment leaves every
unacknowledged message with the broker, which delivers it again.

Write failures are classified (see curbside.adapters.influx.client): refused points are isolated by
splitting
the batch and dropped one by one; a too-large batch is split; an unavailable database is
retried with capped exponential backoff. Once it has been unavailable for ``spool_after_s``,
batches go to the on-disk spool (ingest.spool) and are acknowledged; when the database
answers again the spool is written back, oldest first, before any new batch. A full spool
takes nothing more: the batch waits in memory, unacknowledged, and the broker holds the rest.

Memory is bounded whatever the backlog: at most ``max_pending_messages`` wait here (``submit``
blocks beyond that) plus the one batch being written.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

from curbside.adapters.influx.client import Unavailable, WriteRejected, WriteTooLarge
from ingest.metrics import IngestMetrics
from ingest.spool import Spool

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
        max_pending_messages: int = 10_000,
        spool: Spool | None = None,
        spool_after_s: float = 30.0,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._write = write
        self._on_stored = on_stored
        self._on_dropped = on_dropped
        self._metrics = metrics
        self._batch_size = batch_size
        self._flush_interval_s = flush_interval_s
        self._retry_max_s = retry_max_s
        self._max_pending = max_pending_messages
        self._spool = spool
        self._spool_after_s = spool_after_s
        self._sleep = sleep
        self._clock = clock
        self._pending: deque[Pending[Token]] = deque()
        self._pending_lines = 0
        self._oldest: float | None = None
        self._cond = threading.Condition()
        self._stopping = False
        # The database's state as the writer last saw it: None while it answers.
        self._down_since: float | None = None
        self._retry_at = 0.0
        self._delay = 0.5
        self._thread = threading.Thread(target=self._run, name="batch-writer", daemon=True)
        self._update_spool_gauges()
        metrics.database_up.set(1)  # the ingester checked it at start-up

    def start(self) -> None:
        """Start the flushing thread."""
        self._thread.start()

    @property
    def thread(self) -> threading.Thread:
        """The flushing thread: it runs from ``start`` until ``stop``."""
        return self._thread

    def submit(self, lines: list[str], token: Token) -> None:
        """Queue one message's lines; it is acknowledged once they are stored."""
        self.submit_many([(lines, token)])

    def submit_many(self, messages: list[tuple[list[str], Token]]) -> None:
        """Queue many messages' lines at once (one lock, one wake-up while there is room);
        each is acknowledged once its lines are stored.

        Blocks while ``max_pending_messages`` are already waiting: the caller (the MQTT
        network thread) then stops reading, and the broker keeps the rest.
        """
        taken = 0
        with self._cond:
            while taken < len(messages):
                room = self._max_pending - len(self._pending)
                if room <= 0:
                    self._metrics.backpressure_waits.inc()
                    while len(self._pending) >= self._max_pending and not self._stopping:
                        self._cond.wait(1.0)
                    room = max(1, self._max_pending - len(self._pending))
                part = messages[taken : taken + room]
                taken += len(part)
                self._pending.extend(Pending(lines, token) for lines, token in part)
                self._pending_lines += sum(len(lines) for lines, _ in part)
                first = self._oldest is None
                if first:
                    self._oldest = time.monotonic()
                self._set_pending_gauges()
                # Wake the writer to start the flush timer, or to flush a full batch.
                if first or self._pending_lines >= self._batch_size:
                    self._cond.notify_all()

    def stop(self, timeout_s: float) -> bool:
        """Flush what is queued and stop; False if the thread did not finish in time."""
        with self._cond:
            self._stopping = True
            self._cond.notify_all()
        self._thread.join(timeout_s)
        return not self._thread.is_alive()

    def _run(self) -> None:
        while True:
            batch = self._next_batch()
            if batch is None:
                return
            while True:
                try:
                    self._flush(batch)
                    break
                except Exception:  # a bug or a disk error must not end the writer: retry
                    log.exception("writing %d messages failed; retrying in 1s", len(batch))
                    self._sleep(1.0)

    def _next_batch(self) -> list[Pending[Token]] | None:
        """The next batch; an empty one when only the spool has work to do."""
        with self._cond:
            while True:
                if self._pending_lines >= self._batch_size:
                    break
                if self._pending and (self._stopping or self._due()):
                    break
                if self._stopping:
                    return None
                if self._spool_waiting() and self._clock() >= self._retry_at:
                    return []
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
            self._set_pending_gauges()
            self._cond.notify_all()  # room for a blocked submit
            return batch

    def _due(self) -> bool:
        return self._oldest is not None and (
            time.monotonic() - self._oldest >= self._flush_interval_s
        )

    def _wait_time(self) -> float | None:
        waits: list[float] = []
        if self._oldest is not None:
            waits.append(self._flush_interval_s - (time.monotonic() - self._oldest))
        if self._spool_waiting():
            waits.append(self._retry_at - self._clock())
        return max(0.0, min(waits)) if waits else None

    def _spool_waiting(self) -> bool:
        return self._spool is not None and self._spool.segments > 0

    def _flush(self, batch: list[Pending[Token]]) -> None:
        """Store the batch (in InfluxDB or the spool) and acknowledge it, however long it takes."""
        lines = [line for item in batch for line in item.lines]
        while True:
            if self._down_since is None or self._clock() >= self._retry_at:
                try:
                    self._drain_spool()
                    if batch:
                        self._store_batch(batch)
                    self._database_back()
                    return
                except Unavailable as exc:
                    self._database_down(exc, len(lines))
            if not batch:
                return  # only the spool had work; try again at the next retry time
            if self._spool is not None and self._spooling():
                if self._spool_append(lines):
                    self._metrics.spooled_points.inc(len(lines))
                    self._update_spool_gauges()
                    self._on_stored([item.token for item in batch])
                    return
                self._metrics.spool_full.inc()
                log.error(
                    "the spool cannot take %d points (%d of %d bytes used): they wait in "
                    "memory, unacknowledged, and the broker keeps the rest until InfluxDB is back",
                    len(lines),
                    self._spool.bytes,
                    self._spool.max_bytes,
                )
            self._sleep(max(0.0, self._retry_at - self._clock()))

    def _spool_append(self, lines: list[str]) -> bool:
        assert self._spool is not None
        try:
            return self._spool.append(lines)
        except OSError:  # a full or failing disk: the batch waits in memory instead
            log.exception("cannot write to the spool in %s", self._spool.directory)
            return False

    def _spooling(self) -> bool:
        """Whether new batches go to disk: the outage is long, or older batches wait there."""
        assert self._spool is not None
        if self._spool.segments:
            return True
        return self._down_since is not None and (
            self._clock() - self._down_since >= self._spool_after_s
        )

    def _database_down(self, exc: Unavailable, points: int) -> None:
        now = self._clock()
        if self._down_since is None:
            self._down_since = now
            self._delay = 0.5
        self._metrics.write_retries.labels(cause="unavailable").inc()
        self._metrics.database_up.set(0)
        wait = min(exc.retry_after or self._delay, self._retry_max_s)
        log.warning("InfluxDB unavailable (%s); retrying %d points in %.1fs", exc, points, wait)
        self._retry_at = now + wait
        self._delay = min(self._delay * 2, self._retry_max_s)

    def _database_back(self) -> None:
        if self._down_since is not None:
            log.info(
                "InfluxDB is back after %.0fs",
                self._clock() - self._down_since,
            )
        self._down_since = None
        self._metrics.database_up.set(1)

    def _drain_spool(self) -> None:
        """Write the spooled batches back, oldest first; raises Unavailable to stop early."""
        if self._spool is None:
            return
        while (oldest := self._spool.oldest()) is not None:
            seq, lines = oldest
            # Spooled messages were acknowledged already, so refused lines are only counted.
            refused = self._write_isolating([[line] for line in lines])
            self._metrics.stored.inc(len(lines) - len(refused))
            self._metrics.spool_drained_points.inc(len(lines))
            self._spool.remove(seq)
            self._update_spool_gauges()
            if not self._spool.segments:
                log.info("spool drained")

    def _store_batch(self, batch: list[Pending[Token]]) -> None:
        started = time.monotonic()
        refused = self._write_isolating([item.lines for item in batch])
        points = sum(len(item.lines) for item in batch)
        self._metrics.write_seconds.observe(time.monotonic() - started)
        self._metrics.batch_size.observe(points)
        stored = [item.token for n, item in enumerate(batch) if n not in refused]
        self._metrics.stored.inc(points - sum(len(batch[n].lines) for n in refused))
        if stored:
            self._on_stored(stored)
        for n, error in sorted(refused.items()):
            self._on_dropped([batch[n].token], error)

    def _write_isolating(self, groups: list[list[str]]) -> dict[int, str]:
        """Write every group's lines; the groups InfluxDB refused, by index, with the error.

        Raises Unavailable, having acknowledged nothing, when the database cannot be reached;
        writes are idempotent, so the caller may rewrite groups that already landed.
        """
        refused: dict[int, str] = {}
        self._write_groups(groups, 0, refused)
        self._metrics.write_dropped.inc(sum(len(groups[n]) for n in refused))
        return refused

    def _write_groups(self, groups: list[list[str]], offset: int, refused: dict[int, str]) -> None:
        try:
            self._write([line for group in groups for line in group])
        except (WriteTooLarge, WriteRejected) as exc:
            if len(groups) > 1:
                self._metrics.write_retries.labels(cause=type(exc).__name__).inc()
                middle = len(groups) // 2
                self._write_groups(groups[:middle], offset, refused)
                self._write_groups(groups[middle:], offset + middle, refused)
                return
            log.error("InfluxDB refused a message's points, dropping them: %s", exc)
            refused[offset] = str(exc)

    def _set_pending_gauges(self) -> None:
        self._metrics.pending.set(self._pending_lines)
        self._metrics.pending_messages.set(len(self._pending))

    def _update_spool_gauges(self) -> None:
        if self._spool is not None:
            self._metrics.spool_bytes.set(self._spool.bytes)
            self._metrics.spool_segments.set(self._spool.segments)
