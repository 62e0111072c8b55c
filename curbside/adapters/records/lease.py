"""One active recorder per record store: a lease row, taken when free or expired, renewed by
every commit of its holder, and checked in that same commit (docs/records.md, "Several
recorders").

The check is the fence: a recorder that lost the lease (paused past its expiry while another
took over) fails its next commit, so its transaction rolls back and nothing it did lands.
Taking and renewing are single conditional UPDATEs, atomic on SQLite and PostgreSQL alike; on
PostgreSQL a taker that waits for the holder's row lock sees the holder's renewal and stays
standby.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

from sqlalchemy import Engine, event, insert, or_, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from curbside.adapters.records.models import RecorderLease

RECORDER = "recorder"


class LeaseLost(RuntimeError):
    """This recorder no longer holds the lease: another took over. Exit; do not write."""


class Lease:
    """The lease ``name`` as ``holder`` sees it; ``ttl`` after each renewal it lapses."""

    def __init__(
        self,
        engine: Engine,
        holder: str,
        ttl: timedelta,
        clock: Callable[[], datetime],
        name: str = RECORDER,
    ) -> None:
        self.holder = holder
        self.name = name
        self._ttl = ttl
        self._clock = clock
        # Sessions of its own: the fenced ones would check a lease not taken yet.
        self._sessions = sessionmaker(engine)
        self.epoch: int | None = None

    def try_acquire(self) -> bool:
        """Take the lease if it is free or expired (or ours already); True if held now."""
        now = self._clock()
        table = RecorderLease
        with self._sessions.begin() as db:
            taken = db.execute(
                update(table)
                .where(
                    table.name == self.name,
                    or_(table.expires_at < now, table.holder == self.holder),
                )
                .values(
                    holder=self.holder,
                    epoch=table.epoch + 1,
                    expires_at=now + self._ttl,
                    acquired_at=now,
                )
                .returning(table.epoch)
                .execution_options(synchronize_session=False)
            ).scalar_one_or_none()
            if taken is not None:
                self.epoch = taken
                return True
            if db.get(table, self.name) is not None:
                return False  # held, and not expired
        try:
            with self._sessions.begin() as db:
                db.execute(
                    insert(table).values(
                        name=self.name,
                        holder=self.holder,
                        epoch=1,
                        expires_at=now + self._ttl,
                        acquired_at=now,
                    )
                )
        except IntegrityError:
            return False  # another recorder took it first
        self.epoch = 1
        return True

    def holder_now(self) -> tuple[str, datetime] | None:
        """Who holds the lease and until when, or None if nobody ever took it."""
        with self._sessions() as db:
            row = db.get(RecorderLease, self.name)
            return None if row is None else (row.holder, row.expires_at)

    def fence(self, sessions: sessionmaker[Session]) -> None:
        """Renew the lease in every commit of ``sessions``, and fail the commit (LeaseLost)
        if it is no longer ours."""
        event.listen(sessions, "before_commit", self._renew_in)

    def _renew_in(self, db: Session) -> None:
        table = RecorderLease
        renewed = db.execute(
            update(table)
            .where(table.name == self.name, table.holder == self.holder, table.epoch == self.epoch)
            .values(expires_at=self._clock() + self._ttl)
            .returning(table.epoch)
            .execution_options(synchronize_session=False)
        ).scalar_one_or_none()
        if renewed is None:
            raise LeaseLost(
                f"recorder {self.holder} lost the lease (epoch {self.epoch}): another recorder "
                "took over; exiting without writing"
            )
