"""The small test city and the record of an offline run, shared by the simulator tests."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from simulators.recording import Published
from simulators.run import RunSummary

# A fixed, past instant: 06:00 in the city (Asia/Shanghai), a Thursday.
START = datetime.fromisoformat("2026-11-26T06:00:00+08:00")


def small_city_data() -> dict[str, Any]:
    """Two zones (one main road, one secondary), two districts, one station, two trucks."""

    def spaces(zone: str, n: int) -> list[dict[str, Any]]:
        return [
            {"id": f"{zone}-{i:03d}", "lat": 29.87, "lon": 121.54 + i * 1e-4}
            for i in range(1, n + 1)
        ]

    def bins(district: str, n: int, lat: float) -> list[dict[str, Any]]:
        depths = [90.0, 100.0, 120.0]
        return [
            {
                "id": f"{district}-B{i:03d}",
                "capacity_l": 240,
                "depth_cm": depths[i % 3],
                "lat": lat + (i % 5) * 1e-3,
                "lon": 121.54 + (i // 5) * 1e-3,
            }
            for i in range(1, n + 1)
        ]

    return {
        "name": "Test county",
        "timezone": "Asia/Shanghai",
        "parking_zones": [
            {"id": "Z01", "name": "Main", "tariff": "main-road", "spaces": spaces("Z01", 20)},
            {"id": "Z02", "name": "Side", "tariff": "secondary", "spaces": spaces("Z02", 20)},
        ],
        "sanitation_districts": [
            {
                "id": "D1",
                "name": "East",
                "clearance_deadline": "19:00",
                "bins": bins("D1", 15, 29.87),
            },
            {
                "id": "D2",
                "name": "West",
                "clearance_deadline": "18:30",
                "bins": bins("D2", 15, 29.86),
            },
        ],
        "transfer_stations": [{"id": "TS1", "name": "Station", "lat": 29.88, "lon": 121.55}],
        "trucks": [{"id": "T01", "station": "TS1"}, {"id": "T02", "station": "TS1"}],
    }


@dataclass(frozen=True)
class Outcome:
    """What one offline run produced."""

    summary: RunSummary
    messages: list[Published]
    truth: list[dict[str, Any]]
    truth_text: str

    def payloads(self, suffix: str) -> list[tuple[str, dict[str, Any]]]:
        """(topic, decoded payload) of the well-formed messages whose topic ends in ``suffix``."""
        out = []
        for message in self.messages:
            if message.topic.endswith(suffix):
                try:
                    out.append((message.topic, json.loads(message.payload)))
                except ValueError:
                    continue
        return out

    def records(self, kind: str) -> list[dict[str, Any]]:
        """The truth records of one type."""
        return [record for record in self.truth if record["type"] == kind]


Simulate = Callable[..., Outcome]
