"""How full one waste bin is over time, and what its lid sensor reports.

A bin fills at a rate set by where it stands: a base rate for the bin, times its district's
busyness, times a factor for the day, times the time-of-day profile
(:func:`simulators.profiles.waste_generation`). A truck's visit
(:mod:`simulators.rounds`) leaves 0-3 % behind. The sensor reports every ``bin_report_s``
(jittered, at a phase of its own) and a few seconds after being emptied, with +-1 % noise.
About a third of the bins have ultrasonic sensors that report the lid-to-rubbish distance.
Incidents (:mod:`simulators.incidents`) may skip visits, speed filling up, set the bin on
fire or silence its sensor.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date

from curbside.city.registry import Bin, District
from simulators.events import EmptyingReport, Event, FillReport, SkippedVisit
from simulators.incidents import (
    FIRE_TEMP_C,
    NO_INCIDENTS,
    OVERFILL_FACTOR,
    OVERFILL_MIN_PCT_PER_HOUR,
    BinIncidents,
)
from simulators.plan import TrafficPlan
from simulators.profiles import air_temperature, waste_generation
from simulators.rounds import CollectionRounds, Visit
from simulators.sensor_health import Battery
from simulators.timestamps import Instant, local_date, local_hour

BASE_FILL_PCT_PER_HOUR = 7.0  # an average bin in an average district at the busiest hour
ULTRASONIC_SHARE = 1 / 3
NOISE_PCT = 1.0
RESIDUAL_PCT = (0.0, 3.0)  # what a truck leaves behind
REPORT_AFTER_EMPTYING_S = (5, 30)
TILT_CHANCE = 0.0005  # per report; a tilted bin stays tilted until a truck rights it
STEP_S = 900  # integration step for the fill rate
LOOKBACK_S = 2 * 86_400  # how far back to look for the last emptying before the start
_KEPT_DAY_FACTORS = 8


def district_busyness(plan: TrafficPlan, district: str) -> float:
    """How much faster than average the district's bins fill (0.7-1.5)."""
    return plan.rng("district", district).uniform(0.7, 1.5)


def clamp_pct(value: float) -> float:
    """``value`` limited to 0..100."""
    return min(100.0, max(0.0, value))


def distance_for(fill_pct: float, depth_cm: float, full_cm: float = 0.0) -> float:
    """The sensor-to-rubbish distance an ultrasonic sensor measures at ``fill_pct``, to 1 mm.

    ``depth_cm`` is what it reads over the empty bin, ``full_cm`` what it reads when full.
    """
    return round(full_cm + (depth_cm - full_cm) * (1 - fill_pct / 100), 1)


def fill_for(distance_cm: float, depth_cm: float, full_cm: float = 0.0) -> float:
    """The fill a distance reading stands for, to 0.1 %.

    Deliberately not :func:`curbside.domain.sanitation.fill.fill_from_distance`: the truth must not
    share
    code with what it checks.
    """
    return round(clamp_pct((depth_cm - distance_cm) / (depth_cm - full_cm) * 100), 1)


class BinModel:
    """One bin: its true fill over time, its emptyings and its sensor's reports."""

    def __init__(
        self,
        district: District,
        bin_: Bin,
        plan: TrafficPlan,
        rounds: CollectionRounds,
        busyness: float,
        *,
        incidents: BinIncidents = NO_INCIDENTS,
    ) -> None:
        self.district = district.id
        self.bin = bin_.id
        self.depth_cm = bin_.depth_cm
        self.full_cm = bin_.full_distance_cm
        self._plan = plan
        self._rounds = rounds
        self.ultrasonic = plan.rng("bin-model", district.id, bin_.id).random() < ULTRASONIC_SHARE
        fill_rng = plan.rng("fill", district.id, bin_.id)
        self._pct_per_s = BASE_FILL_PCT_PER_HOUR * busyness * fill_rng.lognormvariate(0, 0.35)
        self._pct_per_s /= 3600
        self.incidents = incidents
        self._overfill_pct_per_s = max(
            self._pct_per_s * OVERFILL_FACTOR, OVERFILL_MIN_PCT_PER_HOUR / 3600
        )
        self._sensor = plan.rng("bin-sensor", district.id, bin_.id)
        self._battery = Battery.draw(self._sensor, plan.start)
        self._phase = self._sensor.randint(1, plan.bin_report_s)
        self._mean_temp_c = self._sensor.uniform(13.0, 20.0)
        self._day_factors: dict[date, float] = {}
        self.initial_pct = self._initial_fill()

    def rate(self, t: Instant) -> float:
        """Fill rate at ``t``, in percent per second."""
        day = local_date(t, self._plan.tz)
        base = self._pct_per_s
        if self.incidents.overfill and t >= self._plan.start:
            base = self._overfill_pct_per_s  # the incident starts with the run
        return base * self._day_factor(day) * waste_generation(local_hour(t, self._plan.tz))

    def filled(self, pct: float, since: Instant, until: Instant) -> float:
        """The fill at ``until`` of the bin that was ``pct`` full at ``since`` (max 100)."""
        t = since
        while t < until and pct < 100.0:
            step = min(STEP_S, until - t)
            pct += self.rate(t + step // 2) * step
            t += step
        return clamp_pct(pct)

    def _day_factor(self, day: date) -> float:
        # Some days are busier than others, the same for the bin whenever it is asked.
        if day not in self._day_factors:
            if len(self._day_factors) >= _KEPT_DAY_FACTORS:
                self._day_factors.clear()
            rng = self._plan.rng("fill-day", self.district, self.bin, day.isoformat())
            self._day_factors[day] = rng.lognormvariate(0, 0.2)
        return self._day_factors[day]

    def residual(self, visit: Visit) -> float:
        """What the truck leaves behind at ``visit``, in percent."""
        rng = self._plan.rng("residual", self.district, self.bin, str(visit.t))
        return rng.uniform(*RESIDUAL_PCT)

    def skipped(self, visit: Visit) -> bool:
        """Whether the truck passes the bin at ``visit`` without emptying it (incident)."""
        skip = self.incidents.skip
        return (
            skip > 0
            and self._plan.rng("skip", self.district, self.bin, str(visit.t)).random() < skip
        )

    def _initial_fill(self) -> float:
        start = self._plan.start
        last: Visit | None = None
        for visit in self._rounds.visits(self.district, self.bin, start - LOOKBACK_S):
            if visit.t >= start:
                break
            last = visit
        if last is None:  # no truck serves the bin: a day's rubbish so far
            return self.filled(0.0, start - 86_400, start)
        return self.filled(self.residual(last), last.t, start)

    def interval(self) -> int:
        """Seconds to the sensor's next regular report (jittered)."""
        jitter = round(self._plan.bin_report_s * self._sensor.uniform(-0.03, 0.03))
        return max(1, self._plan.bin_report_s + jitter)

    def report(self, t: Instant, true_pct: float, tilted: bool) -> FillReport:
        """The sensor's report at ``t`` of a bin ``true_pct`` full (noise, fire heat)."""
        measured = clamp_pct(true_pct + self._sensor.uniform(-NOISE_PCT, NOISE_PCT))
        fill_pct: float | None = None
        distance_cm: float | None = None
        if self.ultrasonic:
            distance_cm = distance_for(measured, self.depth_cm, self.full_cm)
            reported = fill_for(distance_cm, self.depth_cm, self.full_cm)
        else:
            fill_pct = reported = round(measured, 1)
        temp = air_temperature(local_hour(t, self._plan.tz), self._mean_temp_c)
        temp_c = round(temp + self._sensor.gauss(0.0, 0.3), 1)
        if self.incidents.burning(t):
            fire = self._plan.rng("fire-temp", self.district, self.bin, str(t))
            temp_c = round(fire.uniform(*FIRE_TEMP_C), 1)
        return FillReport(
            t=t,
            district=self.district,
            bin=self.bin,
            true_pct=round(true_pct, 2),
            reported_pct=reported,
            fill_pct=fill_pct,
            distance_cm=distance_cm,
            battery_v=self._battery.voltage(t),
            temp_c=temp_c,
            tilted=tilted,
        )

    @property
    def run_start(self) -> Instant:
        """The run's first instant (``initial_pct`` is the fill then)."""
        return self._plan.start

    @property
    def first_report(self) -> Instant:
        """When the sensor first reports in the run."""
        return self._plan.start + self._phase

    def tips_over(self) -> bool:
        """Whether the bin is knocked over by the time of the next report."""
        return self._sensor.random() < TILT_CHANCE

    def report_delay(self) -> int:
        """Seconds after an emptying until the sensor reports the empty bin."""
        return self._sensor.randint(*REPORT_AFTER_EMPTYING_S)

    def events(self) -> Iterator[Event]:
        """The bin's emptyings and reports from the start on, in time order (endless), with
        the emptyings of the fixed rounds."""
        pct, known = self.initial_pct, self._plan.start
        visits = self._rounds.visits(self.district, self.bin, self._plan.start)
        visit = next(visits, None)
        report_at = self.first_report
        last = self._plan.start - 1
        tilted = False
        while True:
            if visit is not None and visit.t <= last:
                visit = next(visits, None)  # cannot happen with sane rounds; keep order anyway
                continue
            if visit is not None and visit.t <= report_at and self.skipped(visit):
                yield SkippedVisit(visit.t, self.district, self.bin, visit.truck)
                visit = next(visits, None)
                continue
            if visit is not None and visit.t <= report_at:
                at_visit = round(self.filled(pct, known, visit.t), 2)
                yield EmptyingReport(visit.t, self.district, self.bin, visit.truck, at_visit)
                pct, known, tilted = self.residual(visit), visit.t, False
                t = visit.t + self.report_delay()
                visit = next(visits, None)
            else:
                t = report_at
            pct, known = self.filled(pct, known, t), t
            tilted = tilted or self.tips_over()
            report = self.report(t, pct, tilted)
            if not self.incidents.silent(t):
                yield report
            last = t
            while report_at <= t:
                report_at += self.interval()
