"""Benchmark the API under concurrent clients: ``python -m tools.bench.api [--spaces 10000]``.

Starts its own Mosquitto and InfluxDB (``.run/bench/``), writes six hours of status reports
for every space (changes and 10-minute heartbeats), fill reports for every bin and a few
hundred alerts straight into InfluxDB, six hours of stays with their charges into a record
store of its own (``.run/bench/api-records.sqlite3``, what the recorder would have kept),
starts ``python -m api`` on port 35800, checks that its
occupancy and bin answers equal what InfluxDB holds, then loads each endpoint with ``wrk``
(50 connections, 2 threads; a Lua script reports p50, p99 and errors) one after the other,
while a steady trickle of sensor messages flows through MQTT (the county's rates for the
city's size, tools/bench/traffic.py; ``--trickle-per-s 0`` for none), which the API's live feed
applies as it serves; the zones those reports are for have their record revision moved each
second, as the recorder would (so the sessions windows of those zones are read again).
``--api-key`` (or ``CURBSIDE_BENCH_API_KEY``) is sent as ``Authorization: Bearer``.

Prints a table and appends it to docs/performance.md (``--no-record`` to skip).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
import threading
import time
import urllib.request
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import quote, unquote

from sqlalchemy import insert

from curbside.adapters.influx.alerts import AlertStore
from curbside.adapters.influx.client import InfluxClient
from curbside.adapters.influx.lineprotocol import encode_line
from curbside.adapters.influx.schema import BIN_LEVEL, PARKING
from curbside.adapters.records import zone_revisions
from curbside.adapters.records.engine import record_engine, session_factory
from curbside.adapters.records.migrate import upgrade
from curbside.adapters.records.models import Charge, ParkingSession
from curbside.city.registry import City
from curbside.domain.parking.charges import breakdown
from curbside.domain.parking.fees import compute_fee
from curbside.vocabulary.alerts import Alert, AlertKind, AlertStatus, Domain, Subject
from tools.bench.city import write_city
from tools.bench.record import command_line, machine_lines, publish
from tools.bench.stack import (
    API_PORT,
    BENCH_ROLE,
    RUN_DIR,
    Stack,
    finish_profile,
    start_profile,
)
from tools.bench.traffic import BIN_RATE, SPACE_RATE, Publisher, steady
from tools.harness.processes import (
    CurbsideProcess,
    child_pids,
    proc_cpu_s,
    proc_rss_bytes,
    tree_cpu_s,
)

BASE = f"http://127.0.0.1:{API_PORT}"
HISTORY = timedelta(hours=6)
HEARTBEAT = timedelta(minutes=10)
BATCH = 5000
# Targets of the issue, p99 in milliseconds.
TARGETS_MS = {
    "zone occupancy": 20.0,
    "city occupancy": 50.0,
    # issue 19: as fast as occupancy, for polling clients
    "active alerts": 20.0,
    "sessions of a zone (6 h)": 20.0,
}

LUA = """
local paths = {%(paths)s}
local i = 0
%(headers)s
%(delay)s
request = function()
  i = i %% #paths + 1
  return wrk.format("GET", paths[i])
end
done = function(summary, latency, requests)
  local e = summary.errors
  io.stderr:write(string.format(
    '{"requests": %%d, "duration_us": %%d, "p50_us": %%d, "p90_us": %%d, "p99_us": %%d, '
    .. '"p999_us": %%d, "max_us": %%d, "errors": %%d, "status_errors": %%d}\\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(90),
    latency:percentile(99), latency:percentile(99.9), latency.max,
    e.connect + e.read + e.write + e.timeout, e.status))
end
"""


@dataclass(frozen=True, slots=True)
class Wrk:
    """How wrk loads an endpoint: each connection sends its next request ``think_ms`` after
    the previous answer (0: at once, saturating the API)."""

    connections: int = 50
    seconds: int = 10
    think_ms: int = 0
    key: str | None = None


@dataclass(frozen=True, slots=True)
class Load:
    """What wrk measured on one endpoint."""

    name: str
    think_ms: int
    example: str
    requests: int
    seconds: float
    p50_ms: float
    p99_ms: float
    max_ms: float
    errors: int
    api_cpu_s: float
    processes: int = 1

    @property
    def rate(self) -> float:
        """Requests per second."""
        return self.requests / self.seconds


def status_lines(
    city: City, now: datetime, rng: random.Random, history: timedelta = HISTORY
) -> list[str]:
    """``history`` of each space: stays and gaps around 50 minutes, and heartbeats."""
    lines = []
    start = now - history
    for zone in city.parking_zones:
        for space in zone.spaces:
            tags = {"zone": zone.id, "space": space.id}
            t = start + timedelta(seconds=rng.uniform(0, 600))
            occupied = rng.random() < 0.5
            change = t + timedelta(seconds=rng.expovariate(1 / 3000))
            while t < now:
                if t >= change:
                    occupied = not occupied
                    change = t + timedelta(seconds=rng.expovariate(1 / 3000))
                fields = {"occupied": int(occupied), "battery_v": 3.6, "rssi_dbm": -90.0}
                lines.append(encode_line(PARKING, tags, fields, t))
                t = min(t + HEARTBEAT, change) if change > t else t + HEARTBEAT
    return lines


def fill_lines(
    city: City, now: datetime, rng: random.Random, history: timedelta = HISTORY
) -> list[str]:
    """``history`` of each bin: a fill report every 30 minutes, rising."""
    lines = []
    for district in city.sanitation_districts:
        for b in district.bins:
            tags = {"district": district.id, "bin": b.id}
            fill = rng.uniform(0, 40)
            t = now - history + timedelta(seconds=rng.uniform(0, 1800))
            while t < now:
                fields = {"fill_pct": round(fill, 1), "battery_v": 3.5, "temp_c": 20.0}
                lines.append(encode_line(BIN_LEVEL, tags, fields, t))
                fill = min(100.0, fill + rng.uniform(0, 8))
                t += timedelta(minutes=30)
    return lines


def some_alerts(city: City, now: datetime, rng: random.Random, count: int) -> list[Alert]:
    """``count`` open alerts on random bins and spaces."""
    bins = [(d.id, b.id) for d in city.sanitation_districts for b in d.bins]
    spaces = [(z.id, s.id) for z in city.parking_zones for s in z.spaces]
    out = []
    for n in range(count):
        if bins and n % 2 == 0:
            group, device = rng.choice(bins)
            subject, kind = Subject(Domain.SANITATION, group, device), AlertKind.FULL
        else:
            group, device = rng.choice(spaces)
            subject, kind = Subject(Domain.PARKING, group, device), AlertKind.LOW_BATTERY
        opened = now - timedelta(seconds=rng.uniform(0, HISTORY.total_seconds()))
        out.append(Alert(kind, subject, opened, AlertStatus.OPEN, "bench", opened))
    return out


def record_stays(
    url: str, city: City, now: datetime, rng: random.Random, history: timedelta = HISTORY
) -> int:
    """Fill a new record store with ``history`` of stays of every space, as the recorder keeps
    them (stays and gaps around 50 minutes as in :func:`status_lines`; each closed stay with
    its charge and breakdown, the last one still open); the number of stays."""
    engine = record_engine(url)
    upgrade(engine)
    recorded = now
    sessions: list[dict[str, Any]] = []
    charges: list[dict[str, Any]] = []
    for zone in city.parking_zones:
        tariff = city.tariff_for_zone(zone.id)
        for space in zone.spaces:
            t = now - history + timedelta(seconds=rng.expovariate(1 / 3000))
            while t < now:
                end = t + timedelta(seconds=60 + rng.expovariate(1 / 3000))
                closed = end < now
                sessions.append(
                    {"id": len(sessions) + 1, "zone": zone.id, "space": space.id, "start": t,
                     "end": end if closed else None, "last_confirmed": min(end, now),
                     "flags": "", "status": "closed" if closed else "open",
                     "end_day": end.astimezone(city.tz).date() if closed else None,
                     "duration_s": int((end - t).total_seconds()) if closed else None,
                     "revision": 0, "recorded_at": recorded, "revised_at": recorded}
                )  # fmt: skip
                if closed:
                    fee = compute_fee(tariff, t, end, city.workday_calendar, city.tz)
                    charges.append(
                        {"session_id": len(sessions), "zone": zone.id, "kind": "charge",
                         "amount_fen": fee.total_fen, "tariff_id": zone.tariff,
                         "tariff_version": None, "priced_from": t, "priced_until": end,
                         "breakdown": breakdown(fee), "reason": None, "reverses_id": None,
                         "business_day": end.astimezone(city.tz).date(),
                         "recorded_at": recorded}
                    )  # fmt: skip
                t = end + timedelta(seconds=60 + rng.expovariate(1 / 3000))
    with engine.begin() as connection:
        for offset in range(0, len(sessions), BATCH):
            connection.execute(insert(ParkingSession), sessions[offset : offset + BATCH])
        for offset in range(0, len(charges), BATCH):
            connection.execute(insert(Charge), charges[offset : offset + BATCH])
    engine.dispose()
    return len(sessions)


def load_data(influx: InfluxClient, city: City, alerts: int, history: timedelta = HISTORY) -> int:
    """Write the history and the alerts; the number of points written."""
    rng = random.Random(5)
    now = datetime.now(UTC)
    lines = status_lines(city, now, rng, history) + fill_lines(city, now, rng, history)
    for offset in range(0, len(lines), BATCH):
        influx.write(lines[offset : offset + BATCH])
    AlertStore(influx).save(some_alerts(city, now, rng, alerts))
    return len(lines) + alerts


def get_json(path: str, key: str | None) -> Any:
    """GET an API path and decode its JSON."""
    request = urllib.request.Request(BASE + path)
    if key:
        request.add_header("Authorization", f"Bearer {key}")
    with urllib.request.urlopen(request, timeout=60) as response:
        return json.loads(response.read())


def check_answers(influx: InfluxClient, city: City, key: str | None) -> str:
    """The API's occupancy and fill levels must equal InfluxDB's latest points."""
    latest = influx.query(
        f"SELECT last(occupied) FROM {PARKING} WHERE time > now() - 7d GROUP BY zone, space"
    )
    occupied: Counter[str] = Counter()
    for series in latest:
        occupied[series.tags["zone"]] += int(series.rows()[0]["last"])
    api = {z["zone"]: z for z in get_json("/api/v1/parking/occupancy", key)}
    for zone in city.parking_zones:
        counts = api[zone.id]
        if (counts["occupied"], counts["unknown"]) != (occupied[zone.id], 0):
            raise SystemExit(
                f"bench: zone {zone.id}: API says {counts}, InfluxDB {occupied[zone.id]} occupied"
            )
    fills = {
        s.tags["bin"]: s.rows()[0]["last"]
        for s in influx.query(
            f"SELECT last(fill_pct) FROM {BIN_LEVEL} WHERE time > now() - 7d GROUP BY bin"
        )
    }
    served = {b["bin"]: b["fill_pct"] for b in get_json("/api/v1/sanitation/bins", key)}
    if served != fills:
        wrong = sorted(b for b in served if served[b] != fills.get(b))[:5]
        raise SystemExit(f"bench: bin fill levels differ from InfluxDB, e.g. {wrong}")
    return (
        f"the occupancy of all {len(city.parking_zones)} zones ({sum(occupied.values()):,} of "
        f"{city.space_count:,} spaces occupied) and the fill level of all {len(served):,} bins "
        "equal InfluxDB's latest points"
    )


def endpoints(city: City, now: datetime) -> list[tuple[str, list[str]]]:
    """Each endpoint's name and the paths wrk rotates through (every zone or district)."""
    zones = [z.id for z in city.parking_zones]
    districts = [d.id for d in city.sanitation_districts]
    local = now.astimezone(city.tz)
    day = local.replace(hour=0, minute=0, second=0, microsecond=0)

    def stamp(at: datetime) -> str:
        return quote(at.isoformat(timespec="seconds"))

    def fee_quote(z: str, n: int) -> str:
        entry = day + timedelta(hours=8, minutes=7 * n % 600)
        return (
            f"/api/v1/parking/fees/quote?zone={z}&start={stamp(entry)}"
            f"&end={stamp(entry + timedelta(minutes=25 + 13 * n % 400))}"
        )

    return [
        ("zone occupancy", [f"/api/v1/parking/occupancy?zone={z}" for z in zones]),
        ("city occupancy", ["/api/v1/parking/occupancy"]),
        ("spaces of a zone", [f"/api/v1/parking/spaces?zone={z}" for z in zones]),
        ("bins of a district", [f"/api/v1/sanitation/bins?district={d}" for d in districts]),
        ("active alerts", ["/api/v1/alerts?status=active&limit=200"]),
        ("fee quote", [fee_quote(z, n) for n, z in enumerate(zones)]),
        (
            "sessions of a zone (6 h)",
            [
                f"/api/v1/parking/sessions?zone={z}&start={stamp(local - HISTORY)}"
                f"&end={stamp(local)}"
                for z in zones
            ],
        ),
    ]


def wait_idle(
    pid: int,
    what: str,
    timeout_s: float = 120.0,
    quiet_s: float = 0.5,
    cpu_s: Callable[[int], float] = proc_cpu_s,
) -> None:
    """Wait until ``pid`` has used under 5 % of a core for ``quiet_s`` on end: the API done
    with what an earlier load left queued, InfluxDB done compacting what was just written.
    ``cpu_s`` reads its CPU seconds (``tree_cpu_s``: with the processes it started)."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        before = cpu_s(pid)
        time.sleep(quiet_s)
        if cpu_s(pid) - before < 0.05 * quiet_s:
            return
    print(f"bench: {what} is still busy after {timeout_s:.0f} s; loading anyway", flush=True)


def run_wrk(name: str, paths: list[str], api_pid: int, wrk: Wrk, processes: int = 1) -> Load:
    """Load one endpoint with wrk and read its Lua summary; the API's CPU is that of its
    process and of those it started."""
    script = RUN_DIR / "wrk.lua"
    headers = f'wrk.headers["Authorization"] = "Bearer {wrk.key}"' if wrk.key else ""
    # A pause drawn uniformly from 0 to twice the think time: independent dashboards do not
    # poll in lockstep, and a fixed pause would keep the 50 connections' first, simultaneous
    # requests bunched together for the whole run.
    delay = (
        f"delay = function() return math.random(0, {2 * wrk.think_ms}) end" if wrk.think_ms else ""
    )
    script.write_text(
        LUA
        % {
            "paths": ", ".join(json.dumps(p) for p in paths),
            "headers": headers,
            "delay": delay,
        }
    )
    cpu = tree_cpu_s(api_pid)
    done = subprocess.run(
        [
            "wrk",
            "-t",
            "2",
            "-c",
            str(wrk.connections),
            "-d",
            f"{wrk.seconds}s",
            "--timeout",
            "10s",
            "-s",
            str(script),
            BASE,
        ],
        capture_output=True,
        text=True,
        check=True,
        timeout=wrk.seconds + 60,
    )
    figures = json.loads(done.stderr.strip().splitlines()[-1])
    print(
        "  latency ms: "
        + ", ".join(f"{q} {figures[f'{q}_us'] / 1000:.1f}" for q in ("p50", "p90", "p99", "p999"))
        + f", max {figures['max_us'] / 1000:.0f}",
        flush=True,
    )
    return Load(
        name,
        wrk.think_ms,
        paths[0],
        figures["requests"],
        figures["duration_us"] / 1e6,
        figures["p50_us"] / 1000,
        figures["p99_us"] / 1000,
        figures["max_us"] / 1000,
        figures["errors"] + figures["status_errors"],
        tree_cpu_s(api_pid) - cpu,
        processes,
    )


class Trickle:
    """Sensor messages published at a steady rate, in a thread of its own, while it is entered.

    With ``records_url``, the revision of each zone a status report was published for is
    moved once a second, its space marked, as the recorder does when it writes the report's
    change to the space's stays: the API then reads those spaces' sessions again. (An upper
    bound: the recorder does so only when a stay changed, not for a free space's heartbeat.)
    """

    def __init__(
        self, stack: Stack, city: City, per_s: float, records_url: str | None = None
    ) -> None:
        self._stack = stack
        self._source = steady(city)
        self._per_s = per_s
        self._records = None if records_url is None else session_factory(record_engine(records_url))
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="bench-trickle", daemon=True)
        self.sent = 0
        self.revisions = 0
        """Zone revisions moved (as the recorder would have)."""

    def __enter__(self) -> Trickle:
        if self._per_s > 0:
            self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(30)

    def _run(self) -> None:
        publisher = Publisher(self._stack.access(BENCH_ROLE), "bench-trickle")
        started = time.monotonic()
        changed: set[tuple[str, str]] = set()
        next_bump = started + 1.0
        try:
            while not self._stop.is_set():
                if time.monotonic() >= next_bump:
                    self._bump(changed)
                    next_bump += 1.0
                left = started + self.sent / self._per_s - time.monotonic()
                if left > 0:
                    publisher.service(min(left, 0.05))
                    continue
                sent = self._source(datetime.now(UTC))
                publisher.publish(sent)
                self.sent += 1
                if sent.measurement == "parking_status":
                    _, zone, space, _ = sent.topic.split("/")
                    changed.add((zone, space))
        finally:
            publisher.close()

    def _bump(self, spaces: set[tuple[str, str]]) -> None:
        if self._records is None or not spaces:
            return
        with self._records() as db, db.begin():
            zone_revisions.bump(db, spaces)
        self.revisions += len({zone for zone, _ in spaces})
        spaces.clear()


def county_rate(city: City) -> float:
    """Sensor messages per second of a city this size at the county's rates."""
    return (city.space_count * SPACE_RATE + city.bin_count * BIN_RATE) / 3600


def report(
    loads: list[Load],
    city: City,
    *,
    check: str,
    rss: dict[int, int],
    connections: int,
    command: str,
    trickle_per_s: float,
) -> str:
    """The figures as a Markdown section for docs/performance.md."""
    rows = [
        "| endpoint | example | API processes | think ms | requests/s | p50 | p99 | max | errors "
        "| API CPU ms/request | target p99 |",
        "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |",
    ]
    for load in loads:
        target = TARGETS_MS.get(load.name)
        verdict = (
            ""
            if target is None
            else f"< {target:.0f} ms: {'met' if load.p99_ms < target else 'missed'}"
        )
        rows.append(
            f"| {load.name} | `{unquote(load.example)}` | {load.processes} | {load.think_ms} "
            f"| {load.rate:,.0f} "
            f"| {load.p50_ms:.1f} ms | {load.p99_ms:.1f} ms | {load.max_ms:.0f} ms "
            f"| {load.errors} | {load.api_cpu_s / max(load.requests, 1) * 1000:.2f} | {verdict} |"
        )
    return "\n".join(
        [
            f"### API under {connections} concurrent clients, "
            f"{datetime.now(UTC):%Y-%m-%d %H:%M UTC}",
            "",
            *machine_lines(command),
            f"- city: {city.space_count:,} spaces in {len(city.parking_zones)} zones, "
            f"{city.bin_count:,} bins in {len(city.sanitation_districts)} districts; API "
            "processes (CURBSIDE_API_PROCESSES) and their RSS in all after the run: "
            + ", ".join(f"{n}: {b / 2**20:.0f} MiB" for n, b in sorted(rss.items()))
            + "; API CPU counts every process of the API; wrk 2 threads, "
            f"{connections} connections, each endpoint on its own; *think ms* 0: each connection "
            "sends its next request as soon as the answer arrives (the API saturated, latency "
            "includes the queue); 100: a pause between requests, as dashboards polling",
            f"- check: {check}",
            f"- during each load {trickle_per_s:.0f} sensor messages/s flow through MQTT "
            "(the API's live feed applies them), and each second the revision of every zone "
            "a status report was sent for moves, as the recorder moves it when it changes a "
            "stay (an upper bound: it moves on a stay's change only), so the API reads those "
            "zones' sessions again"
            if trickle_per_s > 0
            else "- no sensor messages during the loads",
            *scaling_lines(loads),
            "",
            *rows,
            "",
        ]
    )


def scaling_lines(loads: list[Load]) -> list[str]:
    """Saturated throughput with the most API processes against one, per endpoint (the
    issue's target for occupancy: two processes at least 1.6 times one)."""
    lines = []
    for name in dict.fromkeys(load.name for load in loads):
        saturated = {x.processes: x for x in loads if x.name == name and x.think_ms == 0}
        most = max(saturated, default=1)
        if 1 not in saturated or most == 1:
            continue
        one, many = saturated[1], saturated[most]
        lines.append(
            f"- {name}, saturated: {most} processes {many.rate:,.0f} requests/s, one "
            f"{one.rate:,.0f}: **{many.rate / one.rate:.2f} ×** (target for occupancy with two: "
            f"1.6 ×); CPU per request {many.api_cpu_s / max(many.requests, 1) * 1000:.2f} ms "
            f"against {one.api_cpu_s / max(one.requests, 1) * 1000:.2f} ms"
        )
    return lines


def _api_env(parser: argparse.ArgumentParser, given: list[str]) -> dict[str, str]:
    env: dict[str, str] = {}
    for item in given:
        name, sep, value = item.partition("=")
        if not sep or not name.startswith("CURBSIDE_"):
            parser.error(f"--api-env {item!r}: expected CURBSIDE_NAME=VALUE")
        env[name] = value
    return env


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m tools.bench.api",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--spaces", type=int, default=10_000)
    parser.add_argument("--bins", type=int, default=5_000)
    parser.add_argument("--alerts", type=int, default=300)
    parser.add_argument("--connections", type=int, default=50)
    parser.add_argument("--seconds", type=int, default=10, help="wrk duration per endpoint")
    parser.add_argument(
        "--warmup-s",
        type=int,
        default=10,
        help="wrk runs this long before each measured load, its figures printed apart: the "
        "first answer for a sessions window waits for its render (0: no warm-up)",
    )
    parser.add_argument(
        "--think-ms",
        default="0,100",
        help="pauses between a connection's requests to compare, ms (0: saturate)",
    )
    parser.add_argument("--only", help="comma-separated endpoint names to load (default all)")
    parser.add_argument(
        "--api-key",
        default=os.environ.get("CURBSIDE_BENCH_API_KEY"),
        help="sent as Authorization: Bearer (default $CURBSIDE_BENCH_API_KEY, else an admin "
        "key the benchmark issues in its own keys file)",
    )
    parser.add_argument(
        "--api-env",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="an environment variable for the API process (repeatable), e.g. "
        "CURBSIDE_API_REFRESH_S=30",
    )
    parser.add_argument(
        "--profile",
        action="store_true",
        help="py-spy the API during each load (.run/bench/api-profile-<endpoint>-<think>.txt)",
    )
    parser.add_argument(
        "--trickle-per-s",
        type=float,
        help="sensor messages per second published during each load (default: the county's "
        "rates for the city's size; 0: none)",
    )
    parser.add_argument(
        "--processes",
        default="1",
        help="API processes to compare, comma-separated (CURBSIDE_API_PROCESSES), e.g. 1,2: "
        "each count is started in turn and loaded with every endpoint chosen",
    )
    parser.add_argument("--keep-services", action="store_true")
    parser.add_argument("--no-record", action="store_true", help="do not write docs/performance.md")
    return parser


def load_endpoints(
    stack: Stack,
    city: City,
    api: CurbsideProcess,
    args: argparse.Namespace,
    *,
    processes: int,
    trickle_per_s: float,
    records_url: str,
) -> list[Load]:
    """Each endpoint chosen, at each think time, while sensor messages trickle in."""
    loads = []
    for name, paths in endpoints(city, datetime.now(UTC)):
        if args.only and name not in args.only.split(","):
            continue
        for think_ms in (int(t) for t in args.think_ms.split(",")):
            wrk = Wrk(args.connections, args.seconds, think_ms, stack.api_key)
            wait_idle(api.pid, "the API", cpu_s=tree_cpu_s)
            out = RUN_DIR / f"api-profile-{name.replace(' ', '-')}-{think_ms}.txt"
            with Trickle(stack, city, trickle_per_s, records_url) as trickle:
                if args.warmup_s > 0:
                    warm = run_wrk(name, paths, api.pid, replace(wrk, seconds=args.warmup_s))
                    print(
                        f"{name}, think {think_ms} ms, warm-up {args.warmup_s} s (not counted): "
                        f"p50 {warm.p50_ms:.1f} ms, p99 {warm.p99_ms:.1f} ms, "
                        f"max {warm.max_ms:.0f} ms",
                        flush=True,
                    )
                spy = start_profile(api.pid, out) if args.profile else None
                loads.append(run_wrk(name, paths, api.pid, wrk, processes))
            if spy is not None:
                finish_profile(spy, out, f"the API, {name}, think {think_ms} ms")
            print(
                f"{name}, {processes} processes, think {think_ms} ms: "
                f"{loads[-1].rate:,.0f}/s, p99 {loads[-1].p99_ms:.1f} ms; "
                f"{trickle.sent:,} sensor messages sent, "
                f"{trickle.revisions:,} zone revisions moved",
                flush=True,
            )
    return loads


def tree_rss_bytes(pid: int) -> int:
    """Resident memory of a process and of the processes it started."""
    return proc_rss_bytes(pid) + sum(proc_rss_bytes(child) for child in child_pids(pid))


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark on services of its own."""
    parser = _parser()
    args = parser.parse_args(argv)
    city = write_city(RUN_DIR / "city.json", args.spaces, args.bins)
    trickle_per_s = county_rate(city) if args.trickle_per_s is None else args.trickle_per_s
    stack = Stack(RUN_DIR / "city.json", api_key=args.api_key)
    try:
        stack.start_services()
        influx = stack.influx()
        print(f"wrote {load_data(influx, city, args.alerts):,} points", flush=True)
        records_file = RUN_DIR / "api-records.sqlite3"
        for stale in RUN_DIR.glob("api-records.sqlite3*"):
            stale.unlink()
        records_url = f"sqlite:///{records_file}"
        stays = record_stays(records_url, city, datetime.now(UTC), random.Random(6))
        print(f"recorded {stays:,} stays", flush=True)
        # The bulk write leaves InfluxDB compacting for a while; measure the API, not that.
        wait_idle(stack.influxd_pid, "InfluxDB", timeout_s=600, quiet_s=3)
        loads: list[Load] = []
        rss: dict[int, int] = {}
        for processes in (int(n) for n in args.processes.split(",")):
            env = {
                "CURBSIDE_RECORDS_URL": records_url,
                "CURBSIDE_API_PROCESSES": str(processes),
                **_api_env(parser, args.api_env),
            }
            api = stack.start_api(env)
            check = check_answers(influx, city, stack.api_key)
            print(f"{processes} API processes; check: {check}", flush=True)
            loads += load_endpoints(
                stack,
                city,
                api,
                args,
                processes=processes,
                trickle_per_s=trickle_per_s,
                records_url=records_url,
            )
            feed = get_json("/health", stack.api_key)["broker"]
            print(
                f"the API's live feed (one of its processes) received {feed['received']:,} "
                f"sensor messages (refused: {feed['rejected'] or 'none'})",
                flush=True,
            )
            rss[processes] = tree_rss_bytes(api.pid)
            api.stop()
            stack.processes.remove(api)
        influx.close()
    finally:
        stack.close(keep_services=args.keep_services)
    given = list(argv if argv is not None else sys.argv[1:])
    if "--api-key" in given:  # a key never goes into docs/performance.md
        given[given.index("--api-key") + 1] = "…"
    command = command_line("tools.bench.api", given)
    section = report(
        loads,
        city,
        check=check,
        rss=rss,
        connections=args.connections,
        command=command,
        trickle_per_s=trickle_per_s,
    )
    publish(section, keep=not args.no_record)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
