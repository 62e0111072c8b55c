"""The real world a run paces itself against: the wall clock, and being asked to stop."""

from __future__ import annotations

import time
from typing import Protocol

_SLICE_S = 0.1


class WallClock(Protocol):
    """Wall time (Unix seconds) and a monotonic clock for measuring intervals."""

    def time(self) -> float:
        """Seconds since the Unix epoch."""

    def monotonic(self) -> float:
        """Seconds on a clock that never goes back."""


class SystemWallClock:
    """The machine's clocks."""

    def time(self) -> float:
        """``time.time()``."""
        return time.time()

    def monotonic(self) -> float:
        """``time.monotonic()``."""
        return time.monotonic()


class StopFlag(Protocol):
    """Something that says when to stop and can be waited on; threading.Event is one."""

    def is_set(self) -> bool:
        """Whether stopping was asked for."""

    def wait(self, timeout: float | None = None) -> bool:
        """Sleep up to ``timeout`` seconds or until stopping is asked for; True if it was."""


class SignalStop:
    """A stop flag safe to set from a signal handler.

    threading.Event.set() takes a lock the interrupted main thread may hold, so a handler
    must not call it; this flag is a plain attribute, and waiting polls it in short slices.
    """

    def __init__(self) -> None:
        self._stop = False

    def set(self) -> None:
        """Ask the run to stop."""
        self._stop = True

    def is_set(self) -> bool:
        """Whether stopping was asked for."""
        return self._stop

    def wait(self, timeout: float | None = None) -> bool:
        """Sleep up to ``timeout`` seconds (forever if None), waking early on a stop."""
        deadline = None if timeout is None else time.monotonic() + timeout
        while not self._stop:
            left = _SLICE_S if deadline is None else min(_SLICE_S, deadline - time.monotonic())
            if left <= 0:
                break
            time.sleep(left)
        return self._stop
