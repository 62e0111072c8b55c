"""A sensor's battery voltage and radio signal strength, as it reports them."""

from __future__ import annotations

import random
from dataclasses import dataclass

from simulators.timestamps import Instant

BATTERY_FLOOR_V = 3.0  # the sensor browns out below this; it never reports less
RSSI_MIN_DBM = -110
RSSI_MAX_DBM = -70


@dataclass(frozen=True, slots=True)
class Battery:
    """A lithium cell draining slowly and steadily from about 3.6 V."""

    start_v: float
    drain_v_per_day: float
    since: Instant

    @classmethod
    def draw(cls, rng: random.Random, since: Instant) -> Battery:
        """A battery with a plausible charge and drain for a sensor first seen at ``since``."""
        return cls(rng.uniform(3.55, 3.66), rng.uniform(0.001, 0.004), since)

    def voltage(self, t: Instant) -> float:
        """The voltage the sensor reports at ``t``, to 10 mV."""
        drained = self.drain_v_per_day * max(0, t - self.since) / 86_400
        return round(max(BATTERY_FLOOR_V, self.start_v - drained), 2)


@dataclass(frozen=True, slots=True)
class Radio:
    """A sensor's link to its gateway: a fixed mean signal that fades a little each message."""

    mean_dbm: float

    @classmethod
    def draw(cls, rng: random.Random) -> Radio:
        """A link somewhere between poor and good."""
        return cls(rng.uniform(RSSI_MIN_DBM + 6, RSSI_MAX_DBM - 6))

    def rssi(self, rng: random.Random) -> int:
        """One message's received signal strength, within -110..-70 dBm."""
        value = round(self.mean_dbm + rng.gauss(0.0, 2.5))
        return min(RSSI_MAX_DBM, max(RSSI_MIN_DBM, value))
