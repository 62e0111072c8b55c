"""Benchmark: does the recorder keep up with a city's sensor traffic, and how far behind is it?

Starts the benchmark's Mosquitto (tools/bench/stack.py) and ``python -m curbside.recorder`` on
a fresh record store, then publishes ``--rate`` messages a second for ``--seconds``.

The messages are the simulator's own stream (simulators/), not made-up reports: every space
and bin of a generated city of ``--spaces`` spaces and ``--bins`` bins (a truck for every 50
bins, as in the demo county), from 17:00 local time yesterday on (the evening peak and the
afternoon rounds), after the first 15 simulated minutes of the simulation (the start-up burst in
which every sensor says where it stands). Cars arrive and leave
at the simulator's rates (peak 1.6 arrivals an hour at a free main-road space, stays of median
50 minutes), spaces send each change and a heartbeat every 10 minutes, bins their fill every 15
minutes and the morning rounds' emptyings. A city of that size sends far fewer than 1,000
messages a second, so the stream is replayed faster than it happened (the speed-up is printed):
stays open and close, charges, occupied hours and day totals are written as they would be.

On an empty store the recorder's first tick freezes the day that closed last (every bin's
verdict, as it does at 02:00 local every day) and re-checks it; the benchmark waits for that
to end, prints its CPU, and only then publishes. The record store's count of status reports
is polled twice a second; the lag at a poll is how long ago the newest recorded status report
was published. Prints the lag's p50, p99 and maximum, how long the recorder took to drain
after the last publish, what it recorded, and the CPU it took.

    python -m tools.bench.recorder --spaces 10000 --bins 20000 --rate 1000 --seconds 60
"""

from __future__ import annotations

import argparse
import os
import time
from bisect import bisect_left
from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta
from datetime import time as clock_time
from pathlib import Path

import numpy as np
from sqlalchemy import Engine, func, select

from curbside.adapters.records.engine import record_engine
from curbside.adapters.records.models import (
    Charge,
    ParkingSession,
    SpaceReport,
    ZoneDayTotals,
    ZoneOccupancyHour,
)
from curbside.city.registry import City
from simulators.fleet import build_fleet
from simulators.payloads import encode
from simulators.plan import TrafficPlan
from simulators.schedule import merged_events
from simulators.timestamps import local_instant
from tools.bench.city import write_city
from tools.bench.record import command_line, machine_lines, publish
from tools.bench.stack import RUN_DIR, Stack, finish_profile, start_profile
from tools.bench.traffic import Message, Publisher
from tools.harness.processes import proc_cpu_s, wait_for

CLIENT_ID = "bench-recorder"
# Yesterday 16:45 local: the evening's peak of arrivals and departures, and the trucks'
# afternoon rounds under way.
SIMULATED_FROM = clock_time(16, 45)
# Skipped: at its start the simulator has every sensor report at once.
WARM_UP_S = 900


@dataclass(frozen=True, slots=True)
class _Stream:
    messages: list[Message]
    simulated_s: int  # from the first message's ts to the last's

    def mix(self) -> Counter[str]:
        return Counter(m.measurement for m in self.messages)


# Each kind of message by the measurement its point lands in (as tools/bench/traffic.py names it).
_MEASUREMENT = {"status": "parking_status", "fill": "bin_level", "emptied": "bin_emptied"}


def _stream(city: City, count: int) -> _Stream:
    """The simulator's first ``count`` messages after the warm-up (see the module's docstring)."""
    day = (datetime.now(city.tz) - timedelta(days=1)).date()
    start = local_instant(day, SIMULATED_FROM, city.tz)
    plan = TrafficPlan(seed=5, start=start, tz=city.tz)
    messages: list[Message] = []
    first = last = start
    for event in merged_events(build_fleet(city, plan)):
        if event.t < start + WARM_UP_S:
            continue
        encoded = encode(event, city.tz, seq=True)
        if encoded is None:
            continue
        if not messages:
            first = event.t
        last = event.t
        messages.append(Message(encoded.topic, encoded.payload, _MEASUREMENT[encoded.kind]))
        if len(messages) == count:
            break
    return _Stream(messages, last - first)


@dataclass(frozen=True, slots=True)
class _Run:
    began: float
    sent_at: list[float]  # when each status report was handed to the broker (monotonic)
    ended: float  # when the last message was
    polls: list[tuple[float, int]]  # (when, status reports recorded by then)
    drained_at: float


def _recorded(engine: Engine) -> int:
    with engine.connect() as connection:
        return int(connection.scalar(select(func.count()).select_from(SpaceReport)) or 0)


def _publish_and_watch(stack: Stack, stream: _Stream, engine: Engine, rate: float) -> _Run:
    publisher = Publisher(stack.access("test"), client_id="bench-recorder-publisher")
    total = len(stream.messages)
    sent_at: list[float] = []
    polls: list[tuple[float, int]] = []
    began = time.monotonic()
    next_poll = began
    for n, m in enumerate(stream.messages):
        due = began + n / rate
        while (now := time.monotonic()) < due:
            publisher.service(min(0.005, due - now))
        publisher.publish(m)
        if m.measurement == "parking_status":
            sent_at.append(time.monotonic())
        if time.monotonic() >= next_poll:
            polls.append((time.monotonic(), _recorded(engine)))
            next_poll += 0.5
    ended = time.monotonic()
    publisher.wait_acked(total, 120)
    while (count := _recorded(engine)) < len(sent_at):
        polls.append((time.monotonic(), count))
        if time.monotonic() - ended > 600:
            raise SystemExit(f"bench: the recorder recorded {count} of {len(sent_at)} in 10 min")
        time.sleep(0.5)
    publisher.close()
    return _Run(began, sent_at, ended, polls, time.monotonic())


def _backends_cpu_s(database: str) -> float:
    """CPU seconds of the PostgreSQL backends serving ``database`` (the recorder's connections
    and this benchmark's polls): on PostgreSQL half the work is there, not in the recorder."""
    total = 0.0
    for proc in Path("/proc").iterdir():
        try:
            title = (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            if proc.name.isdigit() and title.startswith(f"postgres: curbside {database} "):
                total += proc_cpu_s(int(proc.name))
        except OSError:
            continue  # gone meanwhile, or not ours to read
    return total


def _written(engine: Engine) -> str:
    # What the run recorded besides the reports: shows the stream made stays, not just reports.
    with engine.connect() as connection:
        stays = dict(
            connection.execute(
                select(ParkingSession.status, func.count()).group_by(ParkingSession.status)
            ).all()
        )
        counts = {
            table.__tablename__: connection.scalar(select(func.count()).select_from(table))
            for table in (Charge, ZoneOccupancyHour, ZoneDayTotals)
        }
    return (
        f"stays {stays.get('closed', 0):,} closed, {stays.get('open', 0):,} open, "
        f"{stays.get('void', 0):,} void; charges {counts['charges']:,}; zone-hours "
        f"{counts['zone_occupancy_hours']:,}; zone-day totals {counts['zone_day_totals']:,}"
    )


def _lags(run: _Run) -> list[float]:
    # At a poll: how long ago the newest recorded message was published (0 when the recorder
    # has everything sent so far).
    lags = []
    for at, count in run.polls:
        if count == 0:
            continue
        published = bisect_left(run.sent_at, at)
        lags.append(0.0 if count >= published else at - run.sent_at[count - 1])
    return lags


def main(argv: list[str] | None = None) -> None:
    """Run, measure, print (and with --record add to docs/performance.md)."""
    parser = argparse.ArgumentParser(prog="python -m tools.bench.recorder", description=__doc__)
    parser.add_argument("--spaces", type=int, default=10_000)
    parser.add_argument("--bins", type=int, default=20_000)
    parser.add_argument("--rate", type=float, default=1000.0, help="messages per second")
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--url", help="record store URL (default: a new SQLite file)")
    parser.add_argument("--record", action="store_true", help="add to docs/performance.md")
    parser.add_argument("--profile", action="store_true", help="py-spy the recorder")
    args = parser.parse_args(argv)
    RUN_DIR.mkdir(parents=True, exist_ok=True)
    city = write_city(RUN_DIR / "recorder-city.json", args.spaces, args.bins, trucks=True)
    stream = _stream(city, int(args.rate * args.seconds))
    for leftover in RUN_DIR.glob("recorder-records.sqlite3*"):
        leftover.unlink()
    url = args.url or f"sqlite:///{RUN_DIR / 'recorder-records.sqlite3'}"
    stack = Stack(city_file=RUN_DIR / "recorder-city.json")
    stack.start_services()
    stack.forget_sessions([CLIENT_ID])
    recorder = stack.spawn(
        "recorder",
        ["curbside.recorder"],
        {
            **stack.login_env("recorder"),
            "CURBSIDE_RECORDER_CLIENT_ID": CLIENT_ID,
            "CURBSIDE_RECORDS_URL": url,
            "CURBSIDE_LOG_LEVEL": "INFO",
        },
    )
    engine = record_engine(url)
    is_pg = engine.dialect.name == "postgresql"
    load_before = os.getloadavg()[0]
    try:
        wait_for(
            lambda: "connected to the broker (session" in recorder.log.read_text(),
            60,
            "the recorder",
        )
        # On an empty store the first tick freezes the day that closed last: every bin's
        # verdict at once, as at 02:00 local every day, then re-checks it against InfluxDB.
        # That pause is measured on its own (its CPU), not mixed into the stream's lag.
        wait_for(
            lambda: "re-checked the verdicts of" in recorder.log.read_text(),
            600,
            "the recorder's first freeze and re-check",
            interval_s=0.5,
        )
        startup_cpu_s = proc_cpu_s(recorder.pid)
        database = engine.url.database or ""
        startup_database_cpu_s = _backends_cpu_s(database) if is_pg else 0.0
        profile_out = RUN_DIR / "recorder-profile.txt"
        spy = start_profile(recorder.pid, profile_out) if args.profile else None
        run = _publish_and_watch(stack, stream, engine, args.rate)
        if spy is not None:
            finish_profile(spy, profile_out, "the recorder")
        recorder_cpu_s = proc_cpu_s(recorder.pid) - startup_cpu_s
        database_cpu_s = (_backends_cpu_s(database) - startup_database_cpu_s) if is_pg else 0.0
        written = _written(engine)
    finally:
        engine.dispose()
        stack.close()
    load_after = os.getloadavg()[0]
    lags = _lags(run)
    total = len(stream.messages)
    achieved = total / max(run.ended - run.began, 1e-9)
    mix = stream.mix()
    lines = [
        f"### The recorder at {args.spaces:,} spaces and {args.bins:,} bins, "
        f"{args.rate:,.0f} messages/s",
        "",
        *machine_lines(command_line("tools.bench.recorder", argv)),
        f"- store: {url.split(':', 1)[0]}; {total:,} messages published at {achieved:,.0f}/s "
        f"(QoS 1): {mix['parking_status']:,} status reports, {mix['bin_level']:,} fill "
        f"levels, {mix['bin_emptied']:,} emptyings, {stream.simulated_s / 60:.0f} simulated "
        f"minutes ({stream.simulated_s / max(run.ended - run.began, 1e-9):.0f} times real time); "
        "one transaction per batch, acknowledged after commit",
        f"- recorded: {written}",
        # CPU per message is what compares across runs on a shared machine.
        f"- recorder CPU: start-up and freezing the last closed day's {args.bins:,} verdicts "
        f"{startup_cpu_s:.1f} s (before publishing); the stream {recorder_cpu_s:.1f} s "
        f"({1000 * recorder_cpu_s / total:.2f} ms a message)"
        + (
            f", PostgreSQL backends {database_cpu_s:.1f} s "
            f"({1000 * database_cpu_s / total:.2f} ms a message)"
            if is_pg
            else ""
        ),
        # The machine is shared: the load says how much of it the run had.
        f"- load average (1 min) before and after: {load_before:.2f}, {load_after:.2f}",
        "",
        "| lag behind the publisher (s) | p50 | p99 | max | drained after the last publish |",
        "|---|---|---|---|---|",
        f"| | {np.percentile(lags, 50):.1f} | {np.percentile(lags, 99):.1f} | "
        f"{max(lags):.1f} | {run.drained_at - run.ended:.1f} |",
        "",
    ]
    publish("\n".join(lines), keep=args.record)


if __name__ == "__main__":
    main()
