"""Benchmark a day of parking: ``python -m tools.bench.sessions_day [--spaces 10000]``.

Writes one local day of status reports for N spaces (heartbeats every 10 min, about a dozen
stays a space) into a scratch database on the InfluxDB the ``CURBSIDE_INFLUX_*`` settings
name, then times what the revenue endpoint does for that day: read every zone's reports,
derive the sessions, and price them with the scalar and the vectorised fee engines. Prints a
table and appends it to ``docs/performance.md`` (``--no-record`` to skip). The scratch
database is dropped afterwards.
"""

from __future__ import annotations

import argparse
import bisect
import random
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import numpy as np

from curbside.adapters.influx.client import InfluxClient
from curbside.adapters.influx.history import HistoryReader
from curbside.adapters.influx.lineprotocol import encode_line
from curbside.adapters.influx.schema import PARKING
from curbside.city.registry import City
from curbside.config.settings import load_settings
from curbside.domain.parking.fees import compute_fee
from curbside.domain.parking.fees_vectorised import compute_fees
from curbside.domain.parking.sessions import Session, SessionRules
from tools.bench.city import bench_city
from tools.bench.record import command_line, machine_lines, publish
from tools.bench.scratch import scratch_database

HEARTBEAT = timedelta(minutes=10)
BATCH = 5000


def day_lines(city: City, day_start: datetime, seed: int) -> tuple[list[str], int]:
    """Status lines for one day, and how many stays ended within it."""
    rng = random.Random(seed)
    day_s = 86_400
    lines: list[str] = []
    stays_ended = 0
    for zone in city.parking_zones:
        for space in zone.spaces:
            tags = {"zone": zone.id, "space": space.id}
            changes: list[tuple[int, bool]] = []
            t = rng.uniform(0, 3600)
            while t < day_s:
                stay = min(rng.lognormvariate(np.log(3000), 0.8), 6 * 3600)
                changes.append((int(t), True))
                if t + stay < day_s:
                    changes.append((int(t + stay), False))
                    stays_ended += 1
                t += stay + rng.expovariate(1 / 4000)
            for second, occupied in changes:
                ts = day_start + timedelta(seconds=second)
                lines.append(encode_line(PARKING, tags, {"occupied": int(occupied)}, ts))
            times = [second for second, _ in changes]
            beat = rng.uniform(0, HEARTBEAT.total_seconds())
            while beat < day_s:
                index = bisect.bisect_right(times, beat)
                occupied = changes[index - 1][1] if index else False
                ts = day_start + timedelta(seconds=int(beat))
                lines.append(encode_line(PARKING, tags, {"occupied": int(occupied)}, ts))
                beat += HEARTBEAT.total_seconds()
    return lines, stays_ended


@dataclass(frozen=True, slots=True)
class Figures:
    """What one run measured."""

    reports: int
    stays_ended: int
    sessions: int
    write_s: float
    read_s: float
    scalar_s: float
    vector_s: float
    total_fen: int


def price_scalar(city: City, sessions: list[Session]) -> int:
    """Total fen of the sessions, one compute_fee call each."""
    total = 0
    for s in sessions:
        assert s.end is not None
        tariff = city.tariff_for_zone(s.zone)
        total += compute_fee(tariff, s.start, s.end, city.workday_calendar, city.tz).total_fen
    return total


def price_vectorised(city: City, sessions: list[Session]) -> int:
    """Total fen of the sessions, one compute_fees call per tariff."""
    total = 0
    zone_tariff = {z.id: z.tariff for z in city.parking_zones}
    for tariff_id, tariff in city.tariffs.items():
        mine = [s for s in sessions if zone_tariff[s.zone] == tariff_id and s.end is not None]
        entries = np.array([int(s.start.timestamp()) for s in mine], dtype=np.int64)
        exits = np.array([int(s.end.timestamp()) for s in mine if s.end], dtype=np.int64)
        total += int(compute_fees(tariff, entries, exits, city.workday_calendar, city.tz).sum())
    return total


def measure(client: InfluxClient, city: City, seed: int) -> Figures:
    """Write yesterday's reports, then read, derive and price them, timing each step."""
    local_midnight = datetime.now(city.tz).replace(hour=0, minute=0, second=0, microsecond=0)
    day_start = (local_midnight - timedelta(days=1)).astimezone(UTC)
    day_end = day_start + timedelta(days=1)
    lines, stays_ended = day_lines(city, day_start, seed)
    print(f"generated {len(lines):,} reports for {city.space_count:,} spaces")
    started = time.perf_counter()
    for offset in range(0, len(lines), BATCH):
        client.write(lines[offset : offset + BATCH])
    write_s = time.perf_counter() - started
    rules = SessionRules(debounce=timedelta(seconds=60), silent_after=timedelta(hours=1))
    history = HistoryReader(client, rules, rules.silent_after)
    started = time.perf_counter()
    sessions: list[Session] = []
    for zone in city.parking_zones:
        spaces = [s.id for s in zone.spaces]
        now = day_end + timedelta(hours=1)
        sessions.extend(history.ended_sessions(zone.id, spaces, day_start, day_end, now=now))
    read_s = time.perf_counter() - started
    started = time.perf_counter()
    scalar_fen = price_scalar(city, sessions)
    scalar_s = time.perf_counter() - started
    started = time.perf_counter()
    vector_fen = price_vectorised(city, sessions)
    vector_s = time.perf_counter() - started
    if scalar_fen != vector_fen:
        raise SystemExit(f"engines disagree: scalar {scalar_fen} fen, vectorised {vector_fen}")
    return Figures(
        len(lines), stays_ended, len(sessions), write_s, read_s, scalar_s, vector_s, scalar_fen
    )


def report(f: Figures, spaces: int, command: str) -> str:
    """The figures as a Markdown section for docs/performance.md."""
    return "\n".join(
        [
            f"### Sessions and fees for one day of {spaces:,} spaces, "
            f"{datetime.now(UTC):%Y-%m-%d %H:%M UTC}",
            "",
            *machine_lines(command),
            "",
            "| step | seconds | rate |",
            "| --- | ---: | ---: |",
            f"| read {f.reports:,} reports, derive {f.sessions:,} sessions "
            f"({f.stays_ended:,} generated stays ended that day, plus each space's last "
            f"stay, cut by the end of the data) | {f.read_s:.2f} "
            f"| {f.reports / f.read_s:,.0f} reports/s |",
            f"| fees, scalar engine | {f.scalar_s:.2f} "
            f"| {f.sessions / f.scalar_s:,.0f} sessions/s |",
            f"| fees, vectorised engine | {f.vector_s:.3f} "
            f"| {f.sessions / f.vector_s:,.0f} sessions/s |",
            "",
            f"Both engines: ¥{f.total_fen // 100:,}.{f.total_fen % 100:02d} for the day. "
            f"Writing the day took {f.write_s:.1f} s ({f.reports / f.write_s:,.0f} points/s, "
            f"batches of {BATCH:,}, one writer).",
            "",
        ]
    )


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark against the configured InfluxDB."""
    parser = argparse.ArgumentParser(prog="python -m tools.bench.sessions_day", description=__doc__)
    parser.add_argument("--spaces", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--no-record", action="store_true", help="do not write docs/performance.md")
    args = parser.parse_args(argv)
    settings = load_settings()
    with scratch_database(settings) as client:
        figures = measure(client, bench_city(args.spaces), args.seed)
    command = command_line("tools.bench.sessions_day", argv)
    section = report(figures, args.spaces, command)
    publish(section, keep=not args.no_record)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
