"""The city registry file: its schema, its validation, and look-ups by id.

The services and the simulators read the same file, so a space or bin exists for one exactly
when it exists for the other. Unknown keys are errors (people write this file); every id is
checked for uniqueness and for characters that are safe in MQTT topics and InfluxDB tags.
"""

from __future__ import annotations

import json
import logging
from datetime import datetime, time
from pathlib import Path
from typing import Annotated, Self
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml
from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, ValidationError, model_validator

from curbside.vocabulary.cases import CasePolicy
from curbside.vocabulary.devices import MODEL_DOMAIN, DeviceDirectory, SensorBinding, SensorModel
from curbside.vocabulary.names import DisplayName, Named
from curbside.vocabulary.tariff import DatedTariff, Tariff, TariffInForce, version_in_force
from curbside.vocabulary.workdays import WorkdayCalendar

_log = logging.getLogger(__name__)

Id = Annotated[str, Field(pattern=r"^[A-Za-z0-9_.-]{1,64}$")]
Latitude = Annotated[float, Field(ge=-90, le=90)]
Longitude = Annotated[float, Field(ge=-180, le=180)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


DevEui = Annotated[str, Field(pattern=r"^[0-9A-Fa-f]{16}$", description="16 hex digits")]


class Sensor(_Strict):
    """The LoRaWAN sensor serving a space or bin; swapping a sensor is editing these two lines."""

    dev_eui: DevEui
    model: SensorModel


class Space(_Strict):
    """One on-street parking space with its sensor."""

    id: Id
    lat: Latitude
    lon: Longitude
    sensor: Sensor | None = Field(None, description="LoRaWAN sensor, if it reports through one")


class Zone(_Strict):
    """A parking zone: spaces on one road section that share a tariff."""

    id: Id
    name: Named
    tariff: Id
    spaces: list[Space] = Field(min_length=1)
    max_stay_minutes: int | None = Field(
        None, gt=0, le=10_080, description="longer stays raise an overstay alert"
    )


class Bin(_Strict):
    """A waste bin with a fill-level sensor mounted in its lid."""

    id: Id
    capacity_l: int = Field(gt=0, le=100_000)
    depth_cm: float = Field(gt=0, le=1_000, description="sensor-to-bottom distance when empty")
    full_distance_cm: float = Field(
        0.0, ge=0, lt=1_000, description="sensor-to-rubbish distance when the bin counts as full"
    )
    lat: Latitude
    lon: Longitude
    sensor: Sensor | None = Field(None, description="LoRaWAN sensor, if it reports through one")

    @model_validator(mode="after")
    def _check_geometry(self) -> Self:
        if self.full_distance_cm >= self.depth_cm:
            raise ValueError(
                f"bin {self.id}: full_distance_cm ({self.full_distance_cm:g}) must be less "
                f"than depth_cm ({self.depth_cm:g})"
            )
        return self


class District(_Strict):
    """A sanitation district: its bins must be cleared each day by its deadline."""

    id: Id
    name: Named
    clearance_deadline: time
    bins: list[Bin] = Field(min_length=1)


class TransferStation(_Strict):
    """Where trucks start their rounds and tip what they collected."""

    id: Id
    name: Named
    lat: Latitude
    lon: Longitude


class Truck(_Strict):
    """A collection truck, based at a transfer station.

    The defaults describe the demo's small compactor (a 6 m³ body packing loose rubbish about
    2.5 to 1) on one day shift; a real fleet states its own.
    """

    id: Id
    station: Id
    body_l: int = Field(6_000, gt=0, le=100_000, description="body volume, litres")
    compaction_ratio: float = Field(
        2.5, ge=1, le=10, description="litres of loose rubbish per litre of body"
    )
    shift_start: time = time(6, 0)
    shift_end: time = time(20, 0)

    @property
    def capacity_loose_l(self) -> int:
        """How much loose rubbish (bin litres) one trip can take."""
        return int(self.body_l * self.compaction_ratio)

    @model_validator(mode="after")
    def _check_shift(self) -> Self:
        if self.shift_end <= self.shift_start:
            raise ValueError(f"truck {self.id}: shift_end must be after shift_start")
        return self


class City(_Strict):
    """The whole registry. Use :func:`load_city` to read one from a file."""

    name: Named = DisplayName(zh="示范县", en="Curbside demo county")
    timezone: str = "Asia/Shanghai"
    tariffs: dict[Id, Tariff] = Field(default_factory=dict)
    tariff_versions: dict[Id, list[DatedTariff]] = Field(
        default_factory=dict,
        description="later versions of a tariff, each in force from its effective_from date",
    )
    workday_calendar: WorkdayCalendar = Field(default_factory=WorkdayCalendar)
    cases: CasePolicy = Field(
        default_factory=CasePolicy,
        description="which alert kinds open a case, their time limits, the working hours",
    )
    parking_zones: list[Zone] = Field(default_factory=list)
    sanitation_districts: list[District] = Field(default_factory=list)
    transfer_stations: list[TransferStation] = Field(default_factory=list)
    trucks: list[Truck] = Field(default_factory=list)

    _zones: dict[str, Zone] = PrivateAttr(default_factory=dict)
    _districts: dict[str, District] = PrivateAttr(default_factory=dict)
    _spaces: dict[tuple[str, str], Space] = PrivateAttr(default_factory=dict)
    _bins: dict[tuple[str, str], Bin] = PrivateAttr(default_factory=dict)
    _sensors: dict[str, SensorBinding] = PrivateAttr(default_factory=dict)

    @model_validator(mode="after")
    def _check_references(self) -> Self:
        try:
            ZoneInfo(self.timezone)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"timezone: unknown time zone {self.timezone!r}") from exc
        _unique("parking zone", [z.id for z in self.parking_zones])
        _unique("space", [s.id for z in self.parking_zones for s in z.spaces])
        _unique("sanitation district", [d.id for d in self.sanitation_districts])
        _unique("bin", [b.id for d in self.sanitation_districts for b in d.bins])
        _unique("transfer station", [t.id for t in self.transfer_stations])
        _unique("truck", [t.id for t in self.trucks])
        _unique("sensor dev_eui", [b.dev_eui for b in _bindings(self)])
        for binding in _bindings(self):
            if MODEL_DOMAIN[binding.model] != binding.domain:
                raise ValueError(
                    f"{binding.group}/{binding.device}: a {binding.model} is a "
                    f"{MODEL_DOMAIN[binding.model]} sensor, not a {binding.domain} one"
                )
        # A registry without a ``tariffs:`` key predates fees (and tests build small ones);
        # once the key is there, every zone must name a tariff it defines.
        if "tariffs" in self.model_fields_set:
            for zone in self.parking_zones:
                if zone.tariff not in self.tariffs:
                    raise ValueError(f"parking zone {zone.id}: unknown tariff {zone.tariff!r}")
        for tariff_id, versions in self.tariff_versions.items():
            if tariff_id not in self.tariffs:
                raise ValueError(f"tariff_versions: unknown tariff {tariff_id!r}")
            _unique(
                f"tariff {tariff_id} version effective_from",
                [v.effective_from.isoformat() for v in versions],
            )
        stations = {t.id for t in self.transfer_stations}
        for truck in self.trucks:
            if truck.station not in stations:
                raise ValueError(f"truck {truck.id}: unknown transfer station {truck.station!r}")
        return self

    def model_post_init(self, context: object, /) -> None:
        # Every request names a zone or district: a dict, not a scan of 1,000 zones.
        self._zones = {z.id: z for z in self.parking_zones}
        self._districts = {d.id: d for d in self.sanitation_districts}
        self._spaces = {(z.id, s.id): s for z in self.parking_zones for s in z.spaces}
        self._bins = {(d.id, b.id): b for d in self.sanitation_districts for b in d.bins}
        self._sensors = {b.dev_eui: b for b in _bindings(self)}

    @property
    def tz(self) -> ZoneInfo:
        """The city's local time zone: what "a day" means."""
        return ZoneInfo(self.timezone)

    def space(self, zone: str, space: str) -> Space | None:
        """The space ``space`` of zone ``zone``, or None if the registry has no such space."""
        # The private dict itself: pydantic's attribute hook costs a microsecond a call, and
        # ingest asks once per message (docs/performance.md).
        spaces: dict[tuple[str, str], Space] = self.__pydantic_private__["_spaces"]  # type: ignore[index]
        return spaces.get((zone, space))

    def bin(self, district: str, bin_id: str) -> Bin | None:
        """The bin ``bin_id`` of district ``district``, or None if the registry has no such bin."""
        bins: dict[tuple[str, str], Bin] = self.__pydantic_private__["_bins"]  # type: ignore[index]
        return bins.get((district, bin_id))

    @property
    def sensors(self) -> DeviceDirectory:
        """Every LoRaWAN sensor in the registry by DevEUI (upper-case hex)."""
        return self._sensors

    def zone(self, zone_id: str) -> Zone | None:
        """The parking zone with this id, or None."""
        return self._zones.get(zone_id)

    def tariff_for_zone(self, zone_id: str) -> Tariff:
        """The tariff of a parking zone as first written; KeyError naming what is missing."""
        zone = self.zone(zone_id)
        if zone is None:
            raise KeyError(f"no parking zone {zone_id!r}")
        tariff = self.tariffs.get(zone.tariff)
        if tariff is None:
            raise KeyError(f"parking zone {zone_id}: the registry has no tariff {zone.tariff!r}")
        return tariff

    def tariff_in_force(self, zone_id: str, at: datetime) -> TariffInForce:
        """The version of the zone's tariff in force on the local date of ``at`` (a stay's
        start); KeyError naming what is missing."""
        base = self.tariff_for_zone(zone_id)
        tariff_id = self._zones[zone_id].tariff
        day = at.astimezone(self.tz).date()
        return version_in_force(tariff_id, base, self.tariff_versions.get(tariff_id, []), day)

    def tariff_names(self, tariff_id: str) -> tuple[DisplayName, dict[str, DisplayName]]:
        """A tariff's name for people (its id when it has none) and its bands' names, over
        every version (a band's own name when it has no title; the latest title wins)."""
        tariff = self.tariffs.get(tariff_id)
        if tariff is None:  # a registry from before fees: zones name tariffs it lacks
            return DisplayName(plain=tariff_id), {}
        versions = sorted(self.tariff_versions.get(tariff_id, []), key=lambda v: v.effective_from)
        bands: dict[str, DisplayName] = {}
        for band in [b for t in (tariff, *versions) for b in t.bands]:
            bands[band.name] = band.title or bands.get(band.name) or DisplayName(plain=band.name)
        return tariff.name or DisplayName(plain=tariff_id), bands

    def untranslated_names(self) -> list[str]:
        """Where a name is missing in a language (``parking_zones[Z01].name: no en``): that
        language shows the other name, or the plain one."""
        named: list[tuple[str, DisplayName | None]] = [
            ("name", self.name),
            *((f"tariffs[{i}].name", t.name) for i, t in self.tariffs.items()),
            *((f"parking_zones[{z.id}].name", z.name) for z in self.parking_zones),
            *((f"sanitation_districts[{d.id}].name", d.name) for d in self.sanitation_districts),
            *((f"transfer_stations[{t.id}].name", t.name) for t in self.transfer_stations),
        ]
        return [
            f"{where}: no {' or '.join(name.missing())}"
            for where, name in named
            if name is not None and name.missing()
        ]

    def district(self, district_id: str) -> District | None:
        """The sanitation district with this id, or None."""
        return self._districts.get(district_id)

    @property
    def space_count(self) -> int:
        """How many parking spaces the city has."""
        return len(self._spaces)

    @property
    def bin_count(self) -> int:
        """How many bins the city has."""
        return len(self._bins)


class CityFileError(Exception):
    """The city file could not be read or is not a valid registry; the message says where."""


def _bindings(city: City) -> list[SensorBinding]:
    spaces = [
        SensorBinding(s.sensor.dev_eui.upper(), s.sensor.model, "parking", z.id, s.id)
        for z in city.parking_zones
        for s in z.spaces
        if s.sensor is not None
    ]
    bins = [
        SensorBinding(b.sensor.dev_eui.upper(), b.sensor.model, "sanitation", d.id, b.id)
        for d in city.sanitation_districts
        for b in d.bins
        if b.sensor is not None
    ]
    return spaces + bins


def _unique(what: str, ids: list[str]) -> None:
    seen: set[str] = set()
    for item in ids:
        if item in seen:
            raise ValueError(f"{what} id {item!r} appears more than once")
        seen.add(item)


def parse_city(data: object, source: str = "<city>") -> City:
    """Validate already-parsed registry data; errors name the file and the bad entry."""
    try:
        return City.model_validate(data)
    except ValidationError as exc:
        raise CityFileError(_describe(exc, source)) from exc


def load_city(path: str | Path) -> City:
    """Read and validate a city registry file (YAML or JSON)."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise CityFileError(f"{path}: cannot read the city file: {exc.strerror}") from exc
    if path.suffix == ".json":
        # JSON is YAML too, but the JSON parser reads a 100,000-device registry in well under a
        # second where even libyaml takes a quarter of a minute.
        try:
            data = json.loads(text)
        except ValueError as exc:
            raise CityFileError(f"{path}: not valid JSON: {exc}") from exc
        return _reported(parse_city(data, str(path)), path)
    # The C loader when libyaml is there: the demo registry parses many times faster.
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    try:
        data = yaml.load(text, Loader=loader)  # noqa: S506 - a safe loader either way
    except yaml.YAMLError as exc:
        raise CityFileError(f"{path}: not valid YAML: {exc}") from exc
    return _reported(parse_city(data, str(path)), path)


def _reported(city: City, path: Path) -> City:
    """The city, after saying which names a language lacks (start-up's one look at them)."""
    missing = city.untranslated_names()
    if missing:
        _log.warning(
            "%s: %d name(s) lack a language, which shows the other name instead: %s",
            path,
            len(missing),
            "; ".join(missing[:5]) + ("; ..." if len(missing) > 5 else ""),
        )
    return city


def _describe(exc: ValidationError, source: str) -> str:
    lines = [f"{source}: invalid city registry ({exc.error_count()} problem(s)):"]
    for err in exc.errors():
        where = ".".join(str(part) for part in err["loc"]) or "(top level)"
        lines.append(f"  {where}: {err['msg']}")
    return "\n".join(lines)
