"""The JSON the API answers with. Times are RFC 3339 in UTC, to the millisecond."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, PlainSerializer, WithJsonSchema

# The registry's id rule (city.registry.Id): anything else cannot name a zone, space,
# district or bin, so it is refused before any look-up.
ID_PATTERN = r"^[A-Za-z0-9_.-]{1,64}$"


def rfc3339(value: datetime) -> str:
    """``2026-11-27T08:30:00.000Z``: UTC, millisecond precision (what the database stores)."""
    return value.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


UtcTime = Annotated[
    datetime,
    PlainSerializer(rfc3339, return_type=str, when_used="json"),
    WithJsonSchema({"type": "string", "format": "date-time"}),
]


class _Response(BaseModel):
    model_config = ConfigDict(frozen=True)


class ZoneOccupancyOut(_Response):
    """Occupancy of one parking zone."""

    zone: str
    name: str
    capacity: int = Field(description="spaces in the registry")
    occupied: int
    free: int
    unknown: int = Field(description="spaces never seen, or not seen for space_stale_after_s")
    occupancy_rate: float | None = Field(
        description="occupied / (capacity - unknown); null when no space's status is known"
    )
    as_of: UtcTime = Field(description="when the snapshot these counts come from was taken")


class SpaceOut(_Response):
    """The latest known status of one parking space."""

    space: str
    zone: str
    occupied: bool | None = Field(description="null if the space never reported")
    since: UtcTime | None = Field(description="when the current status began")
    last_seen: UtcTime | None = Field(description="time of the space's latest report")
    battery_v: float | None
    stale: bool = Field(
        description="true when the status is not current: never reported, or the latest "
        "report is older than space_stale_after_s"
    )


class BinOut(_Response):
    """The latest known state of one waste bin; null for anything never reported."""

    bin: str
    district: str
    fill_pct: float | None
    last_seen: UtcTime | None = Field(description="time of the bin's latest report")
    battery_v: float | None
    temp_c: float | None
    tilted: bool | None


class BrokerHealth(_Response):
    """The API's own connection to the MQTT broker."""

    connected: bool


class DatabaseHealth(_Response):
    """How the live-state refresh from InfluxDB is going."""

    reachable: bool = Field(description="the latest refresh succeeded")
    last_refresh: UtcTime | None = Field(description="when the snapshot served was taken")
    refresh_error: str | None = Field(description="why the latest refresh failed, if it did")


class HealthOut(_Response):
    """Overall health; "degraded" (and HTTP 503) when the broker or the database is down."""

    status: Literal["ok", "degraded"]
    broker: BrokerHealth
    database: DatabaseHealth


class ErrorOut(_Response):
    """An error with a human-readable reason."""

    detail: str
