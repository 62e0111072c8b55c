"""Readings: one fact a device reported, already decoded from its wire format.

A reading's ``ts`` is ``None`` when the device sent no timestamp; admission fills it in with
the receive time. Everything here is plain data with no behaviour beyond construction.
Fields after ``seq``/``tilted`` come from LoRaWAN sensors (docs/hardware.md); the native
contract leaves them ``None``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from curbside.vocabulary.devices import Domain


@dataclass(frozen=True, slots=True)
class SpaceStatus:
    """A parking space sensor's report of whether a vehicle stands over it."""

    zone: str
    space: str
    occupied: bool
    ts: datetime | None = None
    battery_v: float | None = None
    rssi_dbm: float | None = None
    # The sensor's message counter (optional): tells a lost message from a repeated one.
    seq: int | None = None
    battery_pct: float | None = None
    snr_db: float | None = None
    temp_c: float | None = None
    # How long the space was in its previous state, as the sensor counted it (Nwave).
    previous_state_min: int | None = None
    # The sensor's own hardware health code, 0 = healthy (Nwave heartbeat).
    hw_health: int | None = None


@dataclass(frozen=True, slots=True)
class BinLevel:
    """A bin sensor's fill report: a fill percentage, or a lid-to-rubbish distance."""

    district: str
    bin: str
    fill_pct: float | None = None
    distance_cm: float | None = None
    ts: datetime | None = None
    battery_v: float | None = None
    temp_c: float | None = None
    tilted: bool | None = None
    battery_pct: float | None = None
    rssi_dbm: float | None = None
    snr_db: float | None = None
    # The sensor's own threshold alarms (Milesight EM400-UDL), as configured on the device.
    distance_alarm: bool | None = None
    temp_alarm: bool | None = None


@dataclass(frozen=True, slots=True)
class BinEmptied:
    """An explicit report that a bin was emptied (truck or lid sensor)."""

    district: str
    bin: str
    ts: datetime | None = None
    truck: str | None = None


@dataclass(frozen=True, slots=True)
class SensorBattery:
    """A network server's battery report for a sensor (LoRaWAN DevStatusAns), outside any frame.

    ``battery_pct`` is None when the sensor is on external power or cannot measure it.
    """

    domain: Domain
    group: str
    device: str
    battery_pct: float | None
    external_power: bool
    ts: datetime | None = None


Reading = SpaceStatus | BinLevel | BinEmptied | SensorBattery
