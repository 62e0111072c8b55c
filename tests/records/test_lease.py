"""The recorders' lease on SQLite and PostgreSQL: one holder; a standby takes it only once it
has lapsed; the old holder's next commit then fails and leaves nothing behind (the fence)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Engine, func, select

from curbside.adapters.records.engine import session_factory
from curbside.adapters.records.lease import Lease, LeaseLost
from curbside.adapters.records.migrate import upgrade
from curbside.adapters.records.models import BinCollection

pytestmark = pytest.mark.records

TTL = timedelta(seconds=10)
T0 = datetime(2026, 3, 3, 8, 0, tzinfo=UTC)


def collection(n: int) -> BinCollection:
    at = T0 + timedelta(minutes=n)
    return BinCollection(district="D1", bin=f"B{n}", ts=at, source="fill", recorded_at=at)


def test_one_holder_a_lapsed_lease_is_taken_and_the_old_holder_is_fenced_off(
    engine: Engine,
) -> None:
    upgrade(engine)
    clock = [T0]
    a, b = (Lease(engine, name, TTL, lambda: clock[0]) for name in ("a", "b"))
    assert a.try_acquire() and a.epoch == 1
    assert not b.try_acquire()
    sessions_a = session_factory(engine)
    a.fence(sessions_a)
    # a's commits renew the lease: 9 s on, b still cannot take it, and a writes.
    clock[0] = T0 + timedelta(seconds=9)
    with sessions_a.begin() as db:
        db.add(collection(1))
    clock[0] = T0 + timedelta(seconds=18)
    assert not b.try_acquire()
    # a stops renewing (paused, or killed); once lapsed, b takes over.
    clock[0] = T0 + timedelta(seconds=30)
    assert b.try_acquire() and b.epoch == 2
    assert b.holder_now() == ("b", clock[0] + TTL)
    # a wakes up and commits: refused, and its row is not stored.
    with pytest.raises(LeaseLost), sessions_a.begin() as db:
        db.add(collection(2))
    with sessions_a() as db:
        assert db.scalar(select(func.count()).select_from(BinCollection)) == 1
    # b restarted under the same name takes its own lease back at once (a new epoch).
    b_again = Lease(engine, "b", TTL, lambda: clock[0])
    assert b_again.try_acquire() and b_again.epoch == 3
