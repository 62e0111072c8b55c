"""Simulated trucks that follow a published route (simulators/driving.py, plan_following.py).

Expected times are worked out by hand from the stated travel model (docs/dispatch.md):
great-circle distance on a 6,371 km sphere × 1.4, at the time band's speed; 0.001° of latitude
is 111.19 m, × 1.4 = 155.67 m. At 10:00 in Shanghai the band is 22 km/h = 6.111 m/s.
"""

from __future__ import annotations

import json
import math
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from api.dispatch_schemas import TruckRouteOut
from curbside.city.registry import City
from curbside.domain.dispatch.problem import Place, Stop, TruckRoute
from curbside.domain.dispatch.travel import GreatCircleTravel
from curbside.domain.sanitation.worklist import Point
from simulators.driving import IDLE_S, TruckDriver
from simulators.events import EmptyingReport, Event, RouteTaken, TruckProgress, Unloaded
from simulators.options import SimulationOptions
from simulators.recording import RecordingPublisher
from simulators.route_feed import HeldRoutes
from simulators.run import run_simulation

from .support import START as START_RUN

TZ = ZoneInfo("Asia/Shanghai")
T0 = datetime(2026, 3, 3, 10, 0, tzinfo=TZ)
START = int(T0.timestamp())
HOME = Point(29.87, 121.54)
B1 = Point(29.872, 121.54)  # 0.002° north: 311 m, 51 s (311 / 6.111 = 50.9)
B2 = Point(29.874, 121.54)  # 0.002° further: 311 m, 51 s; back home 0.004°: 623 m, 102 s
B3 = Point(29.872, 121.542)


def stop(kind: str, id_: str, where: Point, minutes: int) -> Stop:
    district = "D1" if kind == "bin" else None
    return Stop(kind, id_, district, where, T0 + timedelta(minutes=minutes), 0)  # type: ignore[arg-type]


def ends(stops: tuple[Stop, ...]) -> tuple[Place, Place]:
    """A route's origin and destination: its last stop's station, as the planner gives them."""
    home = Place("station", stops[-1].where, stops[-1].id)
    return home, home


def route(*stops: Stop, start: datetime = T0) -> TruckRoute:
    return TruckRoute("T1", start, stops[-1].arrival, 0, stops, *ends(stops))


class Bins:
    """Empties any bin, 50 litres each; remembers who emptied what when."""

    def __init__(self) -> None:
        self.emptied: list[tuple[int, str]] = []

    def __call__(self, t: int, district: str, bin_id: str, truck: str) -> tuple[list[Event], int]:
        self.emptied.append((t - START, bin_id))
        return [EmptyingReport(t, district, bin_id, truck, 50.0)], 50


def drive(driver: TruckDriver, routes: dict[int, TruckRoute], until: int) -> list[Event]:
    """Wake the driver as the run would, handing it the route published at each offset."""
    events: list[Event] = []
    t, current = START, None
    while t - START <= until:
        for at in sorted(routes):
            if at <= t - START:
                current = routes[at]
        happened, t_next = driver.wake(t, current)
        events.extend(happened)
        nearest = min((START + a for a in routes if START + a > t), default=t_next)
        t = min(t_next, nearest)
    return events


def test_a_truck_drives_its_route_on_the_travel_model() -> None:
    bins = Bins()
    driver = TruckDriver("T1", HOME, GreatCircleTravel(TZ), bins)
    plan = route(stop("bin", "B1", B1, 1), stop("bin", "B2", B2, 4), stop("unload", "S1", HOME, 8))
    events = drive(driver, {0: plan}, 3600)
    # B1 at 51 s; 120 s service; B2 51 s later (222); 120 s; home 102 s later (444).
    assert bins.emptied == [(51, "B1"), (222, "B2")]
    (unloaded,) = [e for e in events if isinstance(e, Unloaded)]
    assert (unloaded.t - START, unloaded.station, unloaded.load_l) == (444, "S1", 100)
    done = [(e.t - START, e.done) for e in events if isinstance(e, TruckProgress)]
    assert done == [(0, ()), (51, ("B1",)), (222, ("B1", "B2")), (444, ("B1", "B2", "S1"))]
    assert driver.metres == 311 + 311 + 623
    assert driver.load_l == 0


def test_a_truck_waits_for_its_routes_start() -> None:
    bins = Bins()
    driver = TruckDriver("T1", HOME, GreatCircleTravel(TZ), bins)
    later = route(stop("bin", "B1", B1, 31), stop("unload", "S1", HOME, 40),
                  start=T0 + timedelta(minutes=30))  # fmt: skip
    drive(driver, {0: later}, 3600)
    assert bins.emptied == [(1800 + 51, "B1")]


def test_a_replan_mid_drive_keeps_the_stop_in_flight_then_follows_the_new_route() -> None:
    bins = Bins()
    driver = TruckDriver("T1", HOME, GreatCircleTravel(TZ), bins)
    first = route(stop("bin", "B1", B1, 1), stop("bin", "B2", B2, 4), stop("unload", "S1", HOME, 8))
    # At 20 s, on its way to B1, the API re-plans: B1 (pinned) then B3 instead of B2.
    second = route(
        stop("bin", "B1", B1, 1), stop("bin", "B3", B3, 4), stop("unload", "S1", HOME, 8)
    )
    events = drive(driver, {0: first, 20: second}, 3600)
    # B1 -> B3: 0.002° east at 29.872°: 311 × cos(29.872°) = 269.8 m... as the model says:
    b1_b3 = GreatCircleTravel(TZ).matrix([B1, B3])[0][1]
    assert 260 < b1_b3 < 280
    assert [b for _, b in bins.emptied] == ["B1", "B3"]
    assert bins.emptied[0][0] == 51  # the stop in flight, not turned round
    taken = [e for e in events if isinstance(e, RouteTaken)]
    assert [(e.t - START, e.stops) for e in taken] == [
        (0, ("B1", "B2", "S1")), (20, ("B1", "B3", "S1")),
    ]  # fmt: skip
    progress = [e.done for e in events if isinstance(e, TruckProgress)]
    assert progress[-1] == ("B1", "B3", "S1")


def test_a_new_route_without_the_stop_in_flight_finishes_it_first_uncounted() -> None:
    bins = Bins()
    driver = TruckDriver("T1", HOME, GreatCircleTravel(TZ), bins)
    first = route(stop("bin", "B1", B1, 1), stop("unload", "S1", HOME, 8))
    second = route(stop("bin", "B3", B3, 4), stop("unload", "S1", HOME, 8))
    events = drive(driver, {0: first, 20: second}, 3600)
    assert [b for _, b in bins.emptied] == ["B1", "B3"]
    progress = [e.done for e in events if isinstance(e, TruckProgress)]
    assert progress[-1] == ("B3", "S1")


def test_an_idle_truck_looks_for_work_every_minute() -> None:
    driver = TruckDriver("T1", HOME, GreatCircleTravel(TZ), Bins())
    assert driver.wake(START, None) == ([], START + IDLE_S)


def test_in_a_run_only_the_planned_bins_are_emptied_and_report_empty_next(
    tmp_path: Path, city_file: Path, small_city: City
) -> None:
    # T01's route: three of D1's bins from 07:00 (an hour into the run), then home to unload.
    depart = START_RUN + timedelta(hours=1)
    wanted = ["D1-B001", "D1-B002", "D1-B007"]
    where = {b.id: Point(b.lat, b.lon) for d in small_city.sanitation_districts for b in d.bins}
    station = small_city.transfer_stations[0]
    stops = [Stop("bin", b, "D1", where[b], depart, 0) for b in wanted]
    stops.append(Stop("unload", station.id, None, Point(station.lat, station.lon), depart, 0))
    feed = HeldRoutes()
    driven = tuple(stops)
    planned = TruckRouteOut.from_route(TruckRoute("T01", depart, depart, 0, driven, *ends(driven)))
    feed.take("T01", planned.model_dump_json().encode())
    truth_path = tmp_path / "truth.jsonl"
    options = SimulationOptions(
        city=city_file, seed=1, start=START_RUN, speed=math.inf, duration=timedelta(hours=6),
        truth=truth_path, log_every_s=0, devices="bins", trucks="plan",
    )  # fmt: skip
    publisher = RecordingPublisher()
    run_simulation(options, publisher=publisher, routes=feed)
    truth = [json.loads(line) for line in truth_path.read_text().splitlines()]

    emptied = [r for r in truth if r["type"] == "emptied"]
    assert [(r["bin"], r["truck"]) for r in emptied] == [(b, "T01") for b in wanted]
    assert all(datetime.fromisoformat(r["ts"]) > depart for r in emptied)
    fills = [r for r in truth if r["type"] == "fill"]
    for record in emptied:
        at = datetime.fromisoformat(record["ts"])
        before = [
            f for f in fills if f["bin"] == record["bin"] and datetime.fromisoformat(f["ts"]) <= at
        ]
        after = [
            f for f in fills if f["bin"] == record["bin"] and datetime.fromisoformat(f["ts"]) > at
        ]
        # Rubbish only builds up between reports: the fill emptied is at least the last one.
        assert record["true_pct"] >= before[-1]["true_pct"]
        assert datetime.fromisoformat(after[0]["ts"]) - at <= timedelta(seconds=30)
        assert after[0]["true_pct"] <= 3.0
    topics = [m.topic for m in publisher.messages]
    assert sum(t.endswith("/emptied") for t in topics) == len(wanted)
    progress = [
        json.loads(m.payload) for m in publisher.messages if m.topic == "dispatch/T01/progress"
    ]
    assert progress[-1]["done"] == [*wanted, station.id]
    assert not any(t.startswith("dispatch/T02") for t in topics)  # no route, no work
    (unload,) = [r for r in truth if r["type"] == "unload"]
    expected_l = sum(round(240 * r["true_pct"] / 100) for r in emptied)
    assert unload["load_l"] == expected_l


def test_a_bad_or_misaddressed_route_is_counted_and_the_old_one_kept() -> None:
    feed = HeldRoutes()
    good = route(stop("bin", "B1", B1, 1), stop("unload", "S1", HOME, 8))
    feed.take("T1", TruckRouteOut.from_route(good).model_dump_json().encode())
    kept = feed.latest("T1")
    assert kept is not None and [s.id for s in kept.stops] == ["B1", "S1"]
    for payload in (b"{not json", b'{"truck": "T1"}', b"x" * (2 * 1024 * 1024)):
        feed.take("T1", payload)
    other = TruckRouteOut.from_route(TruckRoute("T2", T0, T0, 0, good.stops, *ends(good.stops)))
    feed.take("T1", other.model_dump_json().encode())
    feed.take("T1", b"")  # a cleared retained route: nothing to take, nothing wrong
    assert feed.rejected == 4
    assert feed.latest("T1") is kept
