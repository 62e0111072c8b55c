"""Collections (one emptying of one bin) from fill levels and emptied reports (pure logic).

The rules, with small examples, are in docs/clearance.md. In short: readings are
deduplicated and sorted, and a single reading that jumps by at least the drop size and is not
confirmed by the next reading (both neighbours within ``glitch_window``) is a sensor glitch
and ignored. A fall of at least ``min_drop_pct`` points to at most ``empty_at_most_pct`` is
an emptying seen in the fill level, timed at the first low reading. Emptied reports at most
``merge_window`` after a group's first one are that emptying. A fill drop and a report at
most ``merge_window`` apart are one collection, timed at the report.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Final, Literal

Source = Literal["fill", "report", "both"]
FILL: Final = "fill"
REPORT: Final = "report"
BOTH: Final = "both"


@dataclass(frozen=True, slots=True)
class Level:
    """One fill reading of a bin: when (aware) and how full, 0-100 %."""

    ts: datetime
    fill_pct: float


@dataclass(frozen=True, slots=True)
class Emptied:
    """One emptied report of a bin (from a truck or a lid sensor), with the truck if known."""

    ts: datetime
    truck: str | None = None


@dataclass(frozen=True, slots=True)
class Collection:
    """One emptying of a bin, and how it was seen.

    ``ts`` is the report's time when there is a report, else the first low reading's.
    ``before_pct``/``after_pct`` are the readings around the drop (None without a fill drop).
    """

    ts: datetime
    source: Source
    truck: str | None
    before_pct: float | None
    after_pct: float | None


@dataclass(frozen=True, slots=True)
class CollectionRules:
    """When a fall in the fill level is an emptying, and when two sightings are one."""

    min_drop_pct: float = 30.0
    empty_at_most_pct: float = 15.0
    merge_window: timedelta = timedelta(minutes=30)
    # A reading is judged against neighbours at most this far from it: over a longer silence
    # the bin may really have been emptied and filled again (or filled and emptied).
    glitch_window: timedelta = timedelta(hours=1)

    def __post_init__(self) -> None:
        # Sensor noise is about ±2 points: a smaller drop would read noise as emptyings.
        if not 0 < self.min_drop_pct <= 100:
            raise ValueError("min_drop_pct must be in (0, 100]")
        if not 0 <= self.empty_at_most_pct < 100:
            raise ValueError("empty_at_most_pct must be in [0, 100)")
        if self.merge_window < timedelta(0):
            raise ValueError("merge_window must not be negative")
        if self.glitch_window < timedelta(0):
            raise ValueError("glitch_window must not be negative")


def detect_collections(
    levels: Iterable[Level], reports: Iterable[Emptied], rules: CollectionRules
) -> list[Collection]:
    """A bin's collections in time order, from its fill readings and emptied reports."""
    drops = fill_drops(levels, rules)
    groups = _report_groups(reports, rules.merge_window)
    matched: dict[int, Collection] = {}
    found: list[Collection] = []
    for drop in drops:
        # Reports are at least the window apart, so at most two are candidates: the nearest.
        near = [
            i
            for i, group in enumerate(groups)
            if i not in matched and abs(group.ts - drop.ts) <= rules.merge_window
        ]
        if near:
            best = min(near, key=lambda i: (abs(groups[i].ts - drop.ts), groups[i].ts))
            matched[best] = drop
        else:
            found.append(drop)
    for i, group in enumerate(groups):
        drop_seen = matched.get(i)
        if drop_seen is None:
            found.append(Collection(group.ts, REPORT, group.truck, None, None))
        else:
            found.append(
                Collection(group.ts, BOTH, group.truck, drop_seen.before_pct, drop_seen.after_pct)
            )
    return sorted(found, key=_collection_key)


def fill_drops(levels: Iterable[Level], rules: CollectionRules) -> list[Collection]:
    """The emptyings seen in the fill level alone (``source`` ``fill``), in time order."""
    return [
        Collection(low.ts, FILL, None, high.fill_pct, low.fill_pct)
        for high, low in itertools.pairwise(clean_levels(levels, rules))
        if low.fill_pct <= rules.empty_at_most_pct
        and high.fill_pct - low.fill_pct >= rules.min_drop_pct
    ]


def clean_levels(levels: Iterable[Level], rules: CollectionRules) -> list[Level]:
    """Readings in time order (UTC), one per time, without single-reading glitches.

    Readings at the same time are one; if they disagree the highest counts, so that rubbish
    is never wished away. A glitch is judged against the raw neighbours, in one pass.
    """
    by_ts: dict[datetime, float] = {}
    for level in levels:
        ts = utc(level.ts)
        by_ts[ts] = max(level.fill_pct, by_ts.get(ts, level.fill_pct))
    ordered = [Level(ts, by_ts[ts]) for ts in sorted(by_ts)]
    return [level for i, level in enumerate(ordered) if not _is_glitch(ordered, i, rules)]


def utc(ts: datetime) -> datetime:
    """``ts`` in UTC; a naive time is refused, since its zone is a guess."""
    if ts.tzinfo is None or ts.utcoffset() is None:
        raise ValueError(f"time without a UTC offset: {ts.isoformat()}")
    return ts.astimezone(UTC)


def _is_glitch(levels: Sequence[Level], i: int, rules: CollectionRules) -> bool:
    # A jump the next reading does not confirm (it is back within a jump of the reading
    # before), both neighbours close in time. The first and last readings have no two
    # neighbours to judge them by.
    if i == 0 or i == len(levels) - 1:
        return False
    if max(levels[i + 1].ts - levels[i].ts, levels[i].ts - levels[i - 1].ts) > rules.glitch_window:
        return False
    jump = rules.min_drop_pct
    before, here, after = (levels[j].fill_pct for j in (i - 1, i, i + 1))
    if here <= before - jump:
        return after > before - jump
    if here >= before + jump:
        return after < before + jump
    return False


def _report_groups(reports: Iterable[Emptied], window: timedelta) -> list[Emptied]:
    # Reports at most `window` after a group's first report are the same emptying (a truck and
    # a lid sensor both reporting it, a resend): timed at the first, with the first truck
    # named. Named trucks sort before unnamed at one time so the order of input never matters.
    unique = sorted(
        {Emptied(utc(r.ts), r.truck) for r in reports},
        key=lambda r: (r.ts, r.truck is None, r.truck or ""),
    )
    groups: list[Emptied] = []
    for report in unique:
        if groups and report.ts - groups[-1].ts <= window:
            if groups[-1].truck is None and report.truck is not None:
                groups[-1] = replace(groups[-1], truck=report.truck)
        else:
            groups.append(report)
    return groups


def _collection_key(c: Collection) -> tuple[datetime, str, bool, str, float, float]:
    return (
        c.ts,
        c.source,
        c.truck is None,
        c.truck or "",
        -1.0 if c.before_pct is None else c.before_pct,
        -1.0 if c.after_pct is None else c.after_pct,
    )
