"""Token buckets per caller: ``rate`` requests a second on average, ``burst`` at once.

The buckets live in memory shared by every process forked from the one that made the
limiter (an anonymous shared mapping, guarded by a process-shared lock), so a limit holds
across the API's processes however the kernel spreads connections among them
(api/processes.py): a caller's requests spend one bucket whichever process answers them.

The clock is passed in, so the rules are testable without waiting; it must be one clock for
every process (``time.monotonic`` is the system's). Memory is fixed: a table of
``2 × max_callers`` slots. A new caller takes a slot near its hash that is free or whose
bucket has refilled (forgetting a full bucket changes nothing for its caller); past that,
the fullest nearby bucket is forgotten, so only a flood of more than ``max_callers``
distinct callers at once can hand one of them a fresh burst early.
"""

from __future__ import annotations

import hashlib
import mmap
import multiprocessing
import struct

_SLOT = struct.Struct("<Qdd")  # caller hash (0: free), tokens, when last updated
# Slots looked at for one caller: the table is at most half full, so a caller's slot is
# almost always the first or second one.
_PROBE = 16


def _caller_hash(caller: str) -> int:
    digest = hashlib.blake2b(caller.encode("utf-8", "surrogatepass"), digest_size=8).digest()
    return int.from_bytes(digest, "little") or 1


class RateLimiter:
    """Whether a caller may make a request now, and if not, how long to wait."""

    def __init__(self, rate_per_s: float, burst: int, max_callers: int = 10_000) -> None:
        if rate_per_s <= 0 or burst < 1 or max_callers < 1:
            raise ValueError("rate_per_s must be > 0, burst and max_callers >= 1")
        self.rate_per_s = rate_per_s
        self.burst = burst
        self.max_callers = max_callers
        self._slots = 1 << (2 * max_callers - 1).bit_length()
        self._table = mmap.mmap(-1, self._slots * _SLOT.size, flags=mmap.MAP_SHARED)
        self._lock = multiprocessing.Lock()

    def take(self, caller: str, now: float) -> float:
        """Spend one token: 0.0 if allowed, else the seconds until a token is due."""
        key = _caller_hash(caller)
        with self._lock:
            offset, tokens = self._bucket(key, now)
            if tokens >= 1:
                _SLOT.pack_into(self._table, offset, key, tokens - 1, now)
                return 0.0
            _SLOT.pack_into(self._table, offset, key, tokens, now)
            return (1 - tokens) / self.rate_per_s

    def _bucket(self, key: int, now: float) -> tuple[int, float]:
        """The caller's slot and its tokens as of ``now``; a new caller gets a full bucket in
        the first reusable slot near its hash."""
        spare: tuple[int, float] | None = None
        for step in range(_PROBE):
            offset = ((key + step) & (self._slots - 1)) * _SLOT.size
            held, tokens, at = _SLOT.unpack_from(self._table, offset)
            refilled = self.burst if held == 0 else self._refill(tokens, at, now)
            if held == key:
                return offset, refilled
            if spare is None or (spare[1] < self.burst and refilled > spare[1]):
                spare = (offset, refilled)
        assert spare is not None
        return spare[0], float(self.burst)

    def _refill(self, tokens: float, at: float, now: float) -> float:
        return min(float(self.burst), tokens + max(0.0, now - at) * self.rate_per_s)
