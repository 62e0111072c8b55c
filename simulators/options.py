"""The simulator's options as one frozen value, and the parsers for their text forms.

The CLI turns its arguments into :class:`SimulationOptions`; end-to-end tests build one
directly. Everything is validated here so the models can trust what they are given.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, Literal

from curbside.city import demo_city_file
from curbside.vocabulary.devices import SENSOR_MODELS, SensorModel

Devices = Literal["parking", "bins", "all"]
# How sensors with a registry ``sensor:`` entry publish (simulators/lorawan.py).
WireFormat = Literal["native", "chirpstack", "tts"]
WIRE_FORMATS: tuple[WireFormat, ...] = ("native", "chirpstack", "tts")
DEVICE_CHOICES: tuple[Devices, ...] = ("parking", "bins", "all")
TruckPolicy = Literal["rounds", "plan"]
TRUCK_POLICIES: tuple[TruckPolicy, ...] = ("rounds", "plan")
# What the fault layer does to single messages; flicker is a sensor fault (simulators/parking.py).
MESSAGE_FAULTS = ("duplicate", "reorder", "drop", "malformed")
FAULT_KINDS = (*MESSAGE_FAULTS, "flicker")
# Sanitation incidents (simulators/incidents.py): skip is a probability, the others bin counts.
INCIDENT_COUNTS = ("overfill", "fire", "silent")
INCIDENT_KINDS = ("skip", *INCIDENT_COUNTS)

_DURATION_PART = re.compile(r"(\d+(?:\.\d+)?)([dhms])")
_UNIT_SECONDS = {"d": 86_400, "h": 3_600, "m": 60, "s": 1}


class OptionError(ValueError):
    """An option's value is not acceptable; the message says which and why."""


@dataclass(frozen=True, slots=True)
class FaultRates:
    """Probabilities of each injected fault (all 0 = no faults).

    ``flicker`` is per status message reporting a free space; the others per message.
    """

    duplicate: float = 0.0
    reorder: float = 0.0
    drop: float = 0.0
    malformed: float = 0.0
    flicker: float = 0.0

    def __post_init__(self) -> None:
        for kind in FAULT_KINDS:
            rate = getattr(self, kind)
            if not 0.0 <= rate <= 1.0:
                raise OptionError(f"faults: {kind} must be a probability in 0..1, got {rate}")

    @property
    def any(self) -> bool:
        """Whether any fault can happen at all."""
        return any(getattr(self, kind) > 0 for kind in FAULT_KINDS)

    @property
    def any_message_fault(self) -> bool:
        """Whether the fault layer has anything to do (flicker happens in the parking model)."""
        return any(getattr(self, kind) > 0 for kind in MESSAGE_FAULTS)

    def as_dict(self) -> dict[str, float]:
        """The rates by fault kind, for the truth file."""
        return {kind: float(getattr(self, kind)) for kind in FAULT_KINDS}


@dataclass(frozen=True, slots=True)
class IncidentSpec:
    """Sanitation incidents: ``skip`` per truck visit, the others numbers of bins (0 = none)."""

    skip: float = 0.0
    overfill: int = 0
    fire: int = 0
    silent: int = 0

    def __post_init__(self) -> None:
        if not 0.0 <= self.skip <= 1.0:
            raise OptionError(f"incidents: skip must be a probability in 0..1, got {self.skip}")
        for kind in INCIDENT_COUNTS:
            count = getattr(self, kind)
            if isinstance(count, bool) or not isinstance(count, int) or count < 0:
                raise OptionError(f"incidents: {kind} must be a whole number >= 0, got {count!r}")

    @property
    def any(self) -> bool:
        """Whether any incident can happen at all."""
        return any(getattr(self, kind) > 0 for kind in INCIDENT_KINDS)

    def as_dict(self) -> dict[str, float | int]:
        """The spec by incident kind, for the truth file."""
        return {"skip": float(self.skip), **{k: getattr(self, k) for k in INCIDENT_COUNTS}}


@dataclass(frozen=True, slots=True)
class SimulationOptions:
    """Everything one simulator run needs to know; see ``python -m simulators --help``."""

    city: Path = field(default_factory=demo_city_file)
    seed: int = 0
    # Simulated start: ``start`` if given, else ``since`` before the wall clock at start-up.
    start: datetime | None = None
    since: timedelta = timedelta(0)
    # Simulated seconds per wall second while catching up; math.inf is "as fast as possible".
    speed: float = 1.0
    duration: timedelta | None = None
    count: int | None = None
    devices: Devices = "all"
    zones: tuple[str, ...] | None = None
    districts: tuple[str, ...] | None = None
    heartbeat: timedelta = timedelta(minutes=10)
    bin_report: timedelta = timedelta(minutes=15)
    faults: FaultRates = field(default_factory=FaultRates)
    # Number each parking sensor's status messages ("seq"); optional in the contract.
    seq: bool = False
    incidents: IncidentSpec = field(default_factory=IncidentSpec)
    # Who empties the bins: trucks on fixed rounds, or trucks following the published plan.
    trucks: TruckPolicy = "rounds"
    # LoRaWAN sensors publish through this network server; only devices of ``model`` run.
    wire_format: WireFormat = "native"
    model: SensorModel | None = None
    decoded_object: bool = False
    truth: Path | None = None
    host: str = "127.0.0.1"
    port: int = 1883
    # Failover addresses (CURBSIDE_MQTT_ADDRESSES) when --host and --port are not given.
    endpoints: tuple[tuple[str, int], ...] = ()
    username: str | None = None
    password: str | None = field(default=None, repr=False)
    client_id: str | None = None
    tls: bool = False
    tls_ca_file: Path | None = None
    log_every_s: float = 10.0

    def __post_init__(self) -> None:
        if self.start is not None and self.start.tzinfo is None:
            raise OptionError("start: give a UTC offset or Z, e.g. 2026-11-27T08:00:00+08:00")
        if self.start is not None and self.since:
            raise OptionError("start and since are alternatives: give one of them")
        if self.since < timedelta(0):
            raise OptionError("since must not be negative")
        if not self.speed > 0:
            raise OptionError(f"speed must be positive, got {self.speed}")
        if self.duration is not None and self.duration < timedelta(0):
            raise OptionError("duration must not be negative")
        if self.count is not None and self.count < 1:
            raise OptionError(f"count must be at least 1, got {self.count}")
        self._check_sensors()
        if self.devices not in DEVICE_CHOICES:
            raise OptionError(f"devices must be one of {', '.join(DEVICE_CHOICES)}")
        if self.trucks not in TRUCK_POLICIES:
            raise OptionError(f"trucks must be one of {', '.join(TRUCK_POLICIES)}")
        for name in ("heartbeat", "bin_report"):
            if getattr(self, name) < timedelta(seconds=1):
                raise OptionError(f"{name} must be at least 1s")
        self._check_broker()
        if self.log_every_s < 0:
            raise OptionError("log_every must not be negative")

    def _check_broker(self) -> None:
        if not 1 <= self.port <= 65535:
            raise OptionError(f"port must be in 1..65535, got {self.port}")
        if (self.username is None) != (self.password is None):
            raise OptionError("username and password go together")
        if self.tls_ca_file is not None and not self.tls:
            raise OptionError("tls_ca_file needs tls")

    def _check_sensors(self) -> None:
        if self.wire_format not in WIRE_FORMATS:
            raise OptionError(f"format must be one of {', '.join(WIRE_FORMATS)}")
        if self.model is not None and self.model not in SENSOR_MODELS:
            raise OptionError(f"model must be one of {', '.join(SENSOR_MODELS)}")

    def traffic_summary(self) -> dict[str, Any]:
        """The options that shape the traffic, as JSON data (no broker details or secrets)."""
        return {
            "devices": self.devices,
            "zones": list(self.zones) if self.zones is not None else None,
            "districts": list(self.districts) if self.districts is not None else None,
            "since_s": int(self.since.total_seconds()),
            "duration_s": _seconds_or_none(self.duration),
            "count": self.count,
            "heartbeat_s": int(self.heartbeat.total_seconds()),
            "bin_report_s": int(self.bin_report.total_seconds()),
            "faults": self.faults.as_dict(),
            "seq": self.seq,
            "format": self.wire_format,
            "model": self.model,
            "decoded_object": self.decoded_object,
        } | (
            ({"incidents": self.incidents.as_dict()} if self.incidents.any else {})
            | ({"trucks": self.trucks} if self.trucks != "rounds" else {})
        )


def _seconds_or_none(value: timedelta | None) -> int | None:
    return None if value is None else int(value.total_seconds())


def parse_duration(text: str) -> timedelta:
    """``90m``, ``24h``, ``1h30m``, ``2d``, ``45s`` or plain seconds (``3600``) -> timedelta."""
    cleaned = text.strip().lower()
    if not cleaned:
        raise OptionError("empty duration")
    try:
        seconds = float(cleaned)
    except ValueError:
        seconds = _parse_unit_duration(cleaned, text)
    if not math.isfinite(seconds) or seconds < 0:
        raise OptionError(f"duration {text!r} must be a finite, non-negative length of time")
    return timedelta(seconds=round(seconds))


def _parse_unit_duration(cleaned: str, original: str) -> float:
    parts = _DURATION_PART.findall(cleaned)
    if not parts or "".join(n + u for n, u in parts) != cleaned:
        raise OptionError(f"duration {original!r}: use e.g. 90m, 24h, 1h30m, 2d or 45s")
    return sum(float(number) * _UNIT_SECONDS[unit] for number, unit in parts)


def parse_speed(text: str) -> float:
    """A positive speed factor, or ``max`` (returned as math.inf)."""
    if text.strip().lower() == "max":
        return math.inf
    try:
        speed = float(text)
    except ValueError:
        raise OptionError(f"speed {text!r}: give a positive number or 'max'") from None
    if not (math.isfinite(speed) and speed > 0):
        raise OptionError(f"speed {text!r}: give a positive number or 'max'")
    return speed


def parse_start(text: str) -> datetime:
    """An ISO 8601 instant with a UTC offset (``Z`` accepted)."""
    cleaned = text.strip()
    if cleaned.endswith(("Z", "z")):
        cleaned = cleaned[:-1] + "+00:00"
    try:
        instant = datetime.fromisoformat(cleaned)
    except ValueError:
        raise OptionError(f"start {text!r} is not an ISO 8601 date and time") from None
    if instant.tzinfo is None:
        raise OptionError(f"start {text!r}: add a UTC offset or Z, e.g. 2026-11-27T08:00:00+08:00")
    return instant


def parse_faults(text: str) -> FaultRates:
    """``KIND=P,...`` such as ``drop=0.01,flicker=0.05``: any of FAULT_KINDS; ``none`` = off."""
    cleaned = text.strip()
    if cleaned.lower() in ("", "none"):
        return FaultRates()
    rates: dict[str, float] = {}
    for item in cleaned.split(","):
        key, sep, value = item.partition("=")
        key = key.strip().lower()
        if not sep or key not in FAULT_KINDS:
            raise OptionError(
                f"faults: {item.strip()!r} is not KIND=PROBABILITY with KIND one of "
                + ", ".join(FAULT_KINDS)
            )
        if key in rates:
            raise OptionError(f"faults: {key} given twice")
        try:
            rates[key] = float(value)
        except ValueError:
            raise OptionError(f"faults: {key}={value.strip()!r} is not a number") from None
    return FaultRates(**rates)


def parse_incidents(text: str) -> IncidentSpec:
    """``skip=0.1,overfill=2,fire=1,silent=1`` (any subset); ``none`` = off."""
    cleaned = text.strip()
    if cleaned.lower() in ("", "none"):
        return IncidentSpec()
    given: dict[str, Any] = {}
    for item in cleaned.split(","):
        key, sep, value = item.partition("=")
        key = key.strip().lower()
        if not sep or key not in INCIDENT_KINDS:
            raise OptionError(
                f"incidents: {item.strip()!r} is not KIND=VALUE with KIND one of "
                + ", ".join(INCIDENT_KINDS)
            )
        if key in given:
            raise OptionError(f"incidents: {key} given twice")
        given[key] = _incident_value(key, value.strip())
    return IncidentSpec(**given)


def _incident_value(key: str, value: str) -> float | int:
    try:
        return float(value) if key == "skip" else int(value)
    except ValueError:
        what = "a probability" if key == "skip" else "a whole number of bins"
        raise OptionError(f"incidents: {key}={value!r} is not {what}") from None


def parse_id_list(text: str, what: str) -> tuple[str, ...]:
    """A comma-separated list of ids such as ``Z01,Z02``."""
    ids = tuple(part.strip() for part in text.split(",") if part.strip())
    if not ids:
        raise OptionError(f"{what}: give at least one id")
    return ids
