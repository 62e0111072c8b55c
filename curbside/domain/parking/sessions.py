"""Parking sessions (one vehicle's stay in one space) derived from status reports (pure logic).

The rules, with small examples, are in docs/sessions.md. In short: reports are deduplicated
and sorted by time; a silence longer than ``silent_after`` cuts the series into segments;
within a segment consecutive reports of one status form runs; a vacant run shorter than the
debounce between two occupied runs does not split the stay; an occupied run shorter than the
debounce is no stay; every remaining occupied run is a session.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

ONGOING = "ongoing"
SENSOR_SILENT = "sensor_silent"
MESSAGES_LOST = "messages_lost"
START_UNKNOWN = "start_unknown"

# Sensors count their messages in 16 bits (0..65535, then 0 again). Comparing counters modulo
# 2**16 also works for 32-bit counters, whose wrap is a multiple of it.
SEQ_MODULUS = 65_536
# A step of half the modulus or more is a counter that went back (a reboot), not a loss.
_SEQ_RESET_AT = SEQ_MODULUS // 2


@dataclass(frozen=True, slots=True)
class Observation:
    """One stored status report of a space: when, what, and the sensor's message counter."""

    ts: datetime
    occupied: bool
    seq: int | None = None


@dataclass(frozen=True, slots=True)
class Session:
    """One stay: ``end`` is None while ongoing; ``last_confirmed`` is the last occupied report."""

    zone: str
    space: str
    start: datetime
    end: datetime | None
    last_confirmed: datetime
    flags: frozenset[str]

    def until(self, now: datetime) -> datetime:
        """When the stay ends as far as billing goes: ``end``, or ``now`` while ongoing."""
        return self.end if self.end is not None else now

    def duration_s(self, now: datetime) -> int:
        """Whole seconds from ``start`` to ``end``, or to ``now`` while ongoing."""
        return max(0, (self.until(now) - self.start) // timedelta(seconds=1))

    def overlaps(self, start: datetime, end: datetime) -> bool:
        """Whether the stay overlaps ``[start, end)``."""
        return self.start < end and (self.end is None or self.end > start)


@dataclass(frozen=True, slots=True)
class SessionRules:
    """How reports become sessions: the flicker debounce and the silence limit."""

    debounce: timedelta = timedelta(seconds=60)
    silent_after: timedelta = timedelta(hours=1)

    def __post_init__(self) -> None:
        # A zero debounce would let a single report make a stay of no length.
        if self.debounce <= timedelta(0):
            raise ValueError("debounce must be positive")
        if self.silent_after <= timedelta(0):
            raise ValueError("silent_after must be positive")


@dataclass(slots=True)
class _Run:
    # Reports obs[lo:hi] of one status (an occupied run may hold absorbed vacant blips).
    occupied: bool
    lo: int
    hi: int


@dataclass(frozen=True, slots=True)
class _Found:
    session: Session
    # The session starts at the first report of the data (no silence before it): reading
    # earlier reports could show when it really began.
    at_data_start: bool


def derive_sessions(
    zone: str, space: str, observations: Iterable[Observation], now: datetime, rules: SessionRules
) -> list[Session]:
    """The sessions of one space, in time order, from its status reports as of ``now``."""
    return [found.session for found in _derive(zone, space, observations, now, rules)]


def needs_earlier_data(
    observations: Iterable[Observation], window_start: datetime, now: datetime, rules: SessionRules
) -> bool:
    """Whether a session reaching into ``[window_start, ...)`` starts where the data starts.

    Such a session may have begun before the first report given: earlier reports are needed
    to find its real start.
    """
    return any(
        found.at_data_start and (found.session.end is None or found.session.end > window_start)
        for found in _derive("", "", observations, now, rules)
    )


def _derive(
    zone: str, space: str, observations: Iterable[Observation], now: datetime, rules: SessionRules
) -> list[_Found]:
    obs = _prepared(observations, now)
    found: list[_Found] = []
    for number, (lo, hi) in enumerate(_bounds(obs, rules.silent_after)):
        silent = hi < len(obs) or now - obs[hi - 1].ts > rules.silent_after
        segment = _Segment(obs, now, silent, rules.debounce)
        runs = segment.without_flickers(segment.without_blips(segment.runs(lo, hi)))
        for index, run in enumerate(runs):
            if run.occupied:
                session = segment.session(zone, space, runs, index)
                unknown = START_UNKNOWN in session.flags
                found.append(_Found(session, at_data_start=unknown and number == 0))
    return found


def _prepared(observations: Iterable[Observation], now: datetime) -> list[Observation]:
    # Exact duplicates are one report; reports after `now` have not happened yet. The sort key
    # covers every field, so the order (and the result) never depends on the input order.
    unique = {o for o in observations if o.ts <= now}
    return sorted(unique, key=lambda o: (o.ts, o.occupied, -1 if o.seq is None else o.seq))


def _bounds(obs: Sequence[Observation], silent_after: timedelta) -> list[tuple[int, int]]:
    # The segments: index ranges of the reports between two silences.
    bounds: list[tuple[int, int]] = []
    lo = 0
    for i in range(1, len(obs) + 1):
        if i == len(obs) or obs[i].ts - obs[i - 1].ts > silent_after:
            bounds.append((lo, i))
            lo = i
    return bounds


@dataclass(frozen=True, slots=True)
class _Segment:
    # The reports between two silences, as seen at `now`; `silent` when a silence ends it.
    obs: Sequence[Observation]
    now: datetime
    silent: bool
    debounce: timedelta

    def runs(self, lo: int, hi: int) -> list[_Run]:
        runs: list[_Run] = []
        for i in range(lo, hi):
            if runs and runs[-1].occupied == self.obs[i].occupied:
                runs[-1].hi = i + 1
            else:
                runs.append(_Run(self.obs[i].occupied, i, i + 1))
        return runs

    def length(self, runs: Sequence[_Run], index: int) -> timedelta:
        # Until the next run's first report; the segment's last run until its last report
        # when silence cut it, or until now while it is still open.
        run = runs[index]
        if index + 1 < len(runs):
            return self.obs[runs[index + 1].lo].ts - self.obs[run.lo].ts
        until = self.obs[run.hi - 1].ts if self.silent else self.now
        return until - self.obs[run.lo].ts

    def without_blips(self, runs: list[_Run]) -> list[_Run]:
        # A short vacant run between two occupied runs is the sensor blinking under a car.
        kept: list[_Run] = []
        for run in runs:
            # Runs alternate: before an occupied run come a vacant run and an occupied run.
            if (
                run.occupied
                and len(kept) >= 2
                and self.obs[run.lo].ts - self.obs[kept[-1].lo].ts < self.debounce
            ):
                kept.pop()
                kept[-1].hi = run.hi
            else:
                kept.append(_Run(run.occupied, run.lo, run.hi))
        return kept

    def without_flickers(self, runs: list[_Run]) -> list[_Run]:
        # A short occupied run is a vehicle driving over the sensor (or a stay not yet long
        # enough to count); the vacant runs around it join.
        kept: list[_Run] = []
        for index, run in enumerate(runs):
            if run.occupied and self.length(runs, index) < self.debounce:
                continue
            if kept and kept[-1].occupied == run.occupied:
                kept[-1].hi = run.hi
            else:
                kept.append(_Run(run.occupied, run.lo, run.hi))
        return kept

    def session(self, zone: str, space: str, runs: Sequence[_Run], index: int) -> Session:
        obs = self.obs
        run = runs[index]
        confirmed = max(i for i in range(run.lo, run.hi) if obs[i].occupied)
        flags: set[str] = set()
        end: datetime | None
        if index + 1 < len(runs):
            vacancy = index + 1
            open_vacancy = vacancy == len(runs) - 1 and not self.silent
            if open_vacancy and self.length(runs, vacancy) < self.debounce:
                # Vacant for less than the debounce so far: the car may be back in a moment.
                end, last = None, len(obs) - 1
                flags.add(ONGOING)
            else:
                end, last = obs[runs[vacancy].lo].ts, runs[vacancy].lo
        elif self.silent:
            end, last = obs[confirmed].ts, confirmed
            flags.add(SENSOR_SILENT)
        else:
            end, last = None, run.hi - 1
            flags.add(ONGOING)
        if index == 0 or (index == 1 and self.length(runs, 0) < self.debounce):
            # Nothing (or only a blink of vacancy) before it in this segment: the car may have
            # been there before the first report.
            flags.add(START_UNKNOWN)
        if _seq_gap(obs, max(run.lo - 1, 0), last):
            flags.add(MESSAGES_LOST)
        return Session(
            zone=zone,
            space=space,
            start=obs[run.lo].ts,
            end=end,
            last_confirmed=obs[confirmed].ts,
            flags=frozenset(flags),
        )


def seq_lost(previous: int, current: int) -> int:
    """How many messages were lost between two consecutive counters (0 for a repeat or reset)."""
    step = (current - previous) % SEQ_MODULUS
    if step <= 1 or step >= _SEQ_RESET_AT:
        return 0
    return step - 1


def _seq_gap(obs: Sequence[Observation], first: int, last: int) -> bool:
    for i in range(first, last):
        previous, current = obs[i].seq, obs[i + 1].seq
        if previous is not None and current is not None and seq_lost(previous, current):
            return True
    return False
