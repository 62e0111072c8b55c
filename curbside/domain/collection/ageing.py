"""Arrears by age: how long each unpaid amount has been owed, in the buckets operators use."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date

# Upper bounds (inclusive, in days) of the ageing buckets: 0–7, 8–30, 31–90, over 90.
DEFAULT_BUCKETS: tuple[int, ...] = (7, 30, 90)


@dataclass(frozen=True, slots=True)
class Bucket:
    """Owed amounts of one age range: ``last_day`` None is the open-ended oldest bucket."""

    first_day: int
    last_day: int | None
    owed_fen: int
    stays: int

    @property
    def label(self) -> str:
        """'0-7', '8-30', ..., '>90'."""
        if self.last_day is None:
            return f">{self.first_day - 1}"
        return f"{self.first_day}-{self.last_day}"


def age_days(billed_on: date, today: date) -> int:
    """Whole days an amount billed on ``billed_on`` has been owed by ``today`` (never negative)."""
    return max((today - billed_on).days, 0)


def ageing(
    owed: Iterable[tuple[date, int]], today: date, bounds: Sequence[int] = DEFAULT_BUCKETS
) -> list[Bucket]:
    """Sum (business day, owed fen) pairs into buckets; zero amounts are not arrears."""
    if list(bounds) != sorted(set(bounds)) or not bounds or bounds[0] < 0:
        raise ValueError(f"bucket bounds must be increasing non-negative days, got {bounds}")
    firsts = [0, *(b + 1 for b in bounds)]
    lasts: list[int | None] = [*bounds, None]
    totals = [0] * len(firsts)
    counts = [0] * len(firsts)
    for billed_on, fen in owed:
        if fen <= 0:
            continue
        age = age_days(billed_on, today)
        index = next((i for i, last in enumerate(bounds) if age <= last), len(bounds))
        totals[index] += fen
        counts[index] += 1
    return [
        Bucket(first, last, total, count)
        for first, last, total, count in zip(firsts, lasts, totals, counts, strict=True)
    ]


def is_overdue(billed_on: date, today: date, owed_fen: int, after_days: int) -> bool:
    """An amount still owed more than ``after_days`` days after the day it was billed."""
    return owed_fen > 0 and age_days(billed_on, today) > after_days
