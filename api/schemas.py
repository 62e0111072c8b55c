"""The JSON the API answers with. Times are RFC 3339 in UTC, to the millisecond."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, PlainSerializer, WithJsonSchema

from curbside.domain.parking.fees import Fee, yuan
from curbside.domain.parking.occupancy import SpaceState, ZoneOccupancy, is_stale
from curbside.domain.sanitation.bins import BinState
from curbside.vocabulary.names import DisplayName

# The registry's id rule (curbside.city.registry.Id): anything else cannot name a zone, space,
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


class NamesOut(_Response):
    """A registry name in both languages; a language the registry gave none in shows the
    other's (start-up logs which)."""

    zh: str
    en: str

    @classmethod
    def of(cls, name: DisplayName) -> NamesOut:
        """The registry's name as served."""
        return cls(**name.both())


class ZoneOccupancyOut(_Response):
    """Occupancy of one parking zone."""

    zone: str
    name: str = Field(description="both names in one, as before names had languages")
    names: NamesOut = Field(description="the name in zh and en (one stands in for a missing one)")
    capacity: int = Field(description="spaces in the registry")
    occupied: int
    free: int
    unknown: int = Field(description="spaces never seen, or not seen for space_stale_after_s")
    occupancy_rate: float | None = Field(
        description="occupied / (capacity - unknown); null when no space's status is known"
    )
    as_of: UtcTime = Field(description="when the snapshot these counts come from was taken")

    @classmethod
    def from_counts(cls, counts: ZoneOccupancy, name: DisplayName) -> ZoneOccupancyOut:
        """A snapshot's zone counts as served."""
        return cls(
            zone=counts.zone,
            name=str(name),
            names=NamesOut.of(name),
            capacity=counts.capacity,
            occupied=counts.occupied,
            free=counts.free,
            unknown=counts.unknown,
            occupancy_rate=counts.occupancy_rate,
            as_of=counts.as_of,
        )


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

    @classmethod
    def from_state(cls, state: SpaceState, as_of: datetime, stale_after: timedelta) -> SpaceOut:
        """A snapshot's space as served, judged stale as of the snapshot's time."""
        return cls(
            space=state.space,
            zone=state.zone,
            occupied=state.occupied,
            since=state.since,
            last_seen=state.last_seen,
            battery_v=state.battery_v,
            stale=is_stale(state, as_of, stale_after),
        )


class OccupancyBucketOut(_Response):
    """Mean occupancy of a zone over one bucket of time."""

    start: UtcTime
    end: UtcTime = Field(description="the bucket's end; the last bucket may be shorter")
    occupied_mean: float | None = Field(
        description="time-weighted mean number of occupied spaces; null when no sensor of the "
        "zone reported during the bucket (a gap, not 0)"
    )
    occupancy_rate: float | None = Field(description="occupied_mean / capacity; null as above")


class OccupancyHistoryOut(_Response):
    """A zone's mean occupancy per bucket, oldest first."""

    zone: str
    capacity: int = Field(description="spaces in the registry")
    every: str = Field(description="the bucket length asked for, e.g. 15m")
    buckets: list[OccupancyBucketOut]


class BusyHourOut(_Response):
    """One local hour of a day, with its rank by mean occupancy (1 is the busiest)."""

    rank: int
    hour: int = Field(description="local hour of the day, 0-23")
    start: UtcTime
    end: UtcTime
    occupied_mean: float
    occupancy_rate: float | None


class BusiestHoursOut(_Response):
    """The hours of a local day ranked by mean occupancy, busiest first."""

    zone: str
    date: date
    capacity: int
    hours: list[BusyHourOut]


class MessageOut(_Response):
    """A text as a code with parameters (GET /api/v1/messages has every code's text)."""

    code: str = Field(description='e.g. "bin.full"')
    params: dict[str, str | int | float] = Field(
        description="by the code's parameter names; times RFC 3339 UTC, money integer fen"
    )


class FeeItemOut(_Response):
    """One line of a fee's breakdown."""

    band: str
    start: UtcTime
    end: UtcTime
    units: int
    unit_fen: int
    subtotal_fen: int
    description: str = Field(description="English text, kept for clients that read it")
    message: MessageOut | None = Field(
        description="the item as a code with parameters; null on charges recorded before codes"
    )


class FeeOut(_Response):
    """A stay's fee in integer fen, with its breakdown."""

    fen: int
    display: str = Field(description='the amount for people, e.g. "¥12.50"')
    items: list[FeeItemOut]
    cap_deduction_fen: int = Field(description="taken off the items' sum by the tariff's cap")
    grace_applied: bool = Field(description="the stay was within the free grace period")

    @classmethod
    def from_fee(cls, fee: Fee | None) -> FeeOut | None:
        """The engine's fee as served; None stays None (a zone without a tariff)."""
        if fee is None:
            return None
        return cls(
            fen=fee.total_fen,
            display=yuan(fee.total_fen),
            items=[
                FeeItemOut(
                    band=item.band,
                    start=item.start,
                    end=item.end,
                    units=item.units,
                    unit_fen=item.unit_fen,
                    subtotal_fen=item.subtotal_fen,
                    description=item.description,
                    message=None if item.message is None else item.message.document(),
                )
                for item in fee.items
            ],
            cap_deduction_fen=fee.cap_deduction_fen,
            grace_applied=fee.grace_applied,
        )


class SessionOut(_Response):
    """One vehicle's stay in one space."""

    space: str
    zone: str
    start: UtcTime
    end: UtcTime | None = Field(description="null while ongoing")
    last_confirmed: UtcTime = Field(description="the last report that saw the vehicle")
    duration_s: int = Field(description="whole seconds from start to end, or to now")
    fee: FeeOut | None = Field(
        description="for start to end (or now); null when the zone has no tariff"
    )
    flags: list[str] = Field(
        description="ongoing, sensor_silent, messages_lost, start_unknown (docs/sessions.md)"
    )


class ZoneRevenueOut(_Response):
    """The fees of the sessions of one zone that ended on a local day."""

    zone: str
    name: str = Field(description="both names in one, as before names had languages")
    names: NamesOut = Field(description="the name in zh and en (one stands in for a missing one)")
    sessions: int
    flagged_sessions: int = Field(description="sessions with any flag: worth a look")
    revenue_fen: int
    revenue_display: str


class RevenueTotalOut(_Response):
    """The same sums over every zone listed."""

    sessions: int
    flagged_sessions: int
    revenue_fen: int
    revenue_display: str


class RevenueOut(_Response):
    """Revenue of a local day, per zone (registry order) and in total."""

    date: date
    zones: list[ZoneRevenueOut]
    total: RevenueTotalOut


class BinOut(_Response):
    """The latest known state of one waste bin; null for anything never reported."""

    bin: str
    district: str
    fill_pct: float | None
    last_seen: UtcTime | None = Field(description="time of the bin's latest report")
    battery_v: float | None
    temp_c: float | None
    tilted: bool | None

    @classmethod
    def from_state(cls, state: BinState) -> BinOut:
        """A snapshot's bin as served."""
        return cls(
            bin=state.bin,
            district=state.district,
            fill_pct=state.fill_pct,
            last_seen=state.last_seen,
            battery_v=state.battery_v,
            temp_c=state.temp_c,
            tilted=state.tilted,
        )


class BrokerHealth(_Response):
    """The API's own connection to the MQTT broker, which feeds the live state."""

    connected: bool
    following: bool = Field(
        description="subscribed to the sensor topics: the live state follows the stream"
    )
    received: int = Field(description="sensor messages received since the API started")
    rejected: dict[str, int] = Field(
        description="of those, refused by the intake (as ingest refuses them), by reason"
    )


class DatabaseHealth(_Response):
    """How the live state's reads from InfluxDB are going."""

    reachable: bool = Field(description="the latest read or check of the database succeeded")
    last_refresh: UtcTime | None = Field(description="when the snapshot served was taken")
    refresh_error: str | None = Field(description="why the latest read failed, if it did")


class HealthOut(_Response):
    """Overall health; "degraded" (and HTTP 503) when the broker or the database is down."""

    status: Literal["ok", "degraded"]
    broker: BrokerHealth
    database: DatabaseHealth


class ErrorOut(_Response):
    """An error with a human-readable reason."""

    detail: str


class AlertOut(_Response):
    """An alert, as also published under alerts/... on MQTT."""

    id: str = Field(description="stable id, used to acknowledge")
    kind: str = Field(description="overstay, full, fire, ... (docs/api.md)")
    status: str = Field(description="open, acknowledged or resolved")
    domain: str = Field(description="parking or sanitation")
    zone: str | None
    space: str | None
    district: str | None
    bin: str | None
    detail: str = Field(description="English text, kept for clients that read it")
    message: MessageOut | None = Field(
        description="the detail as a code with parameters; null on alerts stored before codes"
    )
    opened_at: UtcTime
    updated_at: UtcTime
    resolved_at: UtcTime | None
    acknowledged_by: str | None
    acknowledged_at: UtcTime | None
    unacknowledged_at: UtcTime | None = Field(
        description="when an acknowledge of it was last undone; null if never"
    )


class AckOut(AlertOut):
    """An alert just acknowledged, and until when that can be undone."""

    undo_until: UtcTime | None = Field(
        description="POST .../unacknowledge is accepted until then (CURBSIDE_API_ACK_UNDO_S "
        "after the acknowledge); null once that has passed"
    )


class AckIn(BaseModel):
    """Optionally, the person acknowledging: the key's name is recorded in any case."""

    model_config = ConfigDict(extra="forbid")

    by: str | None = Field(
        None,
        min_length=1,
        max_length=64,
        description="the person behind a shared key; recorded as '<by> via <key name>'",
    )


class QuoteOut(_Response):
    """What a stay in a zone costs, itemised so that a citizen can check a bill."""

    zone: str
    tariff: str
    tariff_version: date | None = Field(
        description="effective date of the version in force at start; null: the first version"
    )
    start: UtcTime
    end: UtcTime
    duration_s: int
    fee: FeeOut


class TariffOut(_Response):
    """A tariff as configured, and the zones that use it."""

    id: str
    name: str | None
    names: NamesOut | None
    bands: dict[str, NamesOut] = Field(
        description="each band's name for people, by band name, over every version"
    )
    zones: list[str]
    definition: dict[str, Any] = Field(description="the tariff as written in the registry")
    versions: list[dict[str, Any]] = Field(
        default_factory=list,
        description="later versions, each in force for stays beginning on or after its "
        "effective_from (local date)",
    )


class TariffsOut(_Response):
    """The tariffs in force and the workday calendar they are applied with."""

    tariffs: list[TariffOut]
    workday_calendar: dict[str, Any]


class CollectionOut(_Response):
    """One emptying of one bin: as recorded once its district's day is frozen, else derived from
    its fill readings and emptied reports (docs/records.md)."""

    district: str
    bin: str
    ts: UtcTime = Field(description="the report's time if there is one, else the low reading's")
    source: Literal["fill", "report", "both"] = Field(description="how it was seen")
    truck: str | None = Field(description="the truck that reported it, if any")
    before_pct: float | None = Field(description="the level before the drop; null without one")
    after_pct: float | None = Field(description="the level after the drop; null without one")
    recorded: bool = Field(
        description="true: from the record store (the district's day is frozen); "
        "false: derived from the raw readings now, provisional"
    )


class LevelOut(_Response):
    """One fill reading of a bin."""

    ts: UtcTime
    fill_pct: float


class HourLevelOut(_Response):
    """A bin's fill readings in one hour, summed up (the rollup kept past the raw horizon)."""

    hour: UtcTime = Field(description="the hour's start")
    mean_fill_pct: float
    min_fill_pct: float
    max_fill_pct: float
    last_fill_pct: float
    readings: int = Field(description="how many readings the hour had")


class BinLevelsOut(_Response):
    """A bin's fill readings on a local day, in time order; past the raw readings' horizon,
    its hourly rollups."""

    district: str
    bin: str
    date: date
    resolution: Literal["reading", "hour"] = Field(
        description="reading: every raw reading; hour: the day is (partly) past the raw "
        "horizon, so one point per hour (its mean) and the hours in full under hours"
    )
    levels: list[LevelOut]
    hours: list[HourLevelOut] = Field(description="with resolution hour only")


class CorrectionOut(_Response):
    """A bin's verdict recorded after its day was frozen, because later data contradicts it."""

    bin: str
    revision: int = Field(description="1 for the first correction; the frozen verdict is 0")
    needed: bool
    cleared: bool
    late: bool
    reason: str = Field(description="what changed, e.g. 'cleared false -> true'")
    recorded_at: UtcTime


class DistrictClearanceOut(_Response):
    """How a district's bins were cleared on a local day, by its deadline (docs/clearance.md)."""

    district: str
    deadline: str = Field(description="local time, HH:MM")
    needed: int = Field(description="bins that held rubbish at midnight or up to the deadline")
    cleared: int = Field(description="of those, cleared that day, late or not")
    not_cleared: list[str] = Field(description="bin ids")
    late: list[str] = Field(description="bin ids cleared after the deadline (among the cleared)")
    clearance_rate: float | None = Field(description="cleared / needed; null when none needed")
    frozen: bool = Field(
        description="true: the recorded verdicts frozen at day close plus the grace, final; "
        "false: judged from the raw readings now, provisional (docs/records.md)"
    )
    corrections: list[CorrectionOut] = Field(
        description="verdicts recorded after the freeze, by bin then revision; the counts above "
        "stay the frozen ones"
    )


class ClearanceTotalOut(_Response):
    """The same counts over every district listed."""

    needed: int
    cleared: int
    not_cleared: list[str]
    late: list[str]
    clearance_rate: float | None


class ClearanceOut(_Response):
    """Daily clearance (日产日清) of a local day, per district (registry order) and in total."""

    date: date
    complete: bool = Field(description="false while the local day is not over: so far")
    frozen: bool = Field(description="true when every district listed is frozen")
    districts: list[DistrictClearanceOut]
    city: ClearanceTotalOut


class WorkItemOut(_Response):
    """A bin a truck should be sent to, and why."""

    district: str
    bin: str
    reason: Literal["fire", "full", "overflow_soon", "not_cleared"]
    detail: str = Field(description="in English words, for API clients")
    message: MessageOut | None = Field(
        description="the detail as a code with parameters; null on alerts stored before codes"
    )
    fill_pct: float | None = Field(description="the latest reading today, if any")
    lat: float
    lon: float


class RouteOut(_Response):
    """A suggested round from a transfer station over the worklist bins nearest to it."""

    station: str
    stops: list[str] = Field(description="bin ids in visiting order")
    distance_m: float = Field(description="straight-line legs, station to station")


class WorklistOut(_Response):
    """The bins to send trucks to now, most urgent first, and a round per station."""

    as_of: UtcTime
    items: list[WorkItemOut]
    routes: list[RouteOut]


class PlaceOut(_Response):
    """A device or station at its registry coordinates (WGS 84)."""

    id: str
    lat: float
    lon: float


class StationOut(PlaceOut):
    """A transfer station."""

    name: str
    names: NamesOut = Field(description="the name in zh and en (one stands in for a missing one)")


class ZoneMapOut(_Response):
    """A parking zone and where its spaces are."""

    id: str
    name: str
    names: NamesOut = Field(description="the name in zh and en (one stands in for a missing one)")
    tariff: str
    spaces: list[PlaceOut]


class DistrictMapOut(_Response):
    """A sanitation district, its clearance deadline and where its bins are."""

    id: str
    name: str
    names: NamesOut = Field(description="the name in zh and en (one stands in for a missing one)")
    clearance_deadline: str = Field(description="local time, HH:MM")
    bins: list[PlaceOut]


class TariffNamesOut(_Response):
    """A tariff's name and its bands' names, in both languages."""

    id: str
    names: NamesOut
    bands: dict[str, NamesOut]


class CityOut(_Response):
    """The registry's layout: what a map of the city needs, in registry order."""

    name: str = Field(description="both names in one, as before names had languages")
    names: NamesOut = Field(description="the city's name in zh and en")
    timezone: str = Field(description='IANA time zone of "a day", e.g. Asia/Shanghai')
    zones: list[ZoneMapOut]
    districts: list[DistrictMapOut]
    stations: list[StationOut] = Field(description="transfer stations, where rounds start")
    tariffs: list[TariffNamesOut] = Field(description="the zones' tariffs' names, for people")


class LiveChangesOut(_Response):
    """One live-state refresh: every zone's counts, and the spaces and bins that changed."""

    as_of: UtcTime = Field(description="when the snapshot was taken")
    zones: list[ZoneOccupancyOut]
    spaces: list[SpaceOut] = Field(description="spaces whose state or staleness changed")
    bins: list[BinOut] = Field(description="bins whose latest values changed")


class KeyOut(_Response):
    """An API key as listed: never the token, never its hash."""

    id: str = Field(description="the public part of the token, csk_<id>_...")
    name: str
    role: str = Field(description="viewer, parking_operator, dispatcher or admin")
    zones: list[str] | None = Field(description="the zones it may read; null: every zone")
    districts: list[str] | None = Field(
        description="the districts it may read; null: every district"
    )
    created_at: UtcTime


class NewKeyOut(KeyOut):
    """A key just made, with its token: shown this once, stored only as a hash."""

    token: str = Field(description="send as Authorization: Bearer <token>")


class WhoAmIOut(KeyOut):
    """The calling key, and what its role lets it do."""

    permissions: list[str]


class KeyIn(BaseModel):
    """A key to make. Without zones and districts it is city-wide; with either, it sees only
    what is listed (a key for zones only sees no district)."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(pattern=r"^[^\x00-\x1f\x7f]{1,64}$", description="who or what uses it")
    role: Literal["viewer", "parking_operator", "dispatcher", "admin"]
    zones: list[Annotated[str, Field(pattern=ID_PATTERN)]] | None = Field(None, max_length=1000)
    districts: list[Annotated[str, Field(pattern=ID_PATTERN)]] | None = Field(None, max_length=1000)


class ParkingReportRowOut(_Response):
    """One period of one zone, or of the city (``group`` "city")."""

    period: str
    group: str
    sessions: int = Field(description="stays that ended in the period")
    billed_fen: int = Field(description="net of charges and reversals, integer fen")
    adjustments: int = Field(description="reversals recorded (late data)")
    adjustments_fen: int
    mean_stay_s: int | None
    turnover_per_space: float | None
    occupancy_rate: float | None = Field(description="occupied seconds / available seconds")
    flagged_sessions: int = Field(description="stays with a flag (sensor_silent, ...)")
    collected_fen: int = Field(description="payments received on the period's days")
    refunded_fen: int = Field(description="refunds made on the period's days")
    outstanding_fen: int = Field(description="what the stays billed in the period still owe")
    collection_rate: float | None = Field(
        description="(billed - outstanding) / billed: the share of the billing collected"
    )


class ParkingReportOut(_Response):
    """The parking report for the local days start..end."""

    start: date
    end: date
    period: str
    group: str
    rows: list[ParkingReportRowOut]


class ClearanceReportRowOut(_Response):
    """One period of one district, or of the city: the frozen verdicts."""

    period: str
    group: str
    needed: int
    cleared_on_time: int
    late: int
    not_cleared: int
    clearance_rate: float | None
    corrections: int = Field(description="verdicts corrected by late data since they froze")


class SanitationReportOut(_Response):
    """The sanitation report for the local days start..end."""

    start: date
    end: date
    period: str
    group: str
    rows: list[ClearanceReportRowOut]
    collections_by_truck: dict[str, int]
