"""The simulated clock: where simulated time stands for a given wall time, and back.

A run starts simulated time ``lag`` seconds behind the wall clock. Simulated time then runs
``speed`` times faster than wall time until it catches up with the wall clock, and from then
on in step with it, so a simulated instant is never ahead of the wall clock. Wall time is
measured here as seconds elapsed since the run started; the caller reads its own clock.
"""

from __future__ import annotations

import math
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class SimulatedClock:
    """Maps wall seconds elapsed since the start to simulated Unix time and back."""

    sim_start: float
    """Simulated Unix time at the start of the run."""
    wall_start: float
    """Wall-clock Unix time at the start of the run; not before ``sim_start``."""
    speed: float
    """Simulated seconds per wall second while catching up; math.inf for "at once"."""

    def __post_init__(self) -> None:
        if self.wall_start < self.sim_start:
            raise ValueError("the simulated start must not be in the future")
        if not self.speed > 0:
            raise ValueError("speed must be positive")

    @property
    def lag(self) -> float:
        """How far simulated time starts behind the wall clock, in seconds."""
        return self.wall_start - self.sim_start

    def simulated(self, elapsed: float) -> float:
        """Simulated Unix time once ``elapsed`` wall seconds have passed since the start."""
        elapsed = max(0.0, elapsed)
        # Whichever is earlier: running at speed, or having caught up and keeping step.
        running = math.inf if math.isinf(self.speed) else self.speed * elapsed
        return self.sim_start + min(running, self.lag + elapsed)

    def due(self, sim_time: float) -> float:
        """Wall seconds after the start at which simulated time reaches ``sim_time``."""
        ahead = sim_time - self.sim_start
        if ahead <= 0:
            return 0.0
        # Inverse of simulated(): the later of "reached at speed" and "reached in step".
        at_speed = 0.0 if math.isinf(self.speed) else ahead / self.speed
        return max(at_speed, ahead - self.lag)

    def catch_up(self) -> float:
        """Wall seconds after the start at which simulated time meets the wall clock."""
        if self.lag == 0:
            return 0.0
        if math.isinf(self.speed):
            return 0.0
        if self.speed <= 1:
            return math.inf
        return self.lag / (self.speed - 1)
