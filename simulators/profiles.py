"""Time-of-day shapes of the city's activity, in local hours (0 <= hour < 24).

Each profile is a baseline plus Gaussian bumps around the busy hours. They are relative
rates: the models multiply them by their own base rates.
"""

from __future__ import annotations

import math


def _bump(hour: float, centre: float, width: float) -> float:
    # Distance on the 24-hour circle, so a bump near midnight wraps around.
    distance = min(abs(hour - centre), 24.0 - abs(hour - centre))
    return math.exp(-0.5 * (distance / width) ** 2)


def parking_demand(hour: float) -> float:
    """Relative rate of cars arriving at a space: quiet at night, peaks ~10:00 and ~17:30."""
    return (
        0.06
        + 1.00 * _bump(hour, 10.0, 1.6)
        + 0.55 * _bump(hour, 13.5, 1.8)
        + 0.95 * _bump(hour, 17.5, 1.6)
        + 0.25 * _bump(hour, 20.5, 1.5)
    )


# Thinning needs an upper bound of the rate; a fine grid plus a margin is a safe one for
# bumps this wide (they change by far less than 1 % between grid points).
PARKING_DEMAND_MAX = 1.01 * max(parking_demand(i / 100) for i in range(2400))


def waste_generation(hour: float) -> float:
    """Relative rate at which rubbish goes into bins: low at night, most around lunch time."""
    return 0.15 + 0.90 * _bump(hour, 12.5, 3.0) + 0.40 * _bump(hour, 19.0, 1.5)


def air_temperature(hour: float, mean_c: float) -> float:
    """Air temperature in a bin: a daily swing of 6 degrees around ``mean_c``, warmest at 15:00."""
    return mean_c + 6.0 * math.cos(2 * math.pi * (hour - 15.0) / 24.0)
