"""Generated cities of any size for the benchmarks: zones of 100 spaces, districts of 100 bins,
and on request a truck for every 50 bins (the demo county's 500 bins have 10 trucks)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from curbside.city.demo import demo_city
from curbside.city.registry import City, parse_city

SPACES_PER_ZONE = 100
BINS_PER_DISTRICT = 100
BINS_PER_TRUCK = 50


def _sizes(total: int, per_group: int) -> list[int]:
    return [min(per_group, total - start) for start in range(0, total, per_group)]


def city_data(spaces: int, bins: int = 0, trucks: bool = False) -> dict[str, Any]:
    """A registry of ``spaces`` spaces and ``bins`` bins, half the zones under each demo tariff;
    with ``trucks``, a truck for every 50 bins (so the simulator's rounds empty them)."""
    demo = demo_city()
    zones = []
    for z, count in enumerate(_sizes(spaces, SPACES_PER_ZONE)):
        zone_id = f"B{z:04d}"
        zones.append(
            {
                "id": zone_id,
                "name": zone_id,
                "tariff": "main-road" if z % 2 == 0 else "secondary",
                "spaces": [{"id": f"{zone_id}-{n:03d}", "lat": 0, "lon": 0} for n in range(count)],
            }
        )
    districts = []
    for d, count in enumerate(_sizes(bins, BINS_PER_DISTRICT)):
        district_id = f"S{d:04d}"
        districts.append(
            {
                "id": district_id,
                "name": district_id,
                "clearance_deadline": "19:00",
                "bins": [
                    {
                        "id": f"{district_id}-B{n:03d}",
                        "capacity_l": 240,
                        "depth_cm": 100.0,
                        "lat": 0,
                        "lon": 0,
                    }
                    for n in range(count)
                ],
            }
        )
    return {
        "name": f"bench city of {spaces} spaces and {bins} bins",
        "timezone": demo["timezone"],
        "tariffs": demo["tariffs"],
        "workday_calendar": demo["workday_calendar"],
        "parking_zones": zones,
        "sanitation_districts": districts,
        # One station: the bins all stand at (0, 0), so where the trucks start makes no odds.
        "transfer_stations": [{"id": "TS1", "name": "TS1", "lat": 0, "lon": 0}] if trucks else [],
        "trucks": [
            {"id": f"T{t:04d}", "station": "TS1"}
            for t in range(-(-bins // BINS_PER_TRUCK) if trucks else 0)
        ],
    }


def bench_city(spaces: int, bins: int = 0) -> City:
    """The generated registry, parsed."""
    return parse_city(city_data(spaces, bins))


def write_city(path: Path, spaces: int, bins: int, trucks: bool = False) -> City:
    """Write the generated registry where the services can read it; return it parsed."""
    data = city_data(spaces, bins, trucks)
    path.parent.mkdir(parents=True, exist_ok=True)
    # JSON is YAML, and much quicker to write for 100,000 devices.
    path.write_text(json.dumps(data, default=str))
    return parse_city(data)
