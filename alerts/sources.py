"""Where the evaluator's rules get their data: each source reads the store, then applies a
pure rule."""

from __future__ import annotations

from datetime import datetime, timedelta

from alerts.model import AlertKind, Condition
from alerts.overstay import overstay_conditions
from city.registry import City
from parking.sessions import Session, SessionRules
from store.history import HistoryReader


class OverstaySource:
    """Ongoing parking sessions longer than their zone's ``max_stay_minutes``."""

    kinds = frozenset({AlertKind.OVERSTAY})

    def __init__(self, history: HistoryReader, city: City, rules: SessionRules) -> None:
        self._history = history
        self._city = city
        self._rules = rules

    def conditions(self, now: datetime) -> list[Condition]:
        """Overstays at ``now`` in every zone that sets a maximum stay."""
        limits = {
            z.id: timedelta(minutes=z.max_stay_minutes)
            for z in self._city.parking_zones
            if z.max_stay_minutes is not None
        }
        # Any ongoing session overlaps the last silent_after; the reader follows each one
        # back to its real start.
        since = now - self._rules.silent_after - self._rules.debounce
        sessions: list[Session] = []
        for zone in self._city.parking_zones:
            if zone.id in limits:
                spaces = [s.id for s in zone.spaces]
                sessions.extend(self._history.sessions(zone.id, spaces, since, now, now=now))
        return overstay_conditions(sessions, limits, now)
