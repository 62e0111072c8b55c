"""What the traffic models produce: true happenings and the reports devices make of them.

Each event carries its simulated instant ``t``. Vehicle movements and sensor flickers are
ground truth only; the reports become MQTT messages (and, for fill and emptying, truth
records too).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from simulators.timestamps import Instant

StatusReason = Literal["initial", "change", "heartbeat", "flicker"]


@dataclass(frozen=True, slots=True)
class VehicleMovement:
    """A car really arrived at (``arrived``) or left a space; never published as such."""

    t: Instant
    zone: str
    space: str
    arrived: bool


@dataclass(frozen=True, slots=True)
class SpaceReport:
    """A parking sensor's status message; ``seq`` is the sensor's count of its messages."""

    t: Instant
    zone: str
    space: str
    occupied: bool
    battery_v: float
    rssi_dbm: int
    reason: StatusReason
    seq: int = 0


@dataclass(frozen=True, slots=True)
class SensorFlicker:
    """A car passed over a free space's sensor: it said occupied from ``t`` to ``until``.

    Ground truth only; the sensor's two status messages are ordinary space reports.
    """

    t: Instant
    zone: str
    space: str
    until: Instant


@dataclass(frozen=True, slots=True)
class FillReport:
    """A bin sensor's fill message: ``fill_pct`` or ``distance_cm``, whichever the model sends.

    ``true_pct`` is the real fill; ``reported_pct`` is the fill the published value stands
    for (the measurement with its noise, converted back for distance sensors).
    """

    t: Instant
    district: str
    bin: str
    true_pct: float
    reported_pct: float
    fill_pct: float | None
    distance_cm: float | None
    battery_v: float
    temp_c: float
    tilted: bool


@dataclass(frozen=True, slots=True)
class EmptyingReport:
    """A truck emptied a bin and says so on the bin's ``emptied`` topic; ``true_pct`` is how
    full the bin really was at that moment (truth only, never published)."""

    t: Instant
    district: str
    bin: str
    truck: str
    true_pct: float | None = None


@dataclass(frozen=True, slots=True)
class SkippedVisit:
    """A truck passed a bin without emptying it (a ``skip`` incident); ground truth only."""

    t: Instant
    district: str
    bin: str
    truck: str


@dataclass(frozen=True, slots=True)
class TruckProgress:
    """A truck following a plan reports where it is and the stops of its route done so far
    (ids, in order) on ``dispatch/{truck}/progress``."""

    t: Instant
    truck: str
    lat: float
    lon: float
    done: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class RouteTaken:
    """A truck took a newly published route: its stop ids in order (truth only)."""

    t: Instant
    truck: str
    planned_at: str
    stops: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Unloaded:
    """A truck unloaded ``load_l`` loose litres at a transfer station (truth only)."""

    t: Instant
    truck: str
    station: str
    load_l: int


Event = (
    VehicleMovement
    | SensorFlicker
    | SpaceReport
    | FillReport
    | EmptyingReport
    | SkippedVisit
    | TruckProgress
    | RouteTaken
    | Unloaded
)
