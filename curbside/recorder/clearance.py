"""Daily clearance verdicts frozen at the local day's close plus a grace, and corrections.

When a day's freeze time comes (curbside/domain/sanitation/verdict_freezing.py), every bin of
every district is judged from its raw readings in InfluxDB by the one judge the API's reports
and the alerts use (curbside.domain.sanitation.clearance.district_clearance), and the verdicts
are recorded as revision 0, with the day's collections, in one transaction. Re-checking a
frozen day later records a correction (a new revision with its reason) for each bin whose
verdict the data now contradicts; the frozen verdict itself never changes.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session as DbSession

from curbside.adapters.influx.sanitation_history import SanitationHistoryReader
from curbside.adapters.records import sanitation_store as store
from curbside.adapters.records.day_totals import refresh_district_days
from curbside.city.registry import City, District
from curbside.domain.sanitation.clearance import (
    BinClearance,
    ClearanceRules,
    day_bounds,
    district_clearance,
)
from curbside.domain.sanitation.collections import Collection, detect_collections
from curbside.domain.sanitation.verdict_freezing import correction_reason, days_to_freeze

Judged = dict[str, tuple[BinClearance, list[Collection]]]


class ClearanceRecorder:
    """Freezes due days and re-checks frozen ones (see the module's docstring)."""

    def __init__(
        self,
        city: City,
        history: SanitationHistoryReader,
        rules: ClearanceRules,
        grace: timedelta,
    ) -> None:
        self._city = city
        self._history = history
        self._rules = rules
        self._grace = grace

    @property
    def tz(self) -> ZoneInfo:
        """The city's time zone, which says what a day is."""
        return self._city.tz

    def freeze_due(self, db: DbSession, now: datetime) -> list[date]:
        """Freeze every day whose time has come; an empty store starts with the day that
        closed last. Returns the days frozen (the caller commits)."""
        tz = self._city.tz
        if not self._city.sanitation_districts:
            return []
        newest = (now - self._grace).astimezone(tz).date() - timedelta(days=1)
        due = days_to_freeze(store.last_frozen_day(db), now, tz, self._grace, first=newest)
        for day in due:
            for district in self._city.sanitation_districts:
                judged = self._judge(district, day)
                for bin_id, (verdict, _) in judged.items():
                    store.add_verdict(
                        db, day, district.id, bin_id, verdict, revision=0, reason=None, now=now
                    )
                self._keep_collections(db, district, day, judged, now)
            refresh_district_days(db, [(d.id, day) for d in self._city.sanitation_districts])
        return due

    def recheck(self, db: DbSession, day: date, now: datetime) -> int:
        """Judge a frozen day again; record a correction per bin whose verdict changed.
        Returns how many corrections were recorded."""
        corrections = 0
        for district in self._city.sanitation_districts:
            recorded = store.latest_verdicts(db, day, district.id)
            if not recorded:
                continue
            judged = self._judge(district, day)
            for bin_id, (verdict, _) in judged.items():
                row = recorded.get(bin_id)
                if row is None:
                    continue  # a bin added to the registry after the day was frozen
                reason = correction_reason(store.as_clearance(row), verdict)
                if reason is not None:
                    store.add_verdict(
                        db, day, district.id, bin_id, verdict,
                        revision=row.revision + 1, reason=reason, now=now,
                    )  # fmt: skip
                    corrections += 1
            self._keep_collections(db, district, day, judged, now)
            refresh_district_days(db, [(district.id, day)])
        return corrections

    def _judge(self, district: District, day: date) -> Judged:
        tz = self._city.tz
        bounds = day_bounds(day, district.clearance_deadline, tz)
        read = self._history.readings(district.id, bounds.start, bounds.end)
        verdicts = district_clearance(
            district, read.levels, read.reports, day, tz, rules=self._rules
        )
        return {
            b.id: (
                verdicts[b.id],
                detect_collections(
                    read.levels.get(b.id, []), read.reports.get(b.id, []), self._rules.collection
                ),
            )
            for b in district.bins
        }

    def _keep_collections(
        self, db: DbSession, district: District, day: date, judged: Judged, now: datetime
    ) -> None:
        bounds = day_bounds(day, district.clearance_deadline, self._city.tz)
        store.add_collections(
            db,
            (
                (district.id, bin_id, c)
                for bin_id, (_, found) in judged.items()
                for c in found
                if bounds.start <= c.ts < bounds.end
            ),
            now,
        )
