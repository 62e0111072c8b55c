"""Fees of many stays at once with numpy, equal to :func:`curbside.domain.parking.fees.compute_fee`
in fen.

The tariff is first laid out over the local days the stays span: every priced band occurrence
as an interval of epoch seconds, with its price as a lookup table of the cumulative charge by
band clock (exact integers, second by second, periodic after the last tier starts). Each stay
then walks its overlapping occurrences in time order, all stays in step, so the work is a few
dozen array operations per occurrence a stay touches. Caps are applied as in the scalar engine:
a part's charge is ``F(clock at end) - F(clock at start)``, split at window boundaries.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from zoneinfo import ZoneInfo

import numpy as np
import numpy.typing as npt

from curbside.domain.parking.fees import DAY_S, MINUTE_S, band_occurrences, local_date, midnight
from curbside.vocabulary.tariff import FlatPrice, FreePrice, Tariff, TieredPrice
from curbside.vocabulary.workdays import WorkdayCalendar

Int64Array = npt.NDArray[np.int64]

CHUNK = 1 << 16  # stays per pass: keeps the working arrays in cache
NO_WINDOW = np.iinfo(np.int64).min


@dataclass(frozen=True, slots=True)
class _Plan:
    """The tariff laid out over a range of local days (priced occurrences only)."""

    start: Int64Array  # occurrence [start, end) in epoch seconds, sorted, disjoint
    end: Int64Array
    day: Int64Array  # ordinal of the local date the occurrence starts on (its charging day)
    clock: Int64Array  # index of the band's continuing tier clock, -1 if it restarts
    tail: Int64Array  # band clock (s) from which the price repeats with period ``period``
    period: Int64Array
    period_fen: Int64Array
    offset: Int64Array  # where the price's table starts in ``table``
    table: Int64Array  # cumulative charge by band clock second, for each price
    clocks: int  # how many bands have a continuing clock
    cap_fen: int | None
    window: str | None
    midnights: Int64Array  # local midnights of the range's days, for calendar-day caps
    uniform_days: bool  # every day in range is 86,400 s, so day = (t - midnights[0]) // DAY_S


def compute_fees(
    tariff: Tariff,
    entries_s: npt.ArrayLike,
    exits_s: npt.ArrayLike,
    calendar: WorkdayCalendar,
    tz: ZoneInfo,
) -> Int64Array:
    """Fee in fen of each stay (entry and exit as epoch seconds), as an int64 array."""
    entries = _seconds(entries_s, "entries_s")
    exits = _seconds(exits_s, "exits_s")
    if entries.shape != exits.shape:
        raise ValueError(f"entries_s {entries.shape} and exits_s {exits.shape} differ in shape")
    if np.any(exits < entries):
        bad = int(np.argmax(exits < entries))
        raise ValueError(f"stay {bad}: exit {exits[bad]} is before entry {entries[bad]}")
    fees = np.zeros(entries.shape, dtype=np.int64)
    if entries.size == 0:
        return fees

    charged_from = entries.copy()
    active = exits > entries
    grace = tariff.grace
    if grace is not None:
        active &= exits - entries > grace.minutes * MINUTE_S
        if not grace.charged_when_exceeded:
            charged_from += grace.minutes * MINUTE_S
    if not np.any(active):
        return fees
    first = local_date(int(charged_from[active].min()), tz) - timedelta(days=2)
    last = local_date(int(exits[active].max()), tz) + timedelta(days=1)
    plan = _plan(tariff, calendar, tz, first, last)
    for low in range(0, entries.size, CHUNK):
        high = low + CHUNK
        fees[low:high] = _chunk(
            plan, entries[low:high], charged_from[low:high], exits[low:high], active[low:high]
        )
    return fees


def _seconds(values: npt.ArrayLike, what: str) -> Int64Array:
    array = np.asarray(values)
    if array.ndim != 1:
        raise ValueError(f"{what} must be one-dimensional, got shape {array.shape}")
    if np.issubdtype(array.dtype, np.integer):
        return array.astype(np.int64)
    if np.issubdtype(array.dtype, np.floating):
        if not np.all(np.isfinite(array)):
            raise ValueError(f"{what} has a value that is not a finite number")
        floored: Int64Array = np.floor(array).astype(np.int64)  # whole seconds, as scalar
        return floored
    raise TypeError(f"{what} must be epoch seconds (int or float), got {array.dtype}")


def _plan(
    tariff: Tariff, calendar: WorkdayCalendar, tz: ZoneInfo, first: date, last: date
) -> _Plan:
    continuing = [i for i, b in enumerate(tariff.bands) if b.tier_clock == "continue"]
    names = ("start", "end", "day", "clock", "tail", "period", "period_fen", "offset")
    columns: dict[str, list[int]] = {name: [] for name in names}
    tables: list[Int64Array] = []
    prices: dict[tuple[int, bool], tuple[int, int, int, int]] = {}
    for occurrence in band_occurrences(tariff, calendar, tz, first, last):
        band = occurrence.band
        price = band.price_on(occurrence.workday)
        if isinstance(price, FreePrice):
            continue  # charges nothing and does not run the tier clock
        key = (occurrence.band_index, price is band.price)
        if key not in prices:
            table, tail, period, period_fen = _price_table(price)
            prices[key] = (tail, period, period_fen, sum(t.size for t in tables))
            tables.append(table)
        clock = continuing.index(occurrence.band_index) if band.tier_clock == "continue" else -1
        row = (occurrence.start_s, occurrence.end_s, occurrence.day.toordinal(), clock)
        for name, value in zip(names, (*row, *prices[key]), strict=True):
            columns[name].append(value)
    days = [first + timedelta(days=n) for n in range((last - first).days + 3)]
    midnights = np.array([midnight(d, tz) for d in days], dtype=np.int64)

    def column(name: str) -> Int64Array:
        return np.array(columns[name], dtype=np.int64)

    return _Plan(
        start=column("start"),
        end=column("end"),
        day=column("day"),
        clock=column("clock"),
        tail=column("tail"),
        period=column("period"),
        period_fen=column("period_fen"),
        offset=column("offset"),
        table=np.concatenate(tables) if tables else np.zeros(1, dtype=np.int64),
        clocks=len(continuing),
        cap_fen=None if tariff.cap is None else tariff.cap.fen,
        window=None if tariff.cap is None else tariff.cap.window,
        midnights=midnights,
        uniform_days=bool(np.all(np.diff(midnights) == DAY_S)),
    )


def _price_table(price: FlatPrice | TieredPrice) -> tuple[Int64Array, int, int, int]:
    """Cumulative charge for band clocks 0..tail+period-1 s, and how it continues after.

    For a clock x >= tail the charge is ``table[tail + (x - tail) % period]`` plus
    ``(x - tail) // period`` times ``period_fen``.
    """
    if isinstance(price, FlatPrice):
        return np.array([0, price.fen], dtype=np.int64), 1, 1, 0
    starts = price.tier_starts()
    tail = starts[-1] * MINUTE_S
    period = price.tiers[-1].unit_minutes * MINUTE_S
    clock = np.arange(tail + period, dtype=np.int64)
    charge = np.zeros_like(clock)
    for start, tier in zip(starts, price.tiers, strict=True):
        elapsed = np.maximum(clock - start * MINUTE_S, 0)
        if tier.up_to_minutes is not None:
            elapsed = np.minimum(elapsed, (tier.up_to_minutes - start) * MINUTE_S)
        whole, rest = np.divmod(elapsed, tier.unit_minutes * MINUTE_S)
        if price.partial == "round-up":
            whole += rest > 0
        elif price.partial == "threshold" and price.free_under_minutes is not None:
            whole += rest >= price.free_under_minutes * MINUTE_S
        charge += whole * tier.unit_fen
    return charge, tail, period, price.tiers[-1].unit_fen


def _chunk(
    plan: _Plan,
    entries: Int64Array,
    charged_from: Int64Array,
    exits: Int64Array,
    active: npt.NDArray[np.bool_],
) -> Int64Array:
    fees = np.zeros(entries.size, dtype=np.int64)
    first = np.searchsorted(plan.end, charged_from, side="right")
    count = np.searchsorted(plan.start, exits, side="left") - first
    count[~active] = 0
    rows = np.flatnonzero(count > 0)
    stays = _Stays(
        rows=rows,
        first=first[rows],
        count=count[rows],
        entry=entries[rows],
        start=charged_from[rows],
        exit=exits[rows],
        clocks=np.zeros((plan.clocks, rows.size), dtype=np.int64),
        total=np.zeros(rows.size, dtype=np.int64),
        window_sum=np.zeros(rows.size, dtype=np.int64),
        window=np.full(rows.size, NO_WINDOW, dtype=np.int64),
    )
    step = 0
    while stays.rows.size:
        _walk(plan, stays, step)
        step += 1
        done = stays.count <= step
        if np.any(done):
            fees[stays.rows[done]] = _close(plan, stays, done)
            stays = stays.keep(~done)
    return fees


@dataclass(slots=True)
class _Stays:
    """The stays of a chunk still walking their occurrences, and what they have run up."""

    rows: Int64Array
    first: Int64Array
    count: Int64Array
    entry: Int64Array
    start: Int64Array
    exit: Int64Array
    clocks: Int64Array  # (bands with a continuing clock, stays)
    total: Int64Array  # closed windows, capped
    window_sum: Int64Array  # the open window's uncapped sum
    window: Int64Array  # the open window's key

    def keep(self, mask: npt.NDArray[np.bool_]) -> _Stays:
        return _Stays(
            rows=self.rows[mask],
            first=self.first[mask],
            count=self.count[mask],
            entry=self.entry[mask],
            start=self.start[mask],
            exit=self.exit[mask],
            clocks=self.clocks[:, mask],
            total=self.total[mask],
            window_sum=self.window_sum[mask],
            window=self.window[mask],
        )


def _close(plan: _Plan, stays: _Stays, done: npt.NDArray[np.bool_]) -> Int64Array:
    if plan.cap_fen is None:
        return stays.total[done] + stays.window_sum[done]
    return stays.total[done] + np.minimum(stays.window_sum[done], plan.cap_fen)


def _walk(plan: _Plan, stays: _Stays, step: int) -> None:
    """Charge every stay's ``step``-th occurrence (all stays here have one)."""
    occurrence = stays.first + step
    start = np.maximum(stays.start, plan.start[occurrence])
    end = np.minimum(stays.exit, plan.end[occurrence])
    tail = plan.tail[occurrence]
    period = plan.period[occurrence]
    period_fen = plan.period_fen[occurrence]
    offset = plan.offset[occurrence]

    def charge(clock: Int64Array) -> Int64Array:
        repeats: Int64Array = np.maximum(clock - tail, 0) // period
        charged: Int64Array = plan.table[offset + clock - repeats * period]
        return charged + repeats * period_fen

    if plan.clocks:
        which = plan.clock[occurrence]
        runs = which >= 0
        columns = np.arange(which.size)
        at = np.where(runs, stays.clocks[np.maximum(which, 0), columns], 0)
        until = at + (end - start)
        stays.clocks[which[runs], columns[runs]] = until[runs]
        charged_at = charge(at)
    else:
        at = np.zeros_like(start)
        until = end - start
        charged_at = np.zeros_like(start)
    charged_until = charge(until)

    if plan.window is None:
        stays.window_sum += charged_until - charged_at
        return
    if plan.window == "charging-day":
        _add(plan, stays, plan.day[occurrence], charged_until - charged_at)
        return
    window = _window_of(plan, stays, start)
    last = _window_of(plan, stays, end - 1)
    for split in range(int((last - window).max())):
        crossing = last - window > split
        boundary = _window_start(plan, stays, window + 1)
        charged_boundary = charge(at + np.maximum(boundary - start, 0))
        _add(plan, stays, window, np.where(crossing, charged_boundary - charged_at, 0))
        charged_at = np.where(crossing, charged_boundary, charged_at)
        window = np.where(crossing, window + 1, window)
    _add(plan, stays, window, charged_until - charged_at)


def _add(plan: _Plan, stays: _Stays, window: Int64Array, amount: Int64Array) -> None:
    """Add charges to each stay's window ``window``, closing (capping) the one before if new."""
    assert plan.cap_fen is not None
    new = window != stays.window
    stays.total += np.where(new, np.minimum(stays.window_sum, plan.cap_fen), 0)
    stays.window_sum = np.where(new, amount, stays.window_sum + amount)
    stays.window = window


def _window_of(plan: _Plan, stays: _Stays, moment: Int64Array) -> Int64Array:
    if plan.window == "24h-from-entry":
        return (moment - stays.entry) // DAY_S
    if plan.uniform_days:
        day: Int64Array = (moment - plan.midnights[0]) // DAY_S
        return day
    return np.searchsorted(plan.midnights, moment, side="right") - 1


def _window_start(plan: _Plan, stays: _Stays, window: Int64Array) -> Int64Array:
    if plan.window == "24h-from-entry":
        return stays.entry + window * DAY_S
    return plan.midnights[window]
