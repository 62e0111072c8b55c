"""The evaluator: asks every rule what holds now, reconciles with the stored alerts, saves
the changes and publishes them.

Exactly one evaluator runs per deployment (``python -m curbside.evaluator``). "Open once" is decided
by
reading the active alerts from the store, so two evaluators racing could both open the same
alert with different opening times; one process with no concurrency inside avoids that, and
it keeps no state of its own: killed and restarted, it carries on from the store.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Protocol

from curbside.adapters.influx.alerts import AlertStore
from curbside.adapters.influx.client import InfluxError
from curbside.domain.alerts.lifecycle import reconcile
from curbside.domain.alerts.supersession import without_superseded
from curbside.evaluator.metrics import EvaluatorMetrics
from curbside.vocabulary.alerts import Alert, AlertKind, Condition

log = logging.getLogger(__name__)


class ConditionSource(Protocol):
    """One rule at the edge: reads what it needs and says which conditions hold now."""

    kinds: frozenset[AlertKind]

    def conditions(self, now: datetime, progress: datetime | None = None) -> list[Condition]:
        """Conditions of this source's kinds that hold at ``now``, judged at ``progress`` (the
        newest reading's timestamp) when the stream is behind
        (curbside/domain/alerts/progress.py)."""
        ...


class Evaluator:
    """Runs the sources once per call to :meth:`evaluate`."""

    def __init__(
        self,
        store: AlertStore,
        sources: Sequence[ConditionSource],
        publish: Callable[[Alert], None],
        progress: Callable[[], datetime | None] | None = None,
        metrics: EvaluatorMetrics | None = None,
    ) -> None:
        self._store = store
        self._sources = sources
        self._publish = publish
        self._progress = progress
        self._metrics = metrics

    def evaluate(self, now: datetime) -> list[Alert]:
        """Open, resolve, save and publish; returns the alerts that changed."""
        found: list[Condition] = []
        evaluated: set[AlertKind] = set()
        progress = self._read_progress()
        for source in self._sources:
            try:
                found.extend(source.conditions(now, progress))
            except InfluxError as exc:
                # Without its data a rule resolves nothing: its alerts stay as they are.
                log.warning("%s skipped this round: %s", type(source).__name__, exc)
                continue
            evaluated |= source.kinds
        active = self._store.active()
        found = without_superseded(found)
        changes = reconcile(active, found, frozenset(evaluated), now)
        if changes:
            # Saved before published: a subscriber never hears of an alert the API lacks.
            self._store.save(changes)
            for alert in changes:
                self._publish(alert)
            log.info(
                "alerts: %d opened, %d resolved",
                sum(1 for a in changes if a.active),
                sum(1 for a in changes if not a.active),
            )
        if self._metrics is not None:
            self._metrics.record_round(active, changes)
        return changes

    def _read_progress(self) -> datetime | None:
        if self._progress is None:
            return None
        try:
            return self._progress()
        except InfluxError as exc:
            # Judged by the wall clock alone, as before; the sources will likely fail too.
            log.warning("the stream's progress is unknown this round: %s", exc)
            return None
