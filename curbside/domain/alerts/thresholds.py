"""The limits the sensor alert rules compare readings with, in one place."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta


@dataclass(frozen=True, slots=True)
class AlertThresholds:
    """Limits for the bin and sensor rules; the defaults suit the county's demo fleet.

    ``low_battery_v``: the sensors run on lithium thionyl chloride cells, which hold about
    3.6 V for most of their life and fall off a knee only near the end. At 3.3 V a cell is on
    that knee: the sensor browns out near 3.0 V, and what is left is weeks, not months. That is
    enough time for a planned replacement visit, and early enough that nobody has to hurry.
    """

    full_pct: float = 80.0
    """A bin at or above this fill is full: collection crews plan by it."""
    fire_temp_c: float = 60.0
    """At or above this a bin is burning: sun on a dark lid stays well below it."""
    low_battery_v: float = 3.3
    """At or below this a sensor's battery wants replacing (see the class docstring)."""
    bin_silent_after: timedelta = timedelta(hours=2)
    """A bin quiet for longer than this is silent (it reports every 15 min or so)."""
    space_silent_after: timedelta = timedelta(hours=2)
    """A parking sensor quiet for longer than this is silent (heartbeat every 10 min)."""
    overflow_horizon: timedelta = timedelta(hours=2)
    """A bin predicted full within this from now is about to overflow, round planned or not."""
    trend_min_readings: int = 3
    """Fewer readings than this in the window make no trend."""
    trend_window: timedelta = timedelta(hours=4)
    """Only readings this recent count: how fast a bin fills changes over the day."""
    trend_min_r2: float = 0.7
    """A fit explaining less of the readings' variance than this is too poor to predict by."""

    def __post_init__(self) -> None:
        for name in ("bin_silent_after", "space_silent_after", "overflow_horizon", "trend_window"):
            if getattr(self, name) <= timedelta(0):
                raise ValueError(f"{name} must be positive")
        if not 0.0 < self.full_pct <= 100.0:
            raise ValueError("full_pct must be in (0, 100]")
        # A line needs two points (and two always fit it perfectly: 3 is the sane least).
        if self.trend_min_readings < 2:
            raise ValueError("trend_min_readings must be at least 2")
        if not 0.0 <= self.trend_min_r2 <= 1.0:
            raise ValueError("trend_min_r2 must be in [0, 1]")
