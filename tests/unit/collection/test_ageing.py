"""Arrears by age: 0–7, 8–30, 31–90, over 90 days."""

from __future__ import annotations

from datetime import date, timedelta

from hypothesis import given
from hypothesis import strategies as st

from curbside.domain.collection.ageing import ageing, is_overdue

TODAY = date(2026, 12, 6)


def test_the_bucket_edges_are_inclusive() -> None:
    owed = [
        (TODAY - timedelta(days=d), 100 * (i + 1)) for i, d in enumerate([0, 7, 8, 30, 31, 90, 91])
    ]
    buckets = ageing(owed, TODAY)
    assert [b.label for b in buckets] == ["0-7", "8-30", "31-90", ">90"]
    assert [b.owed_fen for b in buckets] == [100 + 200, 300 + 400, 500 + 600, 700]
    assert [b.stays for b in buckets] == [2, 2, 2, 1]


def test_nothing_owed_is_no_arrears() -> None:
    assert sum(b.stays for b in ageing([(TODAY, 0)], TODAY)) == 0


def test_overdue_is_strictly_after_the_allowed_days() -> None:
    billed = TODAY - timedelta(days=7)
    assert not is_overdue(billed, TODAY, 100, after_days=7)
    assert is_overdue(billed, TODAY + timedelta(days=1), 100, after_days=7)
    assert not is_overdue(billed, TODAY + timedelta(days=1), 0, after_days=7)


@given(st.lists(st.tuples(st.integers(0, 400), st.integers(0, 10**9))))
def test_the_buckets_hold_every_fen_once(items: list[tuple[int, int]]) -> None:
    owed = [(TODAY - timedelta(days=d), fen) for d, fen in items]
    buckets = ageing(owed, TODAY)
    assert sum(b.owed_fen for b in buckets) == sum(fen for _, fen in items)
