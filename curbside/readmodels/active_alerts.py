"""The active alerts, held in memory and kept current from the alert changes on MQTT.

Listing active alerts used to query InfluxDB on every request (hundreds of milliseconds under
load, docs/performance.md). The evaluator saves every change before it publishes it under
``alerts/...`` (curbside/evaluator), and the API hears every one (api/alertfeed.py); so the
view loads the active alerts once, applies each change it hears, and reloads every
``reload_s`` seconds, which also repairs whatever a broken connection made it miss. A change
heard while a reload is under way is applied on top of the reload's result, so a reload
never brings back an alert resolved meanwhile.

:func:`find_alerts` is what the alert routes call: the view answers the active statuses,
the store the rest (resolved alerts are history and stay in InfluxDB).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

from curbside.adapters.influx.alerts import AlertStore
from curbside.adapters.influx.client import InfluxError
from curbside.domain.alerts.document import alert_from_document
from curbside.readmodels.alert_list import AlertFilter
from curbside.vocabulary.alerts import Alert, AlertKind, AlertStatus, Domain

log = logging.getLogger(__name__)

ACTIVE = frozenset({AlertStatus.OPEN, AlertStatus.ACKNOWLEDGED})
MAX_RESOLVED = 10_000


class ActiveAlerts:
    """Open and acknowledged alerts by id. Use it from the event loop only."""

    def __init__(self, load: Callable[[], list[Alert]]) -> None:
        self._load = load
        self._alerts: dict[str, Alert] | None = None  # None until the first load
        self._heard_while_loading: list[Alert] | None = None
        self._resolved: dict[str, datetime] = {}  # id -> when, the latest resolutions heard
        self._version = object()

    @property
    def version(self) -> object:
        """A new object whenever the view changes (rendered answers are kept per version)."""
        return self._version

    def answers(self, statuses: Sequence[AlertStatus]) -> bool:
        """Whether the view answers a query for these statuses (loaded, active ones only)."""
        return bool(statuses) and ACTIVE.issuperset(statuses) and self.loaded

    @property
    def loaded(self) -> bool:
        """Whether a load has succeeded (before that, nothing is answered from here)."""
        return self._alerts is not None

    async def reload(self) -> bool:
        """Read every active alert from the store again; False (logged) if it failed."""
        self._heard_while_loading = []
        try:
            alerts = await asyncio.to_thread(self._load)
        except InfluxError as exc:  # the store is down: keep what we have, try again later
            log.warning("could not load the active alerts: %s", exc)
            return False
        finally:
            heard, self._heard_while_loading = self._heard_while_loading, None
        fresh = {a.id: a for a in alerts if a.active and not self._ended_since(a)}
        if fresh != self._alerts:  # rendered answers stay valid through a reload that agrees
            self._alerts = fresh
            self._version = object()
        for alert in heard:
            self._merge(alert)
        return True

    def apply(self, alert: Alert) -> None:
        """One change of an alert (opened, acknowledged, resolved)."""
        if self._heard_while_loading is not None:
            self._heard_while_loading.append(alert)
        if self._alerts is not None:
            self._merge(alert)

    def heard(self, document: dict[str, Any]) -> None:
        """A change as published on MQTT; a document that is not an alert is logged."""
        try:
            alert = alert_from_document(document)
        except (ValueError, KeyError, TypeError) as exc:
            log.error("active alerts: skipped a document that is not an alert: %s", exc)
            return
        self.apply(alert)

    def all(self) -> list[Alert]:
        """Every active alert in the view (for counts), in no particular order."""
        if self._alerts is None:
            raise RuntimeError("the active alerts are not loaded")
        return list(self._alerts.values())

    def find(
        self,
        *,
        statuses: Sequence[AlertStatus],
        kind: AlertKind | None = None,
        domain: Domain | None = None,
        group: str | None = None,
        areas: Sequence[tuple[Domain, str]] | None = None,
        limit: int = 1000,
    ) -> list[Alert]:
        """Like the store's ``find`` for active statuses: matching alerts, newest first."""
        if self._alerts is None:
            raise RuntimeError("the active alerts are not loaded")
        if not statuses:
            return []
        # The list's own filter (readmodels/alert_list.py): one judge of what a list shows.
        wanted = AlertFilter(tuple(statuses), kind, domain, group, areas)
        found = [a for a in self._alerts.values() if wanted.matches(a)]
        found.sort(key=lambda a: (a.opened_at, a.id), reverse=True)
        return found[:limit]

    def _merge(self, alert: Alert) -> None:
        assert self._alerts is not None
        known = self._alerts.get(alert.id)
        if known is not None and known.updated_at > alert.updated_at:
            return  # an older change heard late
        self._version = object()
        if alert.active:
            if not self._ended_since(alert):
                self._alerts[alert.id] = alert
            return
        self._alerts.pop(alert.id, None)
        # Remembered, so an older change of it heard later cannot bring it back.
        if len(self._resolved) >= MAX_RESOLVED:
            del self._resolved[next(iter(self._resolved))]
        self._resolved[alert.id] = alert.updated_at

    def _ended_since(self, alert: Alert) -> bool:
        resolved_at = self._resolved.get(alert.id)
        return resolved_at is not None and resolved_at >= alert.updated_at

    async def follow(self, reload_s: float) -> None:
        """Reload every ``reload_s`` seconds until cancelled."""
        while True:
            await asyncio.sleep(reload_s)
            await self.reload()


async def find_alerts(
    view: ActiveAlerts,
    store: AlertStore,
    *,
    statuses: Sequence[AlertStatus],
    kind: AlertKind | None = None,
    domain: Domain | None = None,
    group: str | None = None,
    areas: Sequence[tuple[Domain, str]] | None = None,
    limit: int = 1000,
) -> list[Alert]:
    """Alerts matching every filter, newest first: active ones from the view once it is
    loaded, anything else (resolved, or every status) from the store in a worker thread."""
    if view.answers(statuses):
        if areas is not None and not areas:
            return []
        return view.find(
            statuses=statuses, kind=kind, domain=domain, group=group, areas=areas, limit=limit
        )
    return await asyncio.to_thread(
        store.find,
        statuses=statuses,
        kind=kind,
        domain=domain,
        group=group,
        areas=areas,
        limit=limit,
    )
