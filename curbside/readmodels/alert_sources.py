"""Where the evaluator's rules get their data: each source reads the store, then applies a
pure rule."""

from __future__ import annotations

from datetime import datetime, timedelta

from curbside.adapters.influx.history import HistoryReader
from curbside.adapters.influx.latest import LatestReader
from curbside.adapters.influx.sanitation_history import SanitationHistoryReader
from curbside.city.registry import City
from curbside.domain.alerts.bin_rules import (
    fire_conditions,
    full_conditions,
    low_battery_conditions,
    sensor_silent_conditions,
    tilted_conditions,
)
from curbside.domain.alerts.overstay import overstay_conditions
from curbside.domain.alerts.progress import judged_at
from curbside.domain.alerts.thresholds import AlertThresholds
from curbside.domain.parking.sessions import Session, SessionRules
from curbside.domain.sanitation.bins import BinState
from curbside.domain.sanitation.clearance import (
    ClearanceRules,
    day_bounds,
    not_cleared_detail,
    not_cleared_message,
)
from curbside.domain.sanitation.forecast import overflow_soon_conditions
from curbside.readmodels.bin_trends import since_last_collection
from curbside.readmodels.clearance import as_of, district_day
from curbside.vocabulary.alerts import AlertKind, Condition, Domain, Subject


class OverstaySource:
    """Ongoing parking sessions longer than their zone's ``max_stay_minutes``."""

    kinds = frozenset({AlertKind.OVERSTAY})

    def __init__(self, history: HistoryReader, city: City, rules: SessionRules) -> None:
        self._history = history
        self._city = city
        self._rules = rules

    def conditions(self, now: datetime, progress: datetime | None = None) -> list[Condition]:
        """Overstays in every zone that sets a maximum stay, at the moment the data reached."""
        now = judged_at(now, progress)
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

    def conditions(self, now: datetime, progress: datetime | None = None) -> list[Condition]:
        """The conditions that hold for the registry's devices at ``now``, judged at the
        stream's ``progress`` when it is behind."""
        latest = self._latest.read()
        # Devices the registry does not list get no alerts: there is nobody to send.
        bins = [b for b in latest.bins if self._city.bin(b.district, b.bin) is not None]
        spaces = [s for s in latest.spaces if self._city.space(s.zone, s.space) is not None]
        t = self._thresholds
        return [
            *full_conditions(bins, t, now, progress),
            *fire_conditions(bins, t, now, progress),
            *tilted_conditions(bins, t, now, progress),
            *low_battery_conditions(bins, spaces, t, now, progress),
            *sensor_silent_conditions(bins, spaces, t, now, progress),
        ]


class SanitationSource:
    """Alerts from each bin's history today: ``overflow_soon`` and ``not_cleared``.

    ``not_cleared`` holds from the district's deadline until a collection clears the bin; at
    local midnight the bin starts a new day (and a new count) and the alert resolves.
    """

    kinds = frozenset({AlertKind.OVERFLOW_SOON, AlertKind.NOT_CLEARED})

    def __init__(
        self,
        history: SanitationHistoryReader,
        city: City,
        thresholds: AlertThresholds,
        rules: ClearanceRules,
    ) -> None:
        self._history = history
        self._city = city
        self._thresholds = thresholds
        self._rules = rules

    def conditions(self, now: datetime, progress: datetime | None = None) -> list[Condition]:
        """Overflow forecasts and missed clearances in every district, at the moment the data
        reached (a district's day and deadline included)."""
        at = judged_at(now, progress)
        tz = self._city.tz
        today = at.astimezone(tz).date()
        found: list[Condition] = []
        for district in self._city.sanitation_districts:
            bounds = day_bounds(today, district.clearance_deadline, tz)
            read = as_of(self._history.readings(district.id, bounds.start, at), at)
            found_since = since_last_collection(
                read, (b.id for b in district.bins), self._rules.collection
            )
            since_collection = {bin_id: s.levels for bin_id, s in found_since.items()}
            states: list[BinState] = []
            for b in district.bins:
                levels = read.levels.get(b.id, [])
                if levels:
                    states.append(
                        BinState(district.id, b.id, levels[-1].fill_pct, levels[-1].ts,
                                 None, None, None)
                    )  # fmt: skip
            if at >= bounds.deadline:
                verdicts = district_day(read, district, today, tz, at, rules=self._rules)
                found.extend(
                    Condition(
                        AlertKind.NOT_CLEARED,
                        Subject(Domain.SANITATION, district.id, bin_id),
                        not_cleared_detail(verdict, bounds.deadline, at, tz),
                        not_cleared_message(verdict, bounds.deadline, at),
                    )
                    for bin_id, verdict in verdicts.items()
                    if verdict.not_cleared
                )
            found.extend(
                overflow_soon_conditions(
                    states, since_collection, self._thresholds, now, tz=tz, progress=progress
                )
            )
        return found
