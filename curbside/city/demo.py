"""Generate the demo county's registry: ~1,000 spaces in 10 zones, 500 bins in 5 districts.

Run ``python -m curbside.city.demo > curbside/city/demo-city.yaml`` to rebuild the shipped file. The
layout is
fixed by a seed so the file in the repository is reproducible byte for byte.
"""

from __future__ import annotations

import random
import sys
from datetime import date
from typing import Any

import yaml

# A fictional county seat; the coordinates only need to look like a small town's grid.
ORIGIN_LAT, ORIGIN_LON = 29.870, 121.540
METRES_PER_DEG_LAT = 111_320.0
METRES_PER_DEG_LON = 96_500.0  # at ~30°N

ROADS = [
    ("Z01", "人民路 Renmin Road", "main-road"),
    ("Z02", "解放路 Jiefang Road", "main-road"),
    ("Z03", "中山路 Zhongshan Road", "main-road"),
    ("Z04", "建设路 Jianshe Road", "main-road"),
    ("Z05", "文化路 Wenhua Road", "main-road"),
    ("Z06", "新华路 Xinhua Road", "secondary"),
    ("Z07", "和平路 Heping Road", "secondary"),
    ("Z08", "胜利路 Shengli Road", "secondary"),
    ("Z09", "环城路 Huancheng Road", "secondary"),
    ("Z10", "滨江路 Binjiang Road", "secondary"),
]
DISTRICTS = [
    ("D1", "城东 East Town", "19:00"),
    ("D2", "城西 West Town", "19:00"),
    ("D3", "城南 South Town", "19:30"),
    ("D4", "城北 North Town", "19:30"),
    ("D5", "老城 Old Town", "18:30"),
]
# Modelled on published county-town on-street tariffs (主干道 / 次干道 classes): main roads are
# dear by day with steeper tiers for long stays and a flat night price; side roads are cheap,
# free at night and on non-workdays. Amounts are fen.
MAIN_ROAD_TARIFF: dict[str, Any] = {
    "name": {"zh": "主干道", "en": "Main road"},
    "grace": {"minutes": 15, "charged_when_exceeded": False},
    "bands": [
        {
            "name": "day",
            "title": {"zh": "日间", "en": "Day"},
            "start": "07:30",
            "end": "20:00",
            "price": {
                "kind": "tiered",
                "partial": "round-up",
                "tiers": [
                    {"up_to_minutes": 30, "unit_minutes": 30, "unit_fen": 100},
                    {"up_to_minutes": 180, "unit_minutes": 30, "unit_fen": 200},
                    {"unit_minutes": 30, "unit_fen": 300},
                ],
            },
            "non_workday_price": {
                "kind": "tiered",
                "partial": "round-up",
                "tiers": [
                    {"up_to_minutes": 30, "unit_minutes": 30, "unit_fen": 100},
                    {"unit_minutes": 30, "unit_fen": 150},
                ],
            },
        },
        {
            "name": "night",
            "title": {"zh": "夜间", "en": "Night"},
            "start": "20:00",
            "end": "07:30",
            "price": {"kind": "flat", "fen": 600},
        },
    ],
    "cap": {"fen": 6000, "window": "24h-from-entry"},
}
SECONDARY_TARIFF: dict[str, Any] = {
    "name": {"zh": "次干道", "en": "Secondary road"},
    "grace": {"minutes": 30, "charged_when_exceeded": True},
    "bands": [
        {
            "name": "day",
            "title": {"zh": "日间", "en": "Day"},
            "start": "07:00",
            "end": "21:00",
            "price": {
                "kind": "tiered",
                "partial": "threshold",
                "free_under_minutes": 15,
                "tiers": [{"unit_minutes": 60, "unit_fen": 200}],
            },
            "non_workday_price": {"kind": "free"},
        },
    ],
    "cap": {"fen": 2000, "window": "calendar-day"},
}

# 国务院办公厅 notices. 2026 as published (Nov 2025). The 2027 notice was not known when this
# was written: 2027 lists only the statutory holidays (全国年节及纪念日放假办法), without the
# bridge days or adjusted workdays. Check every December against the official notice.
HOLIDAYS = [
    *("2026-01-01", "2026-01-02", "2026-01-03"),  # 元旦
    *(f"2026-02-{d}" for d in range(15, 24)),  # 春节
    *("2026-04-04", "2026-04-05", "2026-04-06"),  # 清明节
    *(f"2026-05-0{d}" for d in range(1, 6)),  # 劳动节
    *("2026-06-19", "2026-06-20", "2026-06-21"),  # 端午节
    *("2026-09-25", "2026-09-26", "2026-09-27"),  # 中秋节
    *(f"2026-10-0{d}" for d in range(1, 8)),  # 国庆节
    "2027-01-01",  # 元旦
    *("2027-02-05", "2027-02-06", "2027-02-07", "2027-02-08"),  # 春节: 除夕 to 初三
    "2027-04-05",  # 清明节
    *("2027-05-01", "2027-05-02"),  # 劳动节
    "2027-06-09",  # 端午节
    "2027-09-15",  # 中秋节
    *("2027-10-01", "2027-10-02", "2027-10-03"),  # 国庆节
]
ADJUSTED_WORKDAYS = [
    "2026-01-04",
    "2026-02-14",
    "2026-02-28",
    "2026-05-09",
    "2026-09-20",
    "2026-10-10",
]

SPACES_PER_ZONE = 100
BINS_PER_DISTRICT = 100


def _point(rng: random.Random, east_m: float, north_m: float) -> dict[str, float]:
    jitter = rng.uniform(-3, 3)
    return {
        "lat": round(ORIGIN_LAT + (north_m + jitter) / METRES_PER_DEG_LAT, 6),
        "lon": round(ORIGIN_LON + (east_m + jitter) / METRES_PER_DEG_LON, 6),
    }


def _zones(rng: random.Random) -> list[dict[str, Any]]:
    zones = []
    for index, (zone_id, name, tariff) in enumerate(ROADS):
        horizontal = index % 2 == 0
        offset = (index - len(ROADS) / 2) * 250.0
        spaces = []
        for n in range(SPACES_PER_ZONE):
            along = -700.0 + n * 7.0  # one space every 7 m along the kerb
            east, north = (along, offset) if horizontal else (offset, along)
            space: dict[str, Any] = {"id": f"{zone_id}-{n + 1:03d}", **_point(rng, east, north)}
            if zone_id in ZONE_SENSORS:
                space["sensor"] = _sensor(1, zone_id, n + 1, ZONE_SENSORS[zone_id])
            spaces.append(space)
        zone: dict[str, Any] = {"id": zone_id, "name": _names(name), "tariff": tariff}
        if tariff == "main-road":
            # Main roads limit stays so that spaces turn over: an overstay alert after 2 h.
            zone["max_stay_minutes"] = 120
        zones.append({**zone, "spaces": spaces})
    return zones


# The demo's LoRaWAN fleet: which sensor model serves each zone or district (the rest keep
# the native contract). DevEUIs are made up: "CB" (Curbside), domain, group number, device.
ZONE_SENSORS = {"Z01": "bosch-parking-lot-sensor", "Z02": "bosch-parking-lot-sensor",
                "Z03": "nwave-nps", "Z04": "nwave-nps"}  # fmt: skip
DISTRICT_SENSORS = {"D1": "milesight-em310-udl", "D2": "milesight-em400-udl"}
# Ultrasonic sensors cannot see closer than their blind zone: full is a hand's width below.
FULL_DISTANCE_CM = 25.0


def _sensor(domain: int, group: str, number: int, model: str) -> dict[str, Any]:
    return {"dev_eui": f"CB{domain:02d}{int(group[1:]):02d}{number:010d}", "model": model}


def _districts(rng: random.Random) -> list[dict[str, Any]]:
    centres = [(1200, 0), (-1200, 0), (0, -1200), (0, 1200), (0, 0)]
    districts = []
    for (district_id, name, deadline), (cx, cy) in zip(DISTRICTS, centres, strict=True):
        bins = []
        for n in range(BINS_PER_DISTRICT):
            capacity, depth = rng.choice([(120, 90.0), (240, 100.0), (660, 120.0)])
            east = cx + rng.uniform(-600, 600)
            north = cy + rng.uniform(-600, 600)
            bin_: dict[str, Any] = {
                "id": f"{district_id}-B{n + 1:03d}",
                "capacity_l": capacity,
                "depth_cm": depth,
                **_point(rng, east, north),
            }
            if district_id in DISTRICT_SENSORS:
                bin_["full_distance_cm"] = FULL_DISTANCE_CM
                bin_["sensor"] = _sensor(2, district_id, n + 1, DISTRICT_SENSORS[district_id])
            bins.append(bin_)
        districts.append(
            {
                "id": district_id,
                "name": _names(name),
                "clearance_deadline": deadline,
                "bins": bins,
            }
        )
    return districts


def _names(both: str) -> dict[str, str]:
    """``{"zh": "人民路", "en": "Renmin Road"}`` from ``"人民路 Renmin Road"``."""
    zh, en = both.split(" ", 1)
    return {"zh": zh, "en": en}


def demo_city(seed: int = 20261127) -> dict[str, Any]:
    """The demo county's registry as plain data, ready to dump as YAML."""
    rng = random.Random(seed)  # noqa: S311 - layout, not security
    stations = [
        {"id": "TS1", "name": _names("东郊中转站 East Transfer Station"), **_point(rng, 2200, 300)},
        {
            "id": "TS2",
            "name": _names("西郊中转站 West Transfer Station"),
            **_point(rng, -2200, -300),
        },
        {
            "id": "TS3",
            "name": _names("北郊中转站 North Transfer Station"),
            **_point(rng, 200, 2200),
        },
    ]
    trucks = [{"id": f"T{n + 1:02d}", "station": stations[n % 3]["id"]} for n in range(10)]
    return {
        "name": _names("示范县 Curbside demo county"),
        "timezone": "Asia/Shanghai",
        "tariffs": {"main-road": MAIN_ROAD_TARIFF, "secondary": SECONDARY_TARIFF},
        "workday_calendar": {
            "weekend_days": ["saturday", "sunday"],
            "holidays": [date.fromisoformat(d) for d in HOLIDAYS],
            "adjusted_workdays": [date.fromisoformat(d) for d in ADJUSTED_WORKDAYS],
        },
        "parking_zones": _zones(rng),
        "sanitation_districts": _districts(rng),
        "transfer_stations": stations,
        "trucks": trucks,
    }


def main() -> None:
    """Print the demo registry as YAML on standard output."""
    header = "# Generated by `python -m curbside.city.demo`; edit the generator, not this file.\n"
    sys.stdout.write(header)
    yaml.safe_dump(
        demo_city(), sys.stdout, allow_unicode=True, sort_keys=False, default_flow_style=None
    )


if __name__ == "__main__":
    main()
