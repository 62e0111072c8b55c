"""Pruning the outbox: delivered messages are deleted once they are older than the retention,
a batch per transaction, so the table holds what is still to do and recent history, not every
event ever sent (docs/handoff.md).

Deleting a delivered row cannot make its event go out again: every event is queued once, in
the transaction that records what it reports (a case's step, an overdue notice), and those
records are what refuse a repeat, not the outbox's unique key.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from sqlalchemy.orm import Session, sessionmaker

from curbside.adapters.records import outbox_store as outbox
from curbside.vocabulary.outbox import CHANNELS

log = logging.getLogger(__name__)

PRUNE_EVERY = timedelta(minutes=10)  # how often the running hand-off prunes


class OutboxPruner:
    """Deletes delivered messages older than ``retention`` (None: keeps everything)."""

    def __init__(
        self,
        sessions: sessionmaker[Session],
        retention: timedelta | None,
        batch: int,
        *,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._sessions = sessions
        self._retention = retention
        self._batch = batch
        self._clock = clock
        self._last: datetime | None = None

    def prune(self) -> int:
        """Delete every delivered message past the retention, a batch per transaction; how
        many were deleted."""
        if self._retention is None:
            return 0
        before = self._clock() - self._retention
        pruned = 0
        for channel in CHANNELS:
            while True:
                with self._sessions.begin() as db:
                    gone = outbox.prune_delivered(db, channel, before, self._batch)
                pruned += gone
                if gone < self._batch:
                    break
        if pruned:
            log.info("pruned %d delivered message(s) older than %s", pruned, before.isoformat())
        return pruned

    def tick(self) -> int:
        """Prune if the last pruning was ``PRUNE_EVERY`` ago (or never); how many deleted."""
        now = self._clock()
        if self._last is not None and now - self._last < PRUNE_EVERY:
            return 0
        self._last = now
        return self.prune()
