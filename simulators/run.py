"""One simulator run, wired: models -> schedule -> payloads -> faults -> publisher, plus truth.

:func:`run_simulation` is the programmatic entry point; ``python -m simulators`` is a thin
CLI around it.
"""

from __future__ import annotations

import contextlib
import logging
import math
import os
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal, TextIO

from curbside.adapters.mqtt.client import BrokerAccess
from curbside.city.registry import City, load_city
from curbside.domain.dispatch.travel import GreatCircleTravel
from simulators.clock import SimulatedClock
from simulators.events import Event
from simulators.faults import FaultInjector, FaultRecord, JsonDetail, Output
from simulators.fleet import Fleet, build_fleet
from simulators.lorawan import NetworkServerEncoder
from simulators.options import OptionError, SimulationOptions
from simulators.plan import TrafficPlan
from simulators.plan_following import PlanFollowingCity
from simulators.progress import ProgressLog
from simulators.publisher import MqttPublisher, Publisher
from simulators.realtime import StopFlag, SystemWallClock, WallClock
from simulators.route_feed import MqttRouteFeed, RouteFeed
from simulators.schedule import events_until, merged_events
from simulators.timestamps import Instant, instant_of, utc_rfc3339
from simulators.truth import TruthRecorder

log = logging.getLogger("simulators")

ACK_TIMEOUT_S = 30.0
CONNECT_TIMEOUT_S = 5.0
StopReason = Literal["duration", "count", "signal"]


@dataclass(frozen=True, slots=True)
class RunSummary:
    """How a run went and how it left the city."""

    start: datetime
    end: datetime
    published: int
    malformed: int
    dropped: int
    stopped_by: StopReason
    acknowledged: bool
    """Whether the broker acknowledged every publish before the run ended."""
    wall_seconds: float
    spaces: dict[str, dict[str, bool]]
    """Each simulated space's true occupancy at ``end``, by zone."""
    bins: dict[str, dict[str, float | None]]
    """Each simulated bin's latest published fill (``reported_pct``), by district."""


def simulated_start(options: SimulationOptions, wall_now: float) -> Instant:
    """The run's first simulated instant: ``start``, or ``since`` before ``wall_now``."""
    if options.start is not None:
        start = instant_of(options.start)
        if start > wall_now:
            raise OptionError(f"start {options.start.isoformat()} is in the future")
        return start
    return math.floor(wall_now - options.since.total_seconds())


def _run_header(options: SimulationOptions, start: Instant) -> dict[str, Any]:
    return {
        "seed": options.seed,
        "start": utc_rfc3339(start),
        "speed": "max" if math.isinf(options.speed) else options.speed,
        "city": str(options.city),
        "options": options.traffic_summary(),
    }


def _initial_state(fleet: Fleet) -> tuple[dict[str, dict[str, bool]], dict[str, Any]]:
    spaces: dict[str, dict[str, bool]] = {}
    for space in fleet.spaces:
        spaces.setdefault(space.zone, {})[space.space] = space.initially_occupied
    bins: dict[str, dict[str, float]] = {}
    for b in fleet.bins:
        bins.setdefault(b.district, {})[b.bin] = round(b.initial_pct, 2)
    return spaces, bins


def _record_incidents(recorder: TruthRecorder, fleet: Fleet) -> None:
    """The planned incidents (skips are recorded as they happen)."""
    for b in fleet.incidents():
        planned = b.incidents
        if planned.overfill:
            recorder.incident("overfill", b.district, b.bin)
        if planned.fire is not None:
            recorder.incident("fire", b.district, b.bin, start=planned.fire[0], end=planned.fire[1])
        if planned.silent_since is not None:
            recorder.incident("silent", b.district, b.bin, since=planned.silent_since)


class _Run:
    """The loop of one run; holds its moving parts so each step stays small."""

    def __init__(
        self,
        *,
        options: SimulationOptions,
        city: City,
        publisher: Publisher,
        recorder: TruthRecorder,
        wall: WallClock,
        stop: StopFlag,
        wall_start: float,
        start: Instant,
    ) -> None:
        self.options = options
        self.city = city
        self.publisher = publisher
        self.recorder = recorder
        self.wall = wall
        self.stop = stop
        self.start = start
        self.clock = SimulatedClock(float(start), wall_start, options.speed)
        self.faults = FaultInjector(options.faults, options.seed)
        self.encoder = NetworkServerEncoder(
            city, options.wire_format, decoded_object=options.decoded_object
        )
        self.mono_start = wall.monotonic()
        self.progress = ProgressLog(options.log_every_s, city.tz, self.mono_start)
        self.last_t = start
        self.full = False  # the --count limit is reached

    def elapsed(self) -> float:
        return self.wall.monotonic() - self.mono_start

    def sim_now(self) -> Instant:
        return math.floor(self.clock.simulated(self.elapsed()))

    def wait_until(self, t: Instant) -> bool:
        """Sleep until simulated time reaches ``t``; False if asked to stop meanwhile."""
        delay = self.clock.due(float(t)) - self.elapsed()
        return not (delay > 0 and self.stop.wait(delay))

    def emit(self, output: Output) -> None:
        if isinstance(output, FaultRecord):
            self.recorder.fault(output)
            return
        if self.options.count is not None and self.recorder.published >= self.options.count:
            self.full = True
            if output.role == "original":  # a good message the run ends without sending
                detail: JsonDetail = {"ts": utc_rfc3339(output.message.t), "reason": "run ended"}
                self.recorder.fault(FaultRecord("drop", output.message.topic, detail))
            return
        self.publisher.publish(output.message.topic, output.message.payload)
        self.recorder.sent(output)
        if self.options.count is not None and self.recorder.published >= self.options.count:
            self.full = True
        now = self.wall.monotonic()
        if self.progress.due(now):
            self.progress.line(now, self.recorder.published, self.last_t, self.wall.time())
            self.recorder.flush()

    def step(self, event: Event) -> None:
        self.last_t = event.t
        self.recorder.event(event)
        for message in self.encoder.messages(event, seq=self.options.seq):
            for output in self.faults.feed(message):
                self.emit(output)

    def loop(self, events: Iterator[Event], end: Instant | None) -> tuple[StopReason, Instant]:
        for event in events_until(events, end):
            if self.full:
                return "count", self.last_t
            # A second's events go together, so a car's movement is never cut off from the
            # status report it causes by a stop in between.
            if event.t > self.last_t and (self.stop.is_set() or not self.wait_until(event.t)):
                # Nothing happens between the last event and this one: the state holds.
                return "signal", max(self.last_t, min(self.sim_now(), event.t - 1))
            self.step(event)
        if self.full:
            return "count", self.last_t
        if end is None:  # an endless stream ran out: cannot happen
            return "signal", self.last_t
        if not self.wait_until(end):
            return "signal", max(self.last_t, min(self.sim_now(), end))
        return "duration", end

    def finish(self) -> None:
        for output in self.faults.flush():
            self.emit(output)


def _open_truth(options: SimulationOptions) -> contextlib.AbstractContextManager[TextIO | None]:
    if options.truth is None:
        return contextlib.nullcontext()
    return options.truth.open("w", encoding="utf-8")


def _access(options: SimulationOptions) -> BrokerAccess:
    return BrokerAccess(
        host=options.host,
        port=options.port,
        username=options.username,
        password=options.password,
        tls=options.tls,
        tls_ca_file=options.tls_ca_file,
        endpoints=options.endpoints,
    )


def _client_id(options: SimulationOptions) -> str:
    return options.client_id or f"curbside-sim-{os.getpid()}"


def _connect(options: SimulationOptions) -> MqttPublisher:
    publisher = MqttPublisher(_access(options), client_id=_client_id(options))
    publisher.connect(CONNECT_TIMEOUT_S)
    return publisher


def run_simulation(
    options: SimulationOptions,
    *,
    publisher: Publisher | None = None,
    stop: StopFlag | None = None,
    wall: WallClock | None = None,
    routes: RouteFeed | None = None,
) -> RunSummary:
    """Run the simulator until ``duration``, ``count`` or ``stop``; see docs/simulators.md.

    Publishes to ``publisher`` if given (it stays open), else connects to the broker in the
    options (raising :class:`simulators.publisher.BrokerUnavailable` if it cannot). With
    ``trucks`` "plan", the trucks follow the routes in ``routes`` if given (it stays open),
    else those heard on the broker.
    """
    wall = wall or SystemWallClock()
    stop = stop or threading.Event()
    city = load_city(options.city)
    wall_start = wall.time()
    start = simulated_start(options, wall_start)
    end = None if options.duration is None else start + int(options.duration.total_seconds())
    plan = TrafficPlan(
        seed=options.seed,
        start=start,
        tz=city.tz,
        heartbeat_s=int(options.heartbeat.total_seconds()),
        bin_report_s=int(options.bin_report.total_seconds()),
        end=end,
        flicker=options.faults.flicker,
    )
    fleet = build_fleet(
        city,
        plan,
        options.devices,
        options.zones,
        options.districts,
        incidents=options.incidents,
        model=options.model,
    )
    own_publisher = publisher is None
    sink = publisher or _connect(options)
    own_routes = routes is None and options.trucks == "plan"
    if own_routes:
        trucks = [t.id for t in city.trucks]
        routes = MqttRouteFeed(_access(options), trucks, client_id=_client_id(options) + "-routes")
    events: Iterator[Event] = merged_events(fleet)
    if options.trucks == "plan":
        assert routes is not None
        following = PlanFollowingCity(city, fleet, routes, GreatCircleTravel(city.tz), start)
        events = following.events()
    try:
        with _open_truth(options) as truth_file:
            recorder = TruthRecorder(truth_file)
            recorder.run(_run_header(options, start))
            recorder.initial(start, *_initial_state(fleet))
            _record_incidents(recorder, fleet)
            run = _Run(
                options=options,
                city=city,
                publisher=sink,
                recorder=recorder,
                wall=wall,
                stop=stop,
                wall_start=wall_start,
                start=start,
            )
            stopped_by, end_t = run.loop(events, end)
            run.finish()
            acknowledged = sink.wait_all(ACK_TIMEOUT_S)
            recorder.final(end_t)
    finally:
        if own_publisher:
            sink.close()
        if own_routes and routes is not None:
            routes.close()
    summary = RunSummary(
        start=datetime.fromtimestamp(start, UTC),
        end=datetime.fromtimestamp(end_t, UTC),
        published=recorder.published,
        malformed=recorder.malformed,
        dropped=recorder.dropped,
        stopped_by=stopped_by,
        acknowledged=acknowledged,
        wall_seconds=run.elapsed(),
        spaces=recorder.spaces,
        bins=recorder.bins,
    )
    log.info(
        "done (%s): published %d messages (%d malformed, %d dropped), simulated %s to %s in %.1f s",
        stopped_by,
        summary.published,
        summary.malformed,
        summary.dropped,
        utc_rfc3339(start),
        utc_rfc3339(end_t),
        summary.wall_seconds,
    )
    return summary
