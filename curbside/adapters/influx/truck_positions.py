"""Trucks' positions as they report progress: measurement ``truck_position`` (docs/schema.md),
tag ``truck`` (a registry id), fields ``lat``, ``lon`` and ``stops_done``, at the report's time.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from curbside.adapters.influx.client import InfluxClient
from curbside.adapters.influx.lineprotocol import encode_line, from_epoch_ms

TRUCK_POSITION = "truck_position"


@dataclass(frozen=True, slots=True)
class TruckPosition:
    """Where a truck was when it reported, and how many stops it had done."""

    truck: str
    ts: datetime
    lat: float
    lon: float
    stops_done: int


def position_line(position: TruckPosition) -> str:
    """The line-protocol line of one position."""
    fields = {"lat": position.lat, "lon": position.lon, "stops_done": position.stops_done}
    return encode_line(TRUCK_POSITION, {"truck": position.truck}, fields, position.ts)


def latest_positions(client: InfluxClient) -> dict[str, TruckPosition]:
    """Each truck's latest stored position (of the last day), by truck."""
    # One selector per series (several would report time 0): the newest row of each truck.
    statement = (
        f"SELECT lat, lon, stops_done FROM {TRUCK_POSITION} "  # noqa: S608 - constants only
        "WHERE time > now() - 1d GROUP BY truck ORDER BY time DESC LIMIT 1"
    )
    positions: dict[str, TruckPosition] = {}
    for series in client.query(statement):
        truck = series.tags.get("truck")
        if truck is None:
            continue
        for row in series.rows():
            positions[truck] = TruckPosition(
                truck,
                from_epoch_ms(int(row["time"])),
                float(row["lat"]),
                float(row["lon"]),
                int(row["stops_done"]),
            )
    return positions
