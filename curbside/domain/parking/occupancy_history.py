"""Occupancy over time: the time-weighted mean number of occupied spaces per bucket (pure logic).

Each status report holds from its time until the space's next report, but never longer than
the staleness limit: a space whose sensor fell silent counts as unknown, not occupied, as it
does in the live occupancy. The mean over a bucket is the integral of the number of occupied
spaces over the bucket divided by the bucket's length, computed exactly (in milliseconds),
not sampled.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MS = timedelta(milliseconds=1)


@dataclass(frozen=True, slots=True)
class OccupancyBucket:
    """The mean number of occupied spaces over ``[start, end)``, out of ``capacity``, and the
    mean number whose status was known at all (0: no data, a gap rather than 0 %)."""

    start: datetime
    end: datetime
    occupied_mean: float
    capacity: int
    known_mean: float

    @property
    def has_data(self) -> bool:
        """Whether any space's status was known during the bucket."""
        return self.known_mean > 0

    @property
    def occupancy_rate(self) -> float | None:
        """``occupied_mean / capacity``; None without data or for a zone without spaces."""
        return self.occupied_mean / self.capacity if self.capacity and self.has_data else None


def _ms(moment: datetime) -> int:
    return (moment - _EPOCH) // _MS


class OccupancyIntegrator:
    """Adds up occupied space-time per bucket, fed one status report at a time.

    Buckets are ``every`` long from ``start``; the last one ends at ``end`` and may be
    shorter. Reports must come in time order for each space (spaces may interleave); feed the
    reports from ``start - stale_after`` on so each space's status at ``start`` is known.
    Reports of spaces not in ``spaces`` are ignored: only the registry's spaces count.
    """

    def __init__(
        self,
        spaces: Collection[str],
        start: datetime,
        end: datetime,
        every: timedelta,
        stale_after: timedelta,
    ) -> None:
        if every <= timedelta(0) or stale_after <= timedelta(0):
            raise ValueError("every and stale_after must be positive")
        self._spaces = frozenset(spaces)
        self._start = _ms(start)
        self._end = max(self._start, _ms(end))
        self._every = every // _MS
        self._stale = stale_after // _MS
        count = -(-(self._end - self._start) // self._every)  # ceiling division
        self._occupied_ms = [0] * count
        self._known_ms = [0] * count
        self._last: dict[str, tuple[int, bool]] = {}

    def add(self, space: str, ts: datetime, occupied: bool) -> None:
        """One report: the space was occupied (or not) from ``ts`` until its next report."""
        if space not in self._spaces:
            return
        at = _ms(ts)
        previous = self._last.get(space)
        if previous is not None:
            if at < previous[0]:
                raise ValueError(f"reports of {space} must come in time order")
            self._add_status(previous, at, self._occupied_ms, self._known_ms)
        self._last[space] = (at, occupied)

    def add_all(self, space: str, reports: Iterable[tuple[datetime, bool]]) -> None:
        """Several reports of one space, in time order."""
        for ts, occupied in reports:
            self.add(space, ts, occupied)

    def buckets(self) -> list[OccupancyBucket]:
        """The buckets, with each space's latest status held until ``end`` (or it goes stale)."""
        totals, known = list(self._occupied_ms), list(self._known_ms)
        for status in self._last.values():
            self._add_status(status, self._end, totals, known)
        out = []
        for index, occupied_ms in enumerate(totals):
            lo = self._start + index * self._every
            hi = min(lo + self._every, self._end)
            out.append(
                OccupancyBucket(
                    start=_EPOCH + lo * _MS,
                    end=_EPOCH + hi * _MS,
                    occupied_mean=occupied_ms / (hi - lo),
                    capacity=len(self._spaces),
                    known_mean=known[index] / (hi - lo),
                )
            )
        return out

    def _add_status(
        self, status: tuple[int, bool], until: int, occupied_ms: list[int], known_ms: list[int]
    ) -> None:
        since, occupied = status
        held_until = min(until, since + self._stale)
        self._add_interval(since, held_until, known_ms)
        if occupied:
            self._add_interval(since, held_until, occupied_ms)

    def _add_interval(self, lo: int, hi: int, totals: list[int]) -> None:
        lo, hi = max(lo, self._start), min(hi, self._end)
        if lo >= hi:
            return
        first = (lo - self._start) // self._every
        last = (hi - 1 - self._start) // self._every
        for index in range(first, last + 1):
            bucket_lo = self._start + index * self._every
            bucket_hi = bucket_lo + self._every
            totals[index] += min(hi, bucket_hi) - max(lo, bucket_lo)


def busiest_first(buckets: Iterable[OccupancyBucket], every: timedelta) -> list[OccupancyBucket]:
    """The complete buckets (``every`` long: not the one still running) with data, from the
    highest mean occupancy to the lowest; ties in time order. A bucket without data is
    unknown, not empty, and a partial one is not comparable, so neither is ranked."""
    ranked = [b for b in buckets if b.has_data and b.end - b.start == every]
    return sorted(ranked, key=lambda b: (-b.occupied_mean, b.start))
