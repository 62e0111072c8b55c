"""Benchmark: does the recorder keep up with a city's status reports, and how far behind is it?

Starts the benchmark's Mosquitto (tools/bench/stack.py) and ``python -m curbside.recorder`` on
a fresh record store, then publishes status reports of ``--spaces`` spaces round robin at
``--rate`` messages a second for ``--seconds``, as the sensors would (each space every
spaces/rate seconds). The
record store's count of reports is polled twice a second; the lag at a poll is how long ago
the newest recorded message was published. Prints the lag's p50, p99 and maximum, and how long
the recorder took to drain after the last publish.

    python -m tools.bench.recorder --spaces 10000 --rate 1000 --seconds 60
"""

from __future__ import annotations

import argparse
import os
import random
import time
from bisect import bisect_left
from dataclasses import dataclass
from datetime import UTC, datetime

import numpy as np
from sqlalchemy import Engine, func, select

from curbside.adapters.records.engine import record_engine
from curbside.adapters.records.models import SpaceReport
from curbside.city.registry import City
from tools.bench.city import write_city
from tools.bench.record import command_line, machine_lines, publish
from tools.bench.stack import RUN_DIR, Stack
from tools.bench.traffic import Device, Publisher, message
from tools.harness.processes import wait_for

CLIENT_ID = "bench-recorder"


@dataclass(frozen=True, slots=True)
class _Run:
    began: float
    sent_at: list[float]  # when each message was handed to the broker (monotonic)
    polls: list[tuple[float, int]]  # (when, reports recorded by then)
    drained_at: float


def _recorded(engine: Engine) -> int:
    with engine.connect() as connection:
        return int(connection.scalar(select(func.count()).select_from(SpaceReport)) or 0)


def _publish_and_watch(
    stack: Stack, city: City, engine: Engine, rate: float, seconds: float
) -> _Run:
    spaces = [Device(f"parking/{z.id}/{s.id}", True) for z in city.parking_zones for s in z.spaces]
    rng = random.Random(5)
    publisher = Publisher(stack.access("test"), client_id="bench-recorder-publisher")
    total = int(rate * seconds)
    sent_at: list[float] = []
    polls: list[tuple[float, int]] = []
    began = time.monotonic()
    next_poll = began
    for n in range(total):
        due = began + n / rate
        while (now := time.monotonic()) < due:
            publisher.service(min(0.005, due - now))
        publisher.publish(message(spaces[n % len(spaces)], datetime.now(UTC), rng))
        sent_at.append(time.monotonic())
        if sent_at[-1] >= next_poll:
            polls.append((time.monotonic(), _recorded(engine)))
            next_poll += 0.5
    publisher.wait_acked(total, 120)
    while (count := _recorded(engine)) < total:
        polls.append((time.monotonic(), count))
        if time.monotonic() - sent_at[-1] > 600:
            raise SystemExit(f"bench: the recorder recorded {count} of {total} in 10 min")
        time.sleep(0.5)
    publisher.close()
    return _Run(began, sent_at, polls, time.monotonic())


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
    parser.add_argument("--rate", type=float, default=1000.0, help="messages per second")
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--url", help="record store URL (default: a new SQLite file)")
    parser.add_argument("--record", action="store_true", help="add to docs/performance.md")
    args = parser.parse_args(argv)
    RUN_DIR.mkdir(parents=True, exist_ok=True)
    city = write_city(RUN_DIR / "recorder-city.json", args.spaces, 0)
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
    load_before = os.getloadavg()[0]
    try:
        wait_for(
            lambda: "connected to the broker (session" in recorder.log.read_text(),
            60,
            "the recorder",
        )
        run = _publish_and_watch(stack, city, engine, args.rate, args.seconds)
    finally:
        engine.dispose()
        stack.close()
    load_after = os.getloadavg()[0]
    lags = _lags(run)
    total = len(run.sent_at)
    achieved = total / max(run.sent_at[-1] - run.began, 1e-9)
    lines = [
        f"### The recorder at {args.spaces:,} spaces, {args.rate:,.0f} messages/s",
        "",
        *machine_lines(command_line("tools.bench.recorder", argv)),
        f"- store: {url.split(':', 1)[0]}; {total:,} status reports published at "
        f"{achieved:,.0f}/s (QoS 1); one transaction per batch, acknowledged after commit",
        # The machine is shared: the load says how much of it the run had.
        f"- load average (1 min) before and after: {load_before:.2f}, {load_after:.2f}",
        "",
        "| lag behind the publisher (s) | p50 | p99 | max | drained after the last publish |",
        "|---|---|---|---|---|",
        f"| | {np.percentile(lags, 50):.1f} | {np.percentile(lags, 99):.1f} | "
        f"{max(lags):.1f} | {run.drained_at - run.sent_at[-1]:.1f} |",
        "",
    ]
    publish("\n".join(lines), keep=args.record)


if __name__ == "__main__":
    main()
