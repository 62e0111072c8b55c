"""A larger county for the dispatch benchmark: the demo's districts laid out on a bigger grid.

``larger_county(3, 5)`` is 15 districts of 100 bins (1,500 bins) 1.2 km apart, a transfer
station beyond each corner and one beyond the middle of each long side (6), and 2 trucks per
district (30), with the demo's bin sizes, deadlines (18:30-19:30) and truck defaults.
"""

from __future__ import annotations

import random
from typing import Any

from curbside.city.demo import BINS_PER_DISTRICT, DISTRICTS, _point, demo_city
from curbside.city.registry import City, parse_city

SPACING_M = 1_200.0
HALF_DISTRICT_M = 600.0
STATION_OUT_M = 1_000.0  # how far beyond the built-up edge a station stands
TRUCKS_PER_DISTRICT = 2


def larger_county(rows: int, columns: int, seed: int = 20261206) -> City:
    """``rows`` × ``columns`` districts of 100 bins, their stations and trucks."""
    rng = random.Random(seed)
    width, height = (columns - 1) * SPACING_M, (rows - 1) * SPACING_M
    districts: list[dict[str, Any]] = []
    for r in range(rows):
        for c in range(columns):
            number = r * columns + c
            district_id = f"G{number + 1:02d}"
            deadline = DISTRICTS[number % len(DISTRICTS)][2]
            cx, cy = c * SPACING_M - width / 2, r * SPACING_M - height / 2
            bins = []
            for n in range(BINS_PER_DISTRICT):
                capacity, depth = rng.choice([(120, 90.0), (240, 100.0), (660, 120.0)])
                east = cx + rng.uniform(-HALF_DISTRICT_M, HALF_DISTRICT_M)
                north = cy + rng.uniform(-HALF_DISTRICT_M, HALF_DISTRICT_M)
                bins.append(
                    {
                        "id": f"{district_id}-B{n + 1:03d}",
                        "capacity_l": capacity,
                        "depth_cm": depth,
                        **_point(rng, east, north),
                    }
                )
            districts.append(
                {
                    "id": district_id,
                    "name": district_id,
                    "clearance_deadline": deadline,
                    "bins": bins,
                }
            )
    edge_x = width / 2 + HALF_DISTRICT_M + STATION_OUT_M
    edge_y = height / 2 + HALF_DISTRICT_M + STATION_OUT_M
    spots = [(-edge_x, -edge_y), (edge_x, -edge_y), (-edge_x, edge_y), (edge_x, edge_y)]
    spots += [(0.0, -edge_y), (0.0, edge_y)]
    stations = [
        {"id": f"GS{i + 1}", "name": f"GS{i + 1}", **_point(rng, x, y)}
        for i, (x, y) in enumerate(spots)
    ]
    trucks = [
        {"id": f"GT{n + 1:02d}", "station": stations[n % len(stations)]["id"]}
        for n in range(TRUCKS_PER_DISTRICT * len(districts))
    ]
    demo = demo_city()
    return parse_city(
        {
            "name": f"generated county of {len(districts) * BINS_PER_DISTRICT} bins",
            "timezone": demo["timezone"],
            "sanitation_districts": districts,
            "transfer_stations": stations,
            "trucks": trucks,
        }
    )
