"""Keeps the garbage collector's full collections short, so they do not stall answers.

A full collection walks every tracked object the collector has not been told to skip. The
registry is frozen at start (api/__main__.py), but the live state (about 95,000 objects in a
city of 10,000 spaces and 5,000 bins) is made after it, and a full collection walking it took
35 to 80 ms, every 2 to 5 s under polling load: the sessions' p99 (tools/bench/api.py).
So, after the first full read and then every ``REFREEZE_EVERY_S``, the heap is unfrozen,
collected in full once (the cyclic garbage among objects frozen last time goes then, so
freezing loses nothing for longer than that), and frozen again.
"""

from __future__ import annotations

import asyncio
import gc
import logging
import time

# One full collection of the whole heap (about 150 ms in the benchmark city) this often.
REFREEZE_EVERY_S = 300.0

log = logging.getLogger(__name__)


def refreeze() -> float:
    """Collect everything once, then have the collector skip what is left; the seconds it took."""
    started = time.perf_counter()
    gc.unfreeze()
    gc.collect()
    gc.freeze()
    return time.perf_counter() - started


async def keep_refreezing(every_s: float = REFREEZE_EVERY_S) -> None:
    """Until cancelled: :func:`refreeze` every ``every_s``."""
    while True:
        await asyncio.sleep(every_s)
        took = refreeze()
        log.debug(
            "heap collected and frozen in %.3f s (%d objects frozen)", took, gc.get_freeze_count()
        )
