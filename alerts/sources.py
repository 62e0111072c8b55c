"""Where the evaluator's rules get their data: each source reads the store, then applies a
pure rule."""

from __future__ import annotations

from datetime import datetime, timedelta

from alerts.bin_rules import (
    fire_conditions,
    full_conditions,
    low_battery_conditions,
    sensor_silent_conditions,
    tilted_conditions,
)
from alerts.model import AlertKind, Condition
from alerts.overstay import overstay_conditions
from alerts.thresholds import AlertThresholds
from city.registry import City
from parking.sessions import Session, SessionRules
from store.history import HistoryReader
from store.latest import LatestReader


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


class DeviceStateSource:
    """Alerts read off each device's latest report: full, fire, tilted, low battery, silent."""

    kinds = frozenset(
        {
            AlertKind.FULL,
            AlertKind.FIRE,
            AlertKind.TILTED,
            AlertKind.LOW_BATTERY,
            AlertKind.SENSOR_SILENT,
        }
    )

    def __init__(self, latest: LatestReader, city: City, thresholds: AlertThresholds) -> None:
        self._latest = latest
        self._city = city
        self._thresholds = thresholds

    def conditions(self, now: datetime) -> list[Condition]:
        """The conditions that hold for the registry's devices at ``now``."""
        latest = self._latest.read()
        # Devices the registry does not list get no alerts: there is nobody to send.
        bins = [b for b in latest.bins if self._city.bin(b.district, b.bin) is not None]
        spaces = [s for s in latest.spaces if self._city.space(s.zone, s.space) is not None]
        t = self._thresholds
        return [
            *full_conditions(bins, t, now),
            *fire_conditions(bins, t, now),
            *tilted_conditions(bins, t, now),
            *low_battery_conditions(bins, spaces, t, now),
            *sensor_silent_conditions(bins, spaces, t, now),
        ]
