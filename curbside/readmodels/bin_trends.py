"""Each bin's fill trend and last emptying, from its stored readings: what the dispatch
planner needs beyond the live fill level to send for a bin before it overflows.

The readings since a bin's last collection (the collection detector's verdict,
curbside/domain/sanitation/collections.py) are the ones a trend is fitted through, here and in
the ``overflow_soon`` alert rule (curbside/readmodels/alert_sources.py). A read costs one
request per district (fill levels and emptied reports), whatever the number of bins, and is
made once per plan: a few times a day, and at most every few minutes for an urgent re-plan.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from curbside.adapters.influx.sanitation_history import BinReadings
from curbside.city.registry import City
from curbside.domain.alerts.thresholds import AlertThresholds
from curbside.domain.sanitation.collections import CollectionRules, Level, detect_collections
from curbside.domain.sanitation.forecast import fill_line
from curbside.readmodels.clearance import as_of

DeviceKey = tuple[str, str]


class BinHistory(Protocol):
    """A district's stored fill readings and emptied reports around a window."""

    def readings(
        self, district: str, start: datetime, end: datetime, *, bin_id: str | None = None
    ) -> BinReadings:
        """A district's (or one bin's) readings and reports around ``[start, end)``."""
        ...


@dataclass(frozen=True, slots=True)
class SinceCollection:
    """A bin's fill readings since its last collection, and when that was (None: none seen)."""

    levels: list[Level]
    emptied_at: datetime | None


@dataclass(frozen=True, slots=True)
class BinTrend:
    """How fast a bin fills (percent per hour; 0 when its readings make no rising line) and
    when it was last emptied (None when no collection was seen)."""

    rate_pct_h: float
    emptied_at: datetime | None


def since_last_collection(
    read: BinReadings, bins: Iterable[str], rules: CollectionRules
) -> dict[str, SinceCollection]:
    """Each bin's readings after its last detected collection, by bin id."""
    out: dict[str, SinceCollection] = {}
    for bin_id in bins:
        levels = read.levels.get(bin_id, [])
        collections = detect_collections(levels, read.reports.get(bin_id, []), rules)
        last = collections[-1].ts if collections else None
        out[bin_id] = SinceCollection([v for v in levels if last is None or v.ts > last], last)
    return out


class FillTrends:
    """Reads every bin's trend from the stored history, one request per district."""

    def __init__(
        self,
        city: City,
        history: BinHistory,
        thresholds: AlertThresholds,
        rules: CollectionRules,
    ) -> None:
        self._city = city
        self._history = history
        self._thresholds = thresholds
        self._rules = rules

    def read(self, now: datetime) -> dict[DeviceKey, BinTrend]:
        """Each registry bin's trend as of ``now``. Raises InfluxError when unreadable."""
        t = self._thresholds
        trends: dict[DeviceKey, BinTrend] = {}
        for district in self._city.sanitation_districts:
            # The history read reaches hours further back than the window: the collection
            # that starts the line may be older than the readings the line goes through.
            read = as_of(self._history.readings(district.id, now - t.trend_window, now), now)
            found = since_last_collection(read, (b.id for b in district.bins), self._rules)
            for bin_id, since in found.items():
                line = fill_line(
                    since.levels,
                    now,
                    min_readings=t.trend_min_readings,
                    window=t.trend_window,
                    min_r2=t.trend_min_r2,
                )
                rate = 0.0 if line is None else line.rate_pct_h
                trends[(district.id, bin_id)] = BinTrend(rate, since.emptied_at)
        return trends
