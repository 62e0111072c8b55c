"""Freezing the heap hides long-lived objects from full collections, and loses no garbage for
longer than one period: a cycle dropped after a freeze is collected at the next one."""

from __future__ import annotations

import gc
import weakref
from collections.abc import Iterator

import pytest

from api.heap import refreeze


class _Node:
    def __init__(self) -> None:
        self.itself = self  # a cycle: only the collector can free it


@pytest.fixture(autouse=True)
def _thawed() -> Iterator[None]:
    yield
    gc.unfreeze()  # the test process's heap as it was


def test_a_cycle_dropped_after_a_freeze_goes_at_the_next_one() -> None:
    node = _Node()
    gone = weakref.ref(node)
    refreeze()
    assert gc.get_freeze_count() > 0
    del node
    gc.collect()
    assert gone() is not None  # frozen: full collections skip it, as they skip the live state
    refreeze()
    assert gone() is None
