"""Delivery rounds: take what is due on each channel, send it concurrently, settle each message
in its own short transaction (delivered, retried later, or dead)."""

from __future__ import annotations

import logging
import random
import threading
from collections.abc import Callable, Mapping
from concurrent.futures import Future, ThreadPoolExecutor, as_completed
from datetime import UTC, datetime

from prometheus_client import CollectorRegistry, Counter
from sqlalchemy.orm import Session, sessionmaker

from curbside.adapters.handoff.delivery import DeliveryFailed, Sender
from curbside.adapters.records import outbox_store as outbox
from curbside.adapters.records.models import OutboxMessage
from curbside.config.settings import HandoffSettings
from curbside.domain.handoff.retry import gives_up, retry_at
from curbside.handoff.pruner import OutboxPruner
from curbside.vocabulary.outbox import Channel

log = logging.getLogger(__name__)


class HandoffMetrics:
    """Attempts by channel and outcome (delivered, failed, dead)."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.attempts = Counter(
            "curbside_handoff_attempts",
            "Delivery attempts by channel and outcome: delivered, failed (retried later), "
            "dead (given up: in the dead-letter list)",
            ["channel", "outcome"],
            registry=self.registry,
        )
        self.pruned = Counter(
            "curbside_handoff_pruned",
            "Delivered messages deleted from the outbox past CURBSIDE_HANDOFF_RETENTION_DAYS",
            registry=self.registry,
        )


class Deliverer:
    """Sends due outbox messages through their channel's sender."""

    def __init__(
        self,
        sessions: sessionmaker[Session],
        senders: Mapping[Channel, Sender],
        settings: HandoffSettings,
        *,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        jitter: Callable[[], float] = random.random,
        metrics: HandoffMetrics | None = None,
        pruner: OutboxPruner | None = None,
    ) -> None:
        self._sessions = sessions
        self._senders = dict(senders)
        self._settings = settings
        self._clock = clock
        self._jitter = jitter
        self.metrics = metrics or HandoffMetrics()
        self._pruner = pruner
        self._pool = ThreadPoolExecutor(settings.concurrency, thread_name_prefix="handoff")

    def run_once(self) -> int:
        """One round on every channel; how many messages were delivered."""
        return sum(self._round(channel, sender) for channel, sender in self._senders.items())

    def run(self, stop: threading.Event) -> None:
        """Rounds until ``stop``; waits ``poll_s`` after a round that delivered nothing. The
        pruner, if any, runs between rounds (every few minutes)."""
        while not stop.is_set():
            if self._pruner is not None:
                self.metrics.pruned.inc(self._pruner.tick())
            if not self.run_once():
                stop.wait(self._settings.poll_s)

    def close(self) -> None:
        """Finish the attempts in flight and close the senders."""
        self._pool.shutdown(wait=True)
        for sender in self._senders.values():
            sender.close()

    def _round(self, channel: Channel, sender: Sender) -> int:
        with self._sessions() as db:
            due = outbox.due(db, channel, self._clock(), limit=4 * self._settings.concurrency)
            db.expunge_all()
        attempts: dict[Future[None], OutboxMessage] = {
            self._pool.submit(sender.send, message): message for message in due
        }
        delivered = 0
        for attempt in as_completed(attempts):
            message = attempts[attempt]
            error = _failure(attempt)
            now = self._clock()
            with self._sessions.begin() as db:
                if error is None:
                    outbox.delivered(db, message.id, now)
                    delivered += 1
                    outcome = "delivered"
                else:
                    tried = message.attempts + 1
                    dead = gives_up(tried, self._settings.max_attempts)
                    later = None if dead else self._retry_at(tried, now)
                    outbox.failed(db, message.id, error, retry_at=later, now=now)
                    outcome = "dead" if dead else "failed"
                    log.log(
                        logging.WARNING if dead else logging.INFO,
                        "%s %s attempt %d failed (%s)%s",
                        channel,
                        message.key,
                        tried,
                        error,
                        "; dead-lettered" if dead else "",
                    )
            self.metrics.attempts.labels(channel, outcome).inc()
        return delivered

    def _retry_at(self, tried: int, now: datetime) -> datetime:
        s = self._settings
        return retry_at(tried, now, s.backoff_s, s.backoff_max_s, self._jitter())


def _failure(attempt: Future[None]) -> str | None:
    try:
        attempt.result()
    except DeliveryFailed as exc:
        return str(exc)
    except Exception as exc:
        # A sender's bug must not stop the others' deliveries: it fails this attempt loudly.
        log.exception("a delivery attempt raised")
        return f"{type(exc).__name__}: {exc}"
    return None
