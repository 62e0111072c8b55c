"""Fill level from an ultrasonic lid sensor's distance reading and the bin's mounting geometry."""

from __future__ import annotations


def fill_from_distance(distance_cm: float, depth_cm: float, full_distance_cm: float = 0.0) -> float:
    """Fill percentage of a bin whose rubbish lies ``distance_cm`` below the sensor.

    ``depth_cm`` is the distance the sensor reads over an empty bin, ``full_distance_cm`` the
    one it reads when the bin counts as full (0 = rubbish touching the sensor). Readings
    beyond either end are clamped to 0 or 100 %: an echo off the bin floor or off rubbish in
    the sensor's blind zone, not a physical impossibility.
    """
    if not 0 <= full_distance_cm < depth_cm:
        raise ValueError("need 0 <= full_distance_cm < depth_cm")
    fill = (depth_cm - distance_cm) / (depth_cm - full_distance_cm) * 100.0
    return round(min(100.0, max(0.0, fill)), 1)
