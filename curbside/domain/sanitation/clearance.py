"""Daily clearance (日产日清): was each bin's rubbish of the day cleared that day? (pure logic)

The rules, with small examples, are in docs/clearance.md. In short, for one bin and one local
day with its district's deadline: the bin *needed clearance* when it held rubbish (a reading
above ``rubbish_above_pct``) at the day's start or at a reading up to the deadline; its *last
rise* is the last time, up to the deadline, the level went from at or below the threshold to
above it (or the day's start, for rubbish carried over midnight); it *was cleared* by the
first collection of the day at or after the last rise, *late* if that came after the
deadline. Rubbish that first shows after the deadline is the next day's, carried over
midnight.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, tzinfo
from zoneinfo import ZoneInfo

from curbside.city.registry import District
from curbside.domain.sanitation.collections import (
    Collection,
    CollectionRules,
    Emptied,
    Level,
    clean_levels,
    detect_collections,
    utc,
)
from curbside.vocabulary.messages import Message, utc_time

SHANGHAI = ZoneInfo("Asia/Shanghai")


@dataclass(frozen=True, slots=True)
class ClearanceRules:
    """What counts as holding rubbish, and which readings are glitches (as for collections)."""

    rubbish_above_pct: float = 10.0
    collection: CollectionRules = field(default_factory=CollectionRules)

    def __post_init__(self) -> None:
        if not 0 <= self.rubbish_above_pct < 100:
            raise ValueError("rubbish_above_pct must be in [0, 100)")


@dataclass(frozen=True, slots=True)
class BinClearance:
    """One bin's verdict for one day. Times are UTC; all False/None when not ``needed``."""

    needed: bool
    cleared: bool
    late: bool
    cleared_at: datetime | None
    last_rise: datetime | None

    @property
    def not_cleared(self) -> bool:
        """It held rubbish that day and no collection cleared it (yet)."""
        return self.needed and not self.cleared


NOT_NEEDED = BinClearance(needed=False, cleared=False, late=False, cleared_at=None, last_rise=None)


@dataclass(frozen=True, slots=True)
class ClearanceReport:
    """Many bins' verdicts for one day, counted. ``late`` bins are among the cleared."""

    needed: int
    cleared: int
    not_cleared: list[str]
    late: list[str]
    clearance_rate: float | None


@dataclass(frozen=True, slots=True)
class DayBounds:
    """A local day as UTC instants: ``[start, end)``, and its deadline inside it."""

    start: datetime
    end: datetime
    deadline: datetime


def day_bounds(day: date, deadline: time, tz: ZoneInfo = SHANGHAI) -> DayBounds:
    """The local ``day`` from midnight to midnight in ``tz``, and ``deadline`` on it, in UTC."""
    start = datetime.combine(day, time(0), tzinfo=tz)
    end = datetime.combine(day + timedelta(days=1), time(0), tzinfo=tz)
    at = datetime.combine(day, deadline.replace(tzinfo=None), tzinfo=tz)
    return DayBounds(utc(start), utc(end), utc(at))


def bin_clearance(
    levels: Iterable[Level],
    collections: Iterable[Collection],
    day: date,
    deadline: time,
    tz: ZoneInfo = SHANGHAI,
    *,
    rules: ClearanceRules,
) -> BinClearance:
    """Whether one bin needed clearance on the local ``day``, and whether and when it got it.

    Pass the readings from before midnight (at least the last one), through the deadline,
    and the collections of the day and of the evening before.
    """
    bounds = day_bounds(day, deadline, tz)
    readings = clean_levels(levels, rules.collection)
    emptied_at = sorted(utc(c.ts) for c in collections)
    last_rise = _last_rise(readings, emptied_at, bounds, rules.rubbish_above_pct)
    if last_rise is None:
        return NOT_NEEDED
    cleared_at = next((t for t in emptied_at if last_rise <= t < bounds.end), None)
    return BinClearance(
        needed=True,
        cleared=cleared_at is not None,
        late=cleared_at is not None and cleared_at > bounds.deadline,
        cleared_at=cleared_at,
        last_rise=last_rise,
    )


def summarise(results: Mapping[str, BinClearance]) -> ClearanceReport:
    """Counts over many bins' verdicts, by bin id; lists are sorted by id."""
    needed = sorted(bin_id for bin_id, r in results.items() if r.needed)
    cleared = [bin_id for bin_id in needed if results[bin_id].cleared]
    return ClearanceReport(
        needed=len(needed),
        cleared=len(cleared),
        not_cleared=[bin_id for bin_id in needed if not results[bin_id].cleared],
        late=[bin_id for bin_id in cleared if results[bin_id].late],
        clearance_rate=len(cleared) / len(needed) if needed else None,
    )


def district_clearance(
    district: District,
    levels: Mapping[str, Sequence[Level]],
    reports: Mapping[str, Sequence[Emptied]],
    day: date,
    tz: ZoneInfo = SHANGHAI,
    *,
    rules: ClearanceRules,
) -> dict[str, BinClearance]:
    """The verdict on the local ``day`` of every bin of ``district``, by bin id, judged by the
    district's deadline: the one judgement the alert evaluator and the reports share.

    ``levels`` and ``reports`` (emptied reports) are by bin id, from before midnight through
    the deadline; the collections are detected from them over the whole span, the evening
    before included (it may have emptied what the bin held at midnight). A bin missing from
    them had no data, and without a reading it cannot be shown to have held rubbish.
    """
    verdicts = {}
    for b in district.bins:
        found = levels.get(b.id, ())
        collections = detect_collections(found, reports.get(b.id, ()), rules.collection)
        verdicts[b.id] = bin_clearance(
            found, collections, day, district.clearance_deadline, tz, rules=rules
        )
    return verdicts


def not_cleared_detail(verdict: BinClearance, deadline: datetime, now: datetime, tz: tzinfo) -> str:
    """How a bin not cleared is described to a person, before its ``deadline`` and after."""
    since = verdict.last_rise.astimezone(tz).strftime("%H:%M") if verdict.last_rise else "?"
    at = deadline.astimezone(tz).strftime("%H:%M")
    if now < deadline:
        return f"rubbish since {since}, deadline {at}"
    return f"rubbish since {since}, not cleared by the {at} deadline"


def not_cleared_message(verdict: BinClearance, deadline: datetime, now: datetime) -> Message:
    """:func:`not_cleared_detail` as a code with parameters."""
    if verdict.last_rise is None:
        return Message("bin.not_cleared.no_start", {"deadline": utc_time(deadline)})
    code = "bin.not_cleared.pending" if now < deadline else "bin.not_cleared.missed"
    return Message(code, {"since": utc_time(verdict.last_rise), "deadline": utc_time(deadline)})


def _last_rise(
    readings: Sequence[Level],
    emptied_at: Sequence[datetime],
    bounds: DayBounds,
    threshold: float,
) -> datetime | None:
    # The level between readings is the last reading's: a reading first seen after the
    # deadline shows rubbish that came after it, which the next day carries in.
    before = [r for r in readings if r.ts < bounds.start]
    today = [r for r in readings if bounds.start <= r.ts < bounds.end]
    if before:
        carried = before[-1]
        # A collection after the last reading of the evening emptied what it showed.
        emptied = any(carried.ts <= t < bounds.start for t in emptied_at)
        above = carried.fill_pct > threshold and not emptied
    else:
        # Nothing before midnight: the first reading of the day stands for the day's start.
        above = bool(today) and today[0].fill_pct > threshold
    last_rise = bounds.start if above else None
    for reading in today:
        if reading.ts > bounds.deadline:
            break
        now_above = reading.fill_pct > threshold
        if now_above and not above:
            last_rise = reading.ts
        above = now_above
    return last_rise
