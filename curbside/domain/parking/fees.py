"""The fee of one stay under a tariff, with an itemised breakdown (pure logic, the reference).

The rules, with worked examples, are in ``docs/fees.md``. In short: times are whole seconds;
a stay no longer than the grace period is free; otherwise the charged part of the stay is split
at band boundaries, each part priced by its band occurrence's price (chosen by the local date
on which that occurrence starts); a tier clock per band says how far into the tiers a part is;
a part's charge is ``f(clock at its end) - f(clock at its start)``, so splitting a part at a
cap-window boundary moves money between windows without changing the sum; each cap window's
sum is then cut to the cap. :mod:`curbside.domain.parking.fees_vectorised` computes the same totals
in bulk.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

from curbside.vocabulary.messages import Message
from curbside.vocabulary.tariff import Band, Cap, FlatPrice, FreePrice, Tariff, TieredPrice
from curbside.vocabulary.workdays import WorkdayCalendar

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
SECOND = timedelta(seconds=1)
DAY_S = 86_400
MINUTE_S = 60


@dataclass(frozen=True, slots=True)
class FeeItem:
    """One line of the breakdown: a part of the stay, charged by one band at one unit price."""

    band: str
    start: datetime
    end: datetime
    units: int
    unit_fen: int
    subtotal_fen: int
    description: str  # English, for API clients that read it before codes (docs/api.md)
    message: Message | None  # None on charges recorded before codes: they show description


@dataclass(frozen=True, slots=True)
class Fee:
    """A stay's fee: ``sum(item subtotals) - cap_deduction_fen == total_fen``."""

    total_fen: int
    items: tuple[FeeItem, ...]
    cap_deduction_fen: int
    grace_applied: bool


@dataclass(frozen=True, slots=True)
class BandOccurrence:
    """A band on one local date, ``[start_s, end_s)`` in epoch seconds, starting on ``day``."""

    band_index: int
    band: Band
    day: date
    workday: bool
    start_s: int
    end_s: int


def yuan(fen: int) -> str:
    """A display string for an amount in fen: ``yuan(1250) == "¥12.50"``."""
    sign = "-" if fen < 0 else ""
    whole, cents = divmod(abs(fen), 100)
    return f"{sign}¥{whole}.{cents:02d}"


def to_seconds(moment: datetime, what: str = "time") -> int:
    """Whole epoch seconds of an aware datetime (fractions of a second are dropped)."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"{what} must be an aware datetime, got {moment.isoformat()}")
    return (moment - EPOCH) // SECOND


def from_seconds(seconds: int) -> datetime:
    """The aware UTC datetime of whole epoch seconds."""
    return EPOCH + timedelta(seconds=seconds)


def local_date(seconds: int, tz: ZoneInfo) -> date:
    """The local calendar date at an instant."""
    return from_seconds(seconds).astimezone(tz).date()


@lru_cache(maxsize=65_536)  # the same few band boundaries, day after day
def wall_to_seconds(day: date, minute: int, tz: ZoneInfo) -> int:
    """The instant of local wall time ``day`` + ``minute`` minutes, monotone in the wall time.

    An ambiguous wall time (clocks going back) is its first instant; a wall time that does not
    exist (clocks going forward) is the instant the gap ends, so a later wall time is never an
    earlier instant and band occurrences never overlap.
    """
    wall = datetime(day.year, day.month, day.day, tzinfo=tz) + timedelta(minutes=minute)
    early = to_seconds(wall.replace(fold=0))
    if from_seconds(early).astimezone(tz).replace(tzinfo=None) == wall.replace(tzinfo=None):
        return early
    # Inside a gap: fold=1 reads the wall time with the later offset, an instant before the
    # transition; find the transition between the two readings by bisection.
    low = to_seconds(wall.replace(fold=1))
    high = early
    before = from_seconds(low).astimezone(tz).utcoffset()
    while high - low > 1:
        middle = (low + high) // 2
        if from_seconds(middle).astimezone(tz).utcoffset() == before:
            low = middle
        else:
            high = middle
    return high


def band_occurrences(
    tariff: Tariff, calendar: WorkdayCalendar, tz: ZoneInfo, first: date, last: date
) -> list[BandOccurrence]:
    """Every non-empty occurrence of the tariff's bands starting on local dates first..last."""
    order = sorted(range(len(tariff.bands)), key=lambda i: tariff.bands[i].start_minute)
    found: list[BandOccurrence] = []
    day = first
    while day <= last:
        workday = calendar.is_workday(day)
        for index in order:
            band = tariff.bands[index]
            if not band.applies_on(workday):
                continue
            start = wall_to_seconds(day, band.start_minute, tz)
            end = wall_to_seconds(day, band.start_minute + band.length_minutes, tz)
            if end > start:
                found.append(BandOccurrence(index, band, day, workday, start, end))
        day += timedelta(days=1)
    return found


def midnight(day: date, tz: ZoneInfo) -> int:
    """The instant a local calendar day starts."""
    return wall_to_seconds(day, 0, tz)


def calendar_day_of(seconds: int, tz: ZoneInfo) -> date:
    """The local day containing an instant: the last day whose midnight is not after it."""
    day = local_date(seconds, tz)
    while midnight(day + timedelta(days=1), tz) <= seconds:
        day += timedelta(days=1)
    while midnight(day, tz) > seconds:
        day -= timedelta(days=1)
    return day


def compute_fee(
    tariff: Tariff, entry: datetime, exit: datetime, calendar: WorkdayCalendar, tz: ZoneInfo
) -> Fee:
    """The fee for a stay from ``entry`` to ``exit`` (aware datetimes) with its breakdown."""
    entry_s = to_seconds(entry, "entry")
    exit_s = to_seconds(exit, "exit")
    if exit_s < entry_s:
        raise ValueError(f"exit {exit.isoformat()} is before entry {entry.isoformat()}")
    grace = tariff.grace
    if grace is not None and exit_s - entry_s <= grace.minutes * MINUTE_S:
        return Fee(total_fen=0, items=(), cap_deduction_fen=0, grace_applied=True)
    charged_from = entry_s
    if grace is not None and not grace.charged_when_exceeded:
        charged_from += grace.minutes * MINUTE_S

    # An occurrence lasts at most a day of wall time: the one that started the day before the
    # stay's first day can still be running; none starting after its last day can reach it.
    first = local_date(charged_from, tz) - timedelta(days=1)
    last = local_date(exit_s, tz)
    clocks: dict[int, int] = {}
    items: list[FeeItem] = []
    window_sums: dict[int, int] = {}
    for occurrence in band_occurrences(tariff, calendar, tz, first, last):
        start = max(charged_from, occurrence.start_s)
        end = min(exit_s, occurrence.end_s)
        if start >= end:
            continue
        band = occurrence.band
        price = band.price_on(occurrence.workday)
        if isinstance(price, FreePrice):
            continue  # free time does not run the tier clock
        clock = clocks.get(occurrence.band_index, 0) if band.tier_clock == "continue" else 0
        clocks[occurrence.band_index] = clock + (end - start)
        non_workday = not occurrence.workday and band.non_workday_price is not None
        pieces = _pieces(tariff.cap, occurrence, start, end, entry_s=entry_s, tz=tz)
        for piece_start, piece_end, window in pieces:
            at = clock + (piece_start - start)
            until = clock + (piece_end - start)
            piece = _items(
                band.name, price, non_workday=non_workday, start=piece_start, at=at, until=until
            )
            for item in piece:
                items.append(item)
                window_sums[window] = window_sums.get(window, 0) + item.subtotal_fen

    subtotal = sum(window_sums.values())
    total = subtotal
    if tariff.cap is not None:
        total = sum(min(tariff.cap.fen, amount) for amount in window_sums.values())
    return Fee(
        total_fen=total,
        items=tuple(items),
        cap_deduction_fen=subtotal - total,
        grace_applied=False,
    )


def _pieces(
    cap: Cap | None,
    occurrence: BandOccurrence,
    start: int,
    end: int,
    *,
    entry_s: int,
    tz: ZoneInfo,
) -> Iterator[tuple[int, int, int]]:
    """``[start, end)`` cut at cap-window boundaries, each piece with its window's key."""
    if cap is None:
        yield start, end, 0
        return
    if cap.window == "charging-day":
        yield start, end, occurrence.day.toordinal()
        return
    while start < end:
        if cap.window == "24h-from-entry":
            window = (start - entry_s) // DAY_S
            boundary = entry_s + (window + 1) * DAY_S
        else:
            day = calendar_day_of(start, tz)
            window = day.toordinal()
            boundary = midnight(day + timedelta(days=1), tz)
        piece_end = min(end, boundary)
        yield start, piece_end, window
        start = piece_end


def _items(
    band: str,
    price: FlatPrice | TieredPrice,
    *,
    non_workday: bool,
    start: int,
    at: int,
    until: int,
) -> Iterator[FeeItem]:
    """The items of one piece, whose band clock runs from ``at`` to ``until`` seconds."""
    suffix = " (non-workday)" if non_workday else ""
    day = "non_workday" if non_workday else "workday"
    if isinstance(price, FlatPrice):
        units = 1 if at == 0 else 0  # charged as soon as the clock starts, once per clock
        yield FeeItem(
            band=band,
            start=from_seconds(start),
            end=from_seconds(start + until - at),
            units=units,
            unit_fen=price.fen,
            subtotal_fen=units * price.fen,
            description=f"per stay: {units} × {yuan(price.fen)}{suffix}",
            message=Message("fee.flat", {"units": units, "unit_fen": price.fen, "day": day}),
        )
        return
    starts = price.tier_starts()
    for number, tier in enumerate(price.tiers):
        tier_start = starts[number] * MINUTE_S
        tier_end = None if tier.up_to_minutes is None else tier.up_to_minutes * MINUTE_S
        low = max(at, tier_start)
        high = until if tier_end is None else min(until, tier_end)
        if low >= high:
            continue
        units = tier_units(price, number, until) - tier_units(price, number, at)
        label = _tier_label(price, number)
        yield FeeItem(
            band=band,
            start=from_seconds(start + low - at),
            end=from_seconds(start + high - at),
            units=units,
            unit_fen=tier.unit_fen,
            subtotal_fen=units * tier.unit_fen,
            description=(
                f"{label}: {units} × {tier.unit_minutes} min at {yuan(tier.unit_fen)}{suffix}"
            ),
            message=Message(
                _tier_code(price, number),
                {
                    **_tier_bounds(price, number),
                    "units": units,
                    "unit_minutes": tier.unit_minutes,
                    "unit_fen": tier.unit_fen,
                    "day": day,
                },
            ),
        )


def tier_units(price: TieredPrice, number: int, clock_s: int) -> int:
    """Units of tier ``number`` payable once the band clock has reached ``clock_s`` seconds."""
    tier = price.tiers[number]
    tier_start = price.tier_starts()[number] * MINUTE_S
    elapsed = max(0, clock_s - tier_start)
    if tier.up_to_minutes is not None:
        elapsed = min(elapsed, tier.up_to_minutes * MINUTE_S - tier_start)
    whole, rest = divmod(elapsed, tier.unit_minutes * MINUTE_S)
    if price.partial == "round-up":
        return whole + (rest > 0)
    if price.partial == "threshold" and price.free_under_minutes is not None:
        return whole + (rest >= price.free_under_minutes * MINUTE_S)
    return whole


def _tier_code(price: TieredPrice, number: int) -> str:
    """The code of :func:`_tier_label`."""
    if len(price.tiers) == 1:
        return "fee.tier.only"
    bounds = _tier_bounds(price, number)
    if "up_to_min" not in bounds:
        return "fee.tier.after"
    return "fee.tier.between" if "from_min" in bounds else "fee.tier.first"


def _tier_bounds(price: TieredPrice, number: int) -> dict[str, int]:
    """Where a tier starts (unless at 0) and ends (unless open-ended), in minutes."""
    if len(price.tiers) == 1:
        return {}
    start = price.tier_starts()[number]
    up_to = price.tiers[number].up_to_minutes
    bounds = {} if start == 0 else {"from_min": start}
    return bounds if up_to is None else bounds | {"up_to_min": up_to}


def _tier_label(price: TieredPrice, number: int) -> str:
    """The English label of the legacy ``description`` (the code says the same)."""
    bounds = _tier_bounds(price, number)
    code = _tier_code(price, number)
    if code == "fee.tier.only":
        return "time parked"
    if code == "fee.tier.after":
        return f"after {bounds['from_min']} min"
    if code == "fee.tier.first":
        return f"first {bounds['up_to_min']} min"
    return f"{bounds['from_min']}–{bounds['up_to_min']} min"
