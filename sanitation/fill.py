"""Fill level from an ultrasonic lid sensor's distance reading."""

from __future__ import annotations


def fill_from_distance(distance_cm: float, depth_cm: float) -> float:
    """Fill percentage of a bin whose rubbish lies ``distance_cm`` below a lid ``depth_cm`` deep.

    A distance beyond the depth reads as empty and one of zero as full: the sensor's echo
    off the bin floor or off rubbish touching the lid, not a physical impossibility.
    """
    if depth_cm <= 0:
        raise ValueError("depth_cm must be positive")
    fill = (depth_cm - distance_cm) / depth_cm * 100.0
    return round(min(100.0, max(0.0, fill)), 1)
