"""The stated travel model: great-circle distance × detour, speed by local time band."""

from __future__ import annotations

import math
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from curbside.domain.dispatch.travel import GreatCircleTravel
from curbside.domain.sanitation.worklist import Point

SHANGHAI = ZoneInfo("Asia/Shanghai")


def test_a_degree_of_latitude_times_the_detour() -> None:
    # One degree of a meridian on a sphere of radius 6,371 km is 6,371,000 × π / 180 m
    # = 111,194.9 m; with a detour of 1.5 the truck drives 166,792 m.
    travel = GreatCircleTravel(SHANGHAI, detour=1.5)
    ((zero, there), (back, _)) = travel.matrix([Point(29.0, 121.0), Point(30.0, 121.0)])
    assert zero == 0
    assert there == back == round(6_371_000 * math.pi / 180 * 1.5)


def test_speed_follows_the_local_band() -> None:
    # Default bands: 15 km/h from 07:00 local, 22 km/h from 09:00; 08:00 in Shanghai is
    # 00:00 UTC.
    travel = GreatCircleTravel(SHANGHAI)
    assert travel.speed_at(datetime(2026, 12, 7, 8, 0, tzinfo=SHANGHAI)) == pytest.approx(15 / 3.6)
    assert travel.speed_at(datetime(2026, 12, 7, 10, 0, tzinfo=SHANGHAI)) == pytest.approx(22 / 3.6)
    # 10:00 to 18:00 crosses the evening rush (15 km/h from 17:00): plan with the slowest.
    slowest = travel.speed_during(
        datetime(2026, 12, 7, 10, 0, tzinfo=SHANGHAI), datetime(2026, 12, 7, 18, 0, tzinfo=SHANGHAI)
    )
    assert slowest == pytest.approx(15 / 3.6)


def test_bands_out_of_order_are_refused() -> None:
    from datetime import time

    from curbside.domain.dispatch.travel import SpeedBand

    with pytest.raises(ValueError, match="time order"):
        GreatCircleTravel(
            SHANGHAI, bands=(SpeedBand(time(0), 20), SpeedBand(time(9), 10), SpeedBand(time(8), 10))
        )
