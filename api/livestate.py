"""The live state requests read: a snapshot refreshed from InfluxDB in the background.

Requests never query the database. A task replaces the snapshot every ``api_refresh_s``
seconds; a failed refresh keeps the previous snapshot (so the API keeps answering with data
that is a little older) and is reported by /health until a refresh succeeds again.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from city.registry import City
from parking.occupancy import SpaceState, ZoneOccupancy, zone_occupancy
from sanitation.bins import BinState
from store.influx import InfluxError
from store.latest import Latest, LatestReader

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Snapshot:
    """Everything the endpoints serve, in registry order, computed as of one moment.

    Every registry space and bin is present: one that never reported has a state whose
    values are all None. Devices the registry does not list are left out.
    """

    as_of: datetime
    stale_after: timedelta
    zones: dict[str, ZoneOccupancy]
    spaces: dict[str, list[SpaceState]]
    bins: dict[str, list[BinState]]


def build_snapshot(city: City, latest: Latest, as_of: datetime, stale_after: timedelta) -> Snapshot:
    """Arrange the latest device states by registry zone and district, with zone counts."""
    space_states = {(s.zone, s.space): s for s in latest.spaces}
    bin_states = {(b.district, b.bin): b for b in latest.bins}
    spaces = {
        zone.id: [
            space_states.get((zone.id, space.id))
            or SpaceState(zone.id, space.id, None, None, None, None)
            for space in zone.spaces
        ]
        for zone in city.parking_zones
    }
    bins = {
        district.id: [
            bin_states.get((district.id, b.id))
            or BinState(district.id, b.id, None, None, None, None, None)
            for b in district.bins
        ]
        for district in city.sanitation_districts
    }
    zones = {
        zone.id: zone_occupancy(zone, spaces[zone.id], as_of, stale_after)
        for zone in city.parking_zones
    }
    return Snapshot(as_of=as_of, stale_after=stale_after, zones=zones, spaces=spaces, bins=bins)


def snapshot_loader(
    reader: LatestReader, city: City, stale_after: timedelta
) -> Callable[[datetime], Snapshot]:
    """A blocking function that reads the database and builds the snapshot as of ``now``."""

    def load(now: datetime) -> Snapshot:
        return build_snapshot(city, reader.read(), now, stale_after)

    return load


def _utc_now() -> datetime:
    return datetime.now(UTC)


class LiveState:
    """Holds the current snapshot and refreshes it; also what /health reports about it."""

    def __init__(
        self,
        load: Callable[[datetime], Snapshot],
        interval_s: float,
        clock: Callable[[], datetime] = _utc_now,
    ) -> None:
        self._load = load
        self._interval_s = interval_s
        self._clock = clock
        self._stop = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self.snapshot: Snapshot | None = None
        self.refresh_error: str | None = None
        self.last_duration_s: float | None = None

    @property
    def last_refresh(self) -> datetime | None:
        """When the snapshot being served was taken; None before the first success."""
        return self.snapshot.as_of if self.snapshot is not None else None

    async def refresh(self) -> bool:
        """Load a new snapshot; on failure keep the old one and record the error."""
        now = self._clock()
        started = time.perf_counter()
        try:
            snapshot = await asyncio.to_thread(self._load, now)
        except InfluxError as exc:
            self._failed(f"{type(exc).__name__}: {exc}", traceback=False)
            return False
        # Anything else is a bug, but the refresher must survive it: a dead task would
        # leave the API serving one frozen snapshot with /health none the wiser.
        except Exception as exc:  # noqa: BLE001
            self._failed(f"{type(exc).__name__}: {exc}", traceback=True)
            return False
        self.last_duration_s = time.perf_counter() - started
        if self.refresh_error is not None:
            log.info("live state refreshed again after failures")
        self.snapshot = snapshot
        self.refresh_error = None
        return True

    def _failed(self, message: str, *, traceback: bool) -> None:
        # Log the first failure of a streak only; /health shows the current error.
        if self.refresh_error is None:
            kept = "keeping the previous snapshot" if self.snapshot else "no snapshot yet"
            log.error("live state refresh failed (%s): %s", kept, message, exc_info=traceback)
        self.refresh_error = message

    def start(self) -> None:
        """Start refreshing every ``interval_s`` seconds in a background task."""
        if self._task is None:
            self._stop.clear()
            self._task = asyncio.create_task(self._run(), name="live-state-refresher")

    async def stop(self, grace_s: float = 5.0) -> None:
        """Stop the background task, letting a refresh in progress finish for ``grace_s``."""
        task, self._task = self._task, None
        if task is None:
            return
        self._stop.set()
        try:
            await asyncio.wait_for(asyncio.shield(task), grace_s)
        except TimeoutError:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        next_start = loop.time() + self._interval_s
        while not self._stop.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stop.wait(), max(0.0, next_start - loop.time()))
            if self._stop.is_set():
                return
            # Fixed rate: a slow refresh shortens the pause before the next, never stacks.
            next_start = max(next_start + self._interval_s, loop.time())
            await self.refresh()
