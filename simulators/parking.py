"""Cars coming and going at one parking space, and what its sensor says about them.

Arrivals at a free space follow a non-homogeneous Poisson process whose rate follows the
local time of day (:func:`simulators.profiles.parking_demand`), scaled by the zone's tariff
(main roads are busier) and by how popular this particular space is. A car stays for a
lognormal time: median 50 minutes, a few stay only minutes, some several hours.

The sensor publishes the initial status at the start, every change at once, and a heartbeat
every ``heartbeat_s`` at a phase of its own.
"""

from __future__ import annotations

import math
from collections.abc import Iterator

from city.registry import Space, Zone
from simulators.events import Event, SpaceReport, StatusReason, VehicleMovement
from simulators.plan import TrafficPlan
from simulators.profiles import PARKING_DEMAND_MAX, parking_demand
from simulators.sensor_health import Battery, Radio
from simulators.timestamps import Instant, local_hour

# Arrivals per hour at an average free main-road space at the busiest time of day.
PEAK_ARRIVALS_PER_HOUR = 1.6
TARIFF_DEMAND = {"main-road": 1.0, "secondary": 0.55}
OTHER_TARIFF_DEMAND = 0.75
STAY_MEDIAN_S = 50 * 60
STAY_SIGMA = 1.0
MIN_STAY_S = 60
MAX_STAY_S = 12 * 3600


class ParkingSpaceModel:
    """One space: its true occupancy over time and its sensor's reports."""

    def __init__(self, zone: Zone, space: Space, plan: TrafficPlan) -> None:
        self.zone = zone.id
        self.space = space.id
        self._plan = plan
        # Separate streams: the cars do not change when sensor options (heartbeat) change.
        self._cars = plan.rng("cars", zone.id, space.id)
        self._sensor = plan.rng("space-sensor", zone.id, space.id)
        popularity = self._cars.lognormvariate(0.0, 0.3)
        tariff = TARIFF_DEMAND.get(zone.tariff, OTHER_TARIFF_DEMAND)
        self._peak_per_s = PEAK_ARRIVALS_PER_HOUR * tariff * popularity / 3600
        self._battery = Battery.draw(self._sensor, plan.start)
        self._radio = Radio.draw(self._sensor)
        self._phase = self._sensor.randint(1, plan.heartbeat_s)
        self.initially_occupied, self._first_change = self._initial_state()

    def arrival_rate(self, t: Instant) -> float:
        """Expected arrivals per second at ``t`` while the space is free."""
        return self._peak_per_s * parking_demand(local_hour(t, self._plan.tz))

    def next_arrival(self, after: Instant) -> Instant:
        """When the next car arrives at the space, free since ``after`` (thinning)."""
        ceiling = self._peak_per_s * PARKING_DEMAND_MAX
        t = float(after)
        while True:
            t += self._cars.expovariate(ceiling)
            candidate = max(after + 1, math.ceil(t))
            if self._cars.random() * ceiling < self.arrival_rate(candidate):
                return candidate

    def stay(self) -> int:
        """How many seconds a newly arrived car stays."""
        seconds = self._cars.lognormvariate(math.log(STAY_MEDIAN_S), STAY_SIGMA)
        return min(MAX_STAY_S, max(MIN_STAY_S, round(seconds)))

    def _initial_state(self) -> tuple[bool, Instant]:
        start = self._plan.start
        # The stationary occupancy of an on/off process with the current arrival rate.
        mean_stay = STAY_MEDIAN_S * math.exp(STAY_SIGMA**2 / 2)
        load = self.arrival_rate(start) * mean_stay
        if self._cars.random() >= load / (1 + load):
            return False, self.next_arrival(start)
        # A car seen at a random moment is length-biased: for a lognormal stay that is
        # again lognormal with mu + sigma^2; it has used up a uniform share of its stay.
        biased = self._cars.lognormvariate(math.log(STAY_MEDIAN_S) + STAY_SIGMA**2, STAY_SIGMA)
        left = min(MAX_STAY_S, biased) * self._cars.random()
        return True, start + max(1, round(left))

    def _report(self, t: Instant, occupied: bool, reason: StatusReason) -> SpaceReport:
        return SpaceReport(
            t=t,
            zone=self.zone,
            space=self.space,
            occupied=occupied,
            battery_v=self._battery.voltage(t),
            rssi_dbm=self._radio.rssi(self._sensor),
            reason=reason,
        )

    def events(self) -> Iterator[Event]:
        """The space's movements and reports from the start on, in time order (endless)."""
        occupied = self.initially_occupied
        yield self._report(self._plan.start, occupied, "initial")
        change = self._first_change
        heartbeat = self._plan.start + self._phase
        while True:
            if heartbeat < change:
                yield self._report(heartbeat, occupied, "heartbeat")
                heartbeat += self._plan.heartbeat_s
                continue
            if heartbeat == change:
                heartbeat += self._plan.heartbeat_s  # the change report stands in for it
            occupied = not occupied
            yield VehicleMovement(change, self.zone, self.space, arrived=occupied)
            yield self._report(change, occupied, "change")
            change = change + self.stay() if occupied else self.next_arrival(change)
