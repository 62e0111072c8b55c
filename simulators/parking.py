"""Cars coming and going at one parking space, and what its sensor says about them.

Arrivals at a free space follow a non-homogeneous Poisson process whose rate follows the
local time of day (:func:`simulators.profiles.parking_demand`), scaled by the zone's tariff
(main roads are busier) and by how popular this particular space is. A car stays for a
lognormal time: median 50 minutes, a few stay only minutes, some several hours.

The sensor publishes the initial status at the start, every change at once, and a heartbeat
every ``heartbeat_s`` at a phase of its own, numbering its messages (``seq``). With
``plan.flicker`` it also sees cars pass over it while the space is free: after a report of
a free space, with that probability, it says occupied and then free again 5-40 s later,
between that report and the next, and at least a minute clear of any real change.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterator

from curbside.city.registry import Space, Zone
from simulators.events import (
    Event,
    SensorFlicker,
    SpaceReport,
    StatusReason,
    VehicleMovement,
)
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
# A car driving over the sensor, or pausing on it while manoeuvring.
FLICKER_S = (5, 40)
# Flickers keep this far from real changes (and from each other), so that a 60 s debounce
# can tell a passing car from a parked one.
FLICKER_CLEARANCE_S = 60
# Sensors count their messages in 16 bits.
SEQ_WRAP = 65_536


class ParkingSpaceModel:
    """One space: its true occupancy over time and its sensor's reports."""

    def __init__(self, zone: Zone, space: Space, plan: TrafficPlan) -> None:
        self.zone = zone.id
        self.space = space.id
        self._plan = plan
        # Separate streams: the cars do not change when sensor options (heartbeat) change.
        self._cars = plan.rng("cars", zone.id, space.id)
        self._sensor = plan.rng("space-sensor", zone.id, space.id)
        # Flickers draw from streams of their own, so they leave every other message as it was.
        self._flicker_rng = plan.rng("flicker", zone.id, space.id)
        self._flicker_radio = plan.rng("flicker-radio", zone.id, space.id)
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

    def _report(self, t: Instant, occupied: bool, reason: StatusReason, seq: int) -> SpaceReport:
        radio = self._flicker_radio if reason == "flicker" else self._sensor
        return SpaceReport(
            t=t,
            zone=self.zone,
            space=self.space,
            occupied=occupied,
            battery_v=self._battery.voltage(t),
            rssi_dbm=self._radio.rssi(radio),
            reason=reason,
            seq=seq % SEQ_WRAP,
        )

    def _flicker(
        self, reported: Instant, settled: Instant, heartbeat: Instant, arrival: Instant
    ) -> tuple[Instant, Instant] | None:
        """Whether a car passes over the free sensor after its report at ``reported``, and if
        so when it comes and goes: before the next heartbeat, clear of ``settled`` (the last
        change or flicker) and of the next ``arrival``, and over by the end of the run."""
        earliest = max(reported + 1, settled + FLICKER_CLEARANCE_S)
        latest = min(heartbeat - 1, arrival - FLICKER_CLEARANCE_S)
        if self._plan.end is not None:
            latest = min(latest, self._plan.end)
        # The same three draws every time, so a different rate does not move the others.
        passes = self._flicker_rng.random() < self._plan.flicker
        where = self._flicker_rng.random()
        length = self._flicker_rng.randint(*FLICKER_S)
        room = latest - length - earliest
        if not passes or room < 0:
            return None
        on = earliest + math.floor(where * (room + 1))
        return on, on + length

    def events(self) -> Iterator[Event]:
        """The space's movements and reports from the start on, in time order (endless)."""
        seq = itertools.count()
        occupied = self.initially_occupied
        reported = self._plan.start
        yield self._report(reported, occupied, "initial", next(seq))
        settled = reported  # the last real change, flicker or the start: flickers keep clear
        change = self._first_change
        heartbeat = self._plan.start + self._phase
        while True:
            if not occupied and self._plan.flicker > 0:
                window = self._flicker(reported, settled, heartbeat, change)
                if window is not None:
                    on, off = window
                    yield SensorFlicker(on, self.zone, self.space, until=off)
                    yield self._report(on, True, "flicker", next(seq))
                    yield self._report(off, False, "flicker", next(seq))
                    settled = off
            if heartbeat < change:
                yield self._report(heartbeat, occupied, "heartbeat", next(seq))
                reported = heartbeat
                heartbeat += self._plan.heartbeat_s
                continue
            if heartbeat == change:
                heartbeat += self._plan.heartbeat_s  # the change report stands in for it
            occupied = not occupied
            yield VehicleMovement(change, self.zone, self.space, arrived=occupied)
            yield self._report(change, occupied, "change", next(seq))
            reported = settled = change
            change = change + self.stay() if occupied else self.next_arrival(change)
