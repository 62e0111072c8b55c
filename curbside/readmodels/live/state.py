"""The live state requests read: read from InfluxDB once, then kept current from the MQTT stream.

Requests never query the database. At start the latest state is read in full; after that
every ``api_refresh_s`` a tick applies the readings the live feed (curbside/readmodels/live/feed.py)
queued,
merged with InfluxDB's rules (curbside/domain/telemetry/latest_state.py), and publishes a new
immutable
snapshot that rebuilds only the zones and districts that changed or went stale.

The state is read in full again after every reconnect to the broker (messages sent while the
API was away are in InfluxDB, stored by ingest's persistent session), when the feed's queue
overflowed, and every ``api_full_read_s`` as a safety net. A full read runs in a worker
thread while the stream keeps being applied; readings received since shortly before it began
are applied again on top of its result (newest wins, so applying a stored point twice changes
nothing), so none is lost. The ``since`` of a space the stream cannot settle (a late report of
the opposite status) is read back once ingest has stored the points around it.

A failed database read keeps the current snapshot (the stream still updates it) and is
reported by /health until a read succeeds again.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import deque
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Protocol

from curbside.adapters.influx.client import InfluxError
from curbside.adapters.influx.latest import SinceAnswer, SinceQuestion
from curbside.city.registry import City
from curbside.domain.telemetry.latest_state import DeviceKey, LatestStates, SpaceRecord
from curbside.readmodels.live.snapshot import Snapshot, SnapshotBuilder, build_snapshot
from curbside.vocabulary.readings import Reading

__all__ = ["LatestSource", "LiveState", "ReadingFeed", "Snapshot", "build_snapshot"]

log = logging.getLogger(__name__)

# Readings applied between two yields to the event loop: requests wait at most this long.
APPLY_STEP = 500
# Spaces whose `since` one settle request asks for.
SETTLE_BATCH = 500


class LatestSource(Protocol):
    """The database side: the full read, the read-back of unsettled spaces, a liveness check."""

    def read_states(self) -> LatestStates:
        """The latest state of every device, as stored now."""
        ...

    def settle_since(self, questions: list[SinceQuestion]) -> dict[DeviceKey, SinceAnswer]:
        """The newest opposite report and the first report after it, per space."""
        ...

    def check(self) -> None:
        """Raise InfluxError unless the database answers."""
        ...


class ReadingFeed(Protocol):
    """The stream side: admitted readings queued by the MQTT thread."""

    @property
    def connects(self) -> int:
        """How many times the feed connected (and subscribed) so far."""
        ...

    @property
    def overflows(self) -> int:
        """How many messages were dropped because the queue was full."""
        ...

    def drain(self, limit: int) -> list[tuple[float, list[Reading]]]:
        """Queued readings with their monotonic receive times, oldest first."""
        ...


def _utc_now() -> datetime:
    return datetime.now(UTC)


class LiveState:
    """Holds the current snapshot and keeps it current; also what /health reports about it."""

    def __init__(
        self,
        city: City,
        source: LatestSource,
        feed: ReadingFeed,
        *,
        stale_after: timedelta,
        interval_s: float,
        full_read_s: float,
        settle_s: float,
        clock: Callable[[], datetime] = _utc_now,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._source = source
        self._feed = feed
        self._builder = SnapshotBuilder(city, stale_after)
        self._interval_s = interval_s
        self._full_read_s = full_read_s
        # How long ingest may take to store a point the feed has seen (its flush, with room).
        self._settle_s = settle_s
        self._clock = clock
        self._monotonic = monotonic
        self._states = LatestStates()
        self._changed_spaces: set[DeviceKey] = set()
        self._changed_bins: set[DeviceKey] = set()
        # Unsettled spaces by when a reading last touched them (monotonic).
        self._unsettled: dict[DeviceKey, float] = {}
        # Recently applied readings by receive time, applied again on top of a full read.
        self._replay: deque[tuple[float, Reading]] = deque()
        self._full_started: float | None = None
        self._full_due_at = 0.0
        self._seen_connects = 0
        self._seen_overflows = 0
        self._background: set[asyncio.Task[None]] = set()
        self._settling = False
        self._checking = False
        self._check_due_at = 0.0
        self._stop = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self.snapshot: Snapshot | None = None
        self.refresh_error: str | None = None
        self.last_duration_s: float | None = None
        self.full_reads = 0
        # How long the oldest message applied by the last tick had waited since it arrived.
        self.apply_lag_s = 0.0

    @property
    def last_refresh(self) -> datetime | None:
        """When the snapshot being served was taken; None before the first success."""
        return self.snapshot.as_of if self.snapshot is not None else None

    @property
    def full_read_pending(self) -> bool:
        """Whether a full read runs now, or is due for a reconnect the last one predates."""
        return self._full_started is not None or self._feed.connects != self._seen_connects

    async def refresh(self) -> bool:
        """Read the whole state from the database and merge it in; False (recorded) on failure."""
        started = self._monotonic()
        self._full_started = started
        self._seen_connects = self._feed.connects
        self._seen_overflows = self._feed.overflows
        try:
            read = await asyncio.to_thread(self._source.read_states)
        except InfluxError as exc:
            self._failed(f"{type(exc).__name__}: {exc}", traceback=False)
            return False
        # Anything else is a bug, but the live state must survive it: a dead task would
        # leave the API serving one frozen snapshot with /health none the wiser.
        except Exception as exc:  # noqa: BLE001
            self._failed(f"{type(exc).__name__}: {exc}", traceback=True)
            return False
        finally:
            self._full_started = None
        self._merge_full_read(read, started)
        self.last_duration_s = self._monotonic() - started
        self._full_due_at = started + self._full_read_s
        self._check_due_at = self._monotonic() + self._interval_s
        self.full_reads += 1
        self._recovered()
        return True

    async def tick(self) -> None:
        """Apply the queued readings, start what the database must answer, publish."""
        applied = 0
        self.apply_lag_s = 0.0
        while True:
            batch = self._feed.drain(APPLY_STEP)
            if not batch:
                break
            if not applied:
                self.apply_lag_s = max(0.0, self._monotonic() - batch[0][0])
            for received, readings in batch:
                for reading in readings:
                    self._apply(received, reading)
            applied += len(batch)
            # Small steps: requests are served between them.
            await asyncio.sleep(0)
        now = self._monotonic()
        self._prune_replay(now)
        full_due = (
            self._feed.connects != self._seen_connects
            or self._feed.overflows != self._seen_overflows
            or self.snapshot is None
            or self.refresh_error is not None
            or now >= self._full_due_at
        )
        if full_due and self._full_started is None:
            self._spawn(self._full_read_in_background())
        elif not self._settling and self._full_started is None:
            questions = self._settle_questions(now)
            if questions:
                self._spawn(self._settle(questions))
            elif not self._checking and now >= self._check_due_at:
                self._spawn(self._check())
        self._publish()

    def _apply(self, received: float, reading: Reading) -> None:
        self._replay.append((received, reading))
        change = self._states.apply(reading)
        if change is None:
            return
        kind, key = change
        if kind == "bin":
            self._changed_bins.add(key)
            return
        self._changed_spaces.add(key)
        if self._states.spaces[key].unsettled:
            self._unsettled[key] = received
        else:
            self._unsettled.pop(key, None)

    def _publish(self) -> None:
        if self.snapshot is None:
            return
        as_of = self._clock()
        self.snapshot = self._builder.updated(
            self.snapshot, self._states, self._changed_spaces, self._changed_bins, as_of
        )
        self._changed_spaces = set()
        self._changed_bins = set()

    def _merge_full_read(self, read: LatestStates, started: float) -> None:
        since = started - self._settle_s
        for received, reading in self._replay:
            if received >= since:
                read.apply(reading)
        self._states = read
        self._unsettled = {key: started for key, record in read.spaces.items() if record.unsettled}
        self._changed_spaces = set()
        self._changed_bins = set()
        self.snapshot = self._builder.from_states(read, self._clock())

    def _prune_replay(self, now: float) -> None:
        oldest = self._full_started if self._full_started is not None else now
        cutoff = oldest - self._settle_s
        while self._replay and self._replay[0][0] < cutoff:
            self._replay.popleft()

    def _settle_questions(self, now: float) -> list[tuple[SinceQuestion, SpaceRecord]]:
        questions = []
        for key, touched in self._unsettled.items():
            record = self._states.spaces.get(key)
            if record is None or not record.unsettled:
                continue
            if touched + self._settle_s <= now:
                questions.append((SinceQuestion(key[0], key[1], record.occupied), record))
                if len(questions) >= SETTLE_BATCH:
                    break
        return questions

    async def _settle(self, asked: list[tuple[SinceQuestion, SpaceRecord]]) -> None:
        self._settling = True
        try:
            answers = await asyncio.to_thread(self._source.settle_since, [q for q, _ in asked])
        except Exception as exc:  # noqa: BLE001 - retried at the next tick
            log.warning("reading back unsettled spaces failed: %s: %s", type(exc).__name__, exc)
            return
        finally:
            self._settling = False
        now = self._monotonic()
        for question, record in asked:
            key = (question.zone, question.space)
            if self._states.spaces.get(key) is not record:
                continue  # a reading touched it meanwhile: asked again once that is stored
            answer = answers.get(key)
            if answer is not None and self._states.settle(
                key, question.occupied, answer.opposite_seen, answer.since
            ):
                self._unsettled.pop(key, None)
                self._changed_spaces.add(key)
            else:
                self._unsettled[key] = now

    async def _full_read_in_background(self) -> None:
        if await self.refresh():
            log.info("live state read in full in %.3f s", self.last_duration_s or 0.0)

    async def _check(self) -> None:
        self._checking = True
        try:
            await asyncio.to_thread(self._source.check)
        except InfluxError as exc:
            self._failed(f"{type(exc).__name__}: {exc}", traceback=False)
            return
        except Exception as exc:  # noqa: BLE001
            self._failed(f"{type(exc).__name__}: {exc}", traceback=True)
            return
        finally:
            self._checking = False
            self._check_due_at = self._monotonic() + self._interval_s
        self._recovered()

    def _recovered(self) -> None:
        if self.refresh_error is not None:
            log.info("the database answers again")
        self.refresh_error = None

    def _failed(self, message: str, *, traceback: bool) -> None:
        # Log the first failure of a streak only; /health shows the current error.
        if self.refresh_error is None:
            kept = "keeping the current snapshot" if self.snapshot else "no snapshot yet"
            log.error("live state read failed (%s): %s", kept, message, exc_info=traceback)
        self.refresh_error = message

    def _spawn(self, work: object) -> None:
        assert asyncio.iscoroutine(work)
        task = asyncio.create_task(work)
        self._background.add(task)
        task.add_done_callback(self._background.discard)

    def start(self) -> None:
        """Start ticking every ``interval_s`` seconds in a background task."""
        if self._task is None:
            self._stop.clear()
            self._task = asyncio.create_task(self._run(), name="live-state")

    async def stop(self, grace_s: float = 5.0) -> None:
        """Stop ticking, letting database reads in progress finish for ``grace_s``."""
        task, self._task = self._task, None
        if task is None:
            return
        self._stop.set()
        pending = [task, *self._background]
        _, late = await asyncio.wait(pending, timeout=grace_s)
        for one in late:
            one.cancel()
        for one in late:
            with contextlib.suppress(asyncio.CancelledError):
                await one

    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        next_start = loop.time() + self._interval_s
        while not self._stop.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stop.wait(), max(0.0, next_start - loop.time()))
            if self._stop.is_set():
                return
            # Fixed rate: a slow tick shortens the pause before the next, never stacks.
            next_start = max(next_start + self._interval_s, loop.time())
            try:
                await self.tick()
            except Exception:  # a bug must not end the ticking; logged with its traceback
                log.exception("live state tick failed")
