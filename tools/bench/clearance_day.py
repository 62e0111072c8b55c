"""Benchmark a day of bin clearance: ``python -m tools.bench.clearance_day [--bins 20000]``.

Writes one local day of bin traffic for N bins (fill reports every 30 minutes, rising through
the day; emptyings as trucks and the fill level show them) into a scratch database on the
InfluxDB the ``CURBSIDE_INFLUX_*`` settings name, then times what the daily clearance report
(``GET /api/v1/sanitation/clearance``) does for that day: read every district's readings, then
detect the collections and judge each bin. The verdicts must match what the generator made
each bin do. Prints a table and appends it to ``docs/performance.md`` (``--no-record`` to
skip). The scratch database is dropped afterwards.
"""

from __future__ import annotations

import argparse
import random
import time
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from api.deps import local_day
from curbside.adapters.influx.client import InfluxClient
from curbside.adapters.influx.sanitation_history import (
    MARGIN_AFTER,
    MARGIN_BEFORE,
    SanitationHistoryReader,
)
from curbside.adapters.influx.schema import to_line
from curbside.city.registry import City
from curbside.config.rules import clearance_rules
from curbside.config.settings import load_settings
from curbside.domain.sanitation.clearance import ClearanceReport, ClearanceRules, summarise

# The composition GET /api/v1/sanitation/clearance and the alert evaluator use, so that the
# benchmark judges exactly as they do, not a copy of it.
from curbside.readmodels.clearance import district_day
from curbside.vocabulary.readings import BinEmptied, BinLevel
from tools.bench.city import bench_city
from tools.bench.record import command_line, machine_lines, publish
from tools.bench.scratch import scratch_database

REPORT_EVERY = timedelta(minutes=30)
BATCH = 5000
HOUR = 3600.0

# What the generator makes each bin do, and how many bins in a hundred do it.
ON_TIME = "emptied once before the deadline"
TWICE = "emptied twice before the deadline"
LATE = "emptied only after the deadline"
NEVER = "never emptied"
BEFORE_FILLED = "emptied at dawn and filled again"
QUIET = "never above 10 %"
MIX = {ON_TIME: 68, TWICE: 8, LATE: 8, NEVER: 8, BEFORE_FILLED: 5, QUIET: 3}
CLEARED = {ON_TIME, TWICE, LATE}
NOT_CLEARED = {NEVER, BEFORE_FILLED}

# A fill drop alone shows an emptying only from well above the detector's threshold
# (30 points down to at most 15 %); below that the truck's report is what shows it.
SENSOR_ONLY_FROM_PCT = 45.0


@dataclass(frozen=True, slots=True)
class Emptying:
    """One emptying: seconds after the local midnight, the refill rate after it, the truck."""

    at_s: float
    refill_per_h: float
    truck: str | None


@dataclass(frozen=True, slots=True)
class BinDay:
    """One bin's generated day: the level it starts the evening with and how it fills."""

    kind: str
    evening_pct: float
    morning_per_h: float
    emptyings: tuple[Emptying, ...]

    def level(self, at_s: float) -> float:
        """The bin's true fill level at ``at_s`` seconds after the local midnight (no noise)."""
        before = [e for e in self.emptyings if e.at_s <= at_s]
        if before:
            last = before[-1]
            # Emptied to 2 %, then filling at the rate that follows this emptying.
            return min(100.0, 2.0 + last.refill_per_h * (at_s - last.at_s) / HOUR)
        # Overnight the bin barely fills; from 06:00 the day's rubbish comes.
        overnight = min(at_s, 6 * HOUR) + MARGIN_BEFORE.total_seconds()
        level = self.evening_pct + (0.1 if self.kind == QUIET else 0.2) * overnight / HOUR
        return min(100.0, level + self.morning_per_h * max(0.0, at_s - 6 * HOUR) / HOUR)


def plan_bin(kind: str, rng: random.Random) -> BinDay:
    """A plausible day for a bin of this kind; times are seconds after the local midnight."""
    rate = rng.uniform(5, 12)  # % an hour: at least two points between 30-minute reports
    quiet_after = 0.25  # stays below 10 % until the next morning after an evening emptying
    if kind == QUIET:
        return BinDay(kind, rng.uniform(1, 3), 0.0, ())
    if kind == BEFORE_FILLED:
        # Yesterday's rubbish, emptied before the day's came in, which then was not. Full
        # enough that the low reading after the emptying is no glitch by the collection
        # rules: the reading after it stays a jump below the one before.
        dawn = Emptying(rng.uniform(5, 7) * HOUR, rate, f"T{rng.randrange(40):02d}")
        return BinDay(kind, rng.uniform(50, 80), 0.0, (dawn,))
    evening = rng.uniform(2, 5)
    # When in the local day (hours) each emptying comes, and how fast the bin refills after.
    windows = {
        ON_TIME: [(9.0, 18.4, quiet_after)],
        TWICE: [(9.0, 11.5, rate), (15.0, 18.4, quiet_after)],
        LATE: [(19.5, 23.0, quiet_after)],
    }
    times = [(rng.uniform(lo, hi) * HOUR, refill) for lo, hi, refill in windows.get(kind, [])]
    emptyings: list[Emptying] = []
    for at, refill in times:
        so_far = BinDay(kind, evening, rate, tuple(emptyings))
        sensor_only = so_far.level(at) >= SENSOR_ONLY_FROM_PCT and rng.random() < 0.25
        truck = None if sensor_only else f"T{rng.randrange(40):02d}"
        emptyings.append(Emptying(at, refill, truck))
    return BinDay(kind, evening, rate, tuple(emptyings))


def day_lines(
    city: City, day_start: datetime, seed: int
) -> tuple[list[str], dict[str, str], Counter[str]]:
    """The day's lines, each bin's kind by id, and how many emptyings a truck reported."""
    rng = random.Random(seed)
    kinds, weights = list(MIX), list(MIX.values())
    first = -MARGIN_BEFORE.total_seconds()
    last = (timedelta(days=1) + MARGIN_AFTER).total_seconds()
    lines: list[str] = []
    truth: dict[str, str] = {}
    counts: Counter[str] = Counter()
    for district in city.sanitation_districts:
        for b in district.bins:
            plan = plan_bin(rng.choices(kinds, weights)[0], rng)
            truth[b.id] = plan.kind
            at = first + rng.uniform(0, REPORT_EVERY.total_seconds())
            while at < last:
                # Sensor noise of about a point, never enough to cross 10 % back and forth.
                fill = max(0.0, min(100.0, plan.level(at) + rng.uniform(-0.9, 0.9)))
                ts = day_start + timedelta(seconds=int(at))
                lines.append(to_line(BinLevel(district.id, b.id, round(fill, 1), ts=ts)))
                at += REPORT_EVERY.total_seconds()
            for e in plan.emptyings:
                counts["truck reports" if e.truck else "seen by the sensor only"] += 1
                if e.truck is not None:
                    ts = day_start + timedelta(seconds=int(e.at_s))
                    lines.append(to_line(BinEmptied(district.id, b.id, ts=ts, truck=e.truck)))
    return lines, truth, counts


@dataclass(frozen=True, slots=True)
class Figures:
    """What one run measured."""

    lines: int
    levels_read: int
    reports_read: int
    write_s: float
    read_s: float
    read_cpu_s: float
    judge_s: float
    judge_cpu_s: float
    needed: int
    cleared: int
    not_cleared: int
    late: int
    kinds: Counter[str]
    emptyings: Counter[str]


def check(reports: list[ClearanceReport], truth: dict[str, str]) -> None:
    """Fail unless the verdicts are what the generator made each bin do."""
    want_needed = sum(1 for kind in truth.values() if kind != QUIET)
    want_not = sorted(b for b, kind in truth.items() if kind in NOT_CLEARED)
    want_late = sorted(b for b, kind in truth.items() if kind == LATE)
    got_not = sorted(b for r in reports for b in r.not_cleared)
    got_late = sorted(b for r in reports for b in r.late)
    got_needed = sum(r.needed for r in reports)
    problems = []
    if got_needed != want_needed:
        problems.append(f"{got_needed} bins needed clearance, generated {want_needed}")
    if got_not != want_not:
        wrong = sorted(set(got_not) ^ set(want_not))[:5]
        problems.append(f"not cleared: {len(got_not)}, generated {len(want_not)} (e.g. {wrong})")
    if got_late != want_late:
        wrong = sorted(set(got_late) ^ set(want_late))[:5]
        problems.append(f"late: {len(got_late)}, generated {len(want_late)} (e.g. {wrong})")
    if problems:
        raise SystemExit("clearance disagrees with the generated day: " + "; ".join(problems))


def measure(client: InfluxClient, city: City, rules: ClearanceRules, seed: int) -> Figures:
    """Write yesterday's bin traffic, then read and judge it as the endpoint does, timing each."""
    day = datetime.now(city.tz).date() - timedelta(days=1)
    start, end = local_day(city, day)
    lines, truth, emptyings = day_lines(city, start, seed)
    print(f"generated {len(lines):,} lines for {city.bin_count:,} bins")
    started = time.perf_counter()
    for offset in range(0, len(lines), BATCH):
        client.write(lines[offset : offset + BATCH])
    write_s = time.perf_counter() - started
    history = SanitationHistoryReader(client)
    # Asked the morning after: the day is complete, nothing is cut as from the future.
    now = end + MARGIN_AFTER + timedelta(hours=1)
    districts = city.sanitation_districts
    started, cpu = time.perf_counter(), time.process_time()
    read = [history.readings(d.id, start, end) for d in districts]
    read_s, read_cpu_s = time.perf_counter() - started, time.process_time() - cpu
    started, cpu = time.perf_counter(), time.process_time()
    reports = [
        summarise(district_day(r, d, day, city.tz, now, rules=rules))
        for d, r in zip(districts, read, strict=True)
    ]
    judge_s, judge_cpu_s = time.perf_counter() - started, time.process_time() - cpu
    check(reports, truth)
    return Figures(
        lines=len(lines),
        levels_read=sum(len(v) for r in read for v in r.levels.values()),
        reports_read=sum(len(v) for r in read for v in r.reports.values()),
        write_s=write_s,
        read_s=read_s,
        read_cpu_s=read_cpu_s,
        judge_s=judge_s,
        judge_cpu_s=judge_cpu_s,
        needed=sum(r.needed for r in reports),
        cleared=sum(r.cleared for r in reports),
        not_cleared=sum(len(r.not_cleared) for r in reports),
        late=sum(len(r.late) for r in reports),
        kinds=Counter(truth.values()),
        emptyings=emptyings,
    )


def report(f: Figures, bins: int, districts: int, command: str) -> str:
    """The figures as a Markdown section for docs/performance.md."""
    read = f.levels_read + f.reports_read
    mix = "; ".join(f"{kind} {f.kinds[kind]:,}" for kind in MIX)
    seen = " and ".join(f"{how} {n:,}" for how, n in sorted(f.emptyings.items()))
    return "\n".join(
        [
            f"### Clearance for one day of {bins:,} bins, {datetime.now(UTC):%Y-%m-%d %H:%M UTC}",
            "",
            *machine_lines(command),
            "",
            "| step | seconds | CPU s (this process) | rate |",
            "| --- | ---: | ---: | ---: |",
            f"| read {f.levels_read:,} fill readings and {f.reports_read:,} emptied reports "
            f"({districts:,} districts, one request of two queries each) | {f.read_s:.2f} "
            f"| {f.read_cpu_s:.2f} | {read / f.read_s:,.0f} readings/s, "
            f"{bins / f.read_s:,.0f} bins/s |",
            f"| detect collections, judge every bin, count per district | {f.judge_s:.2f} "
            f"| {f.judge_cpu_s:.2f} | {bins / f.judge_s:,.0f} bins/s |",
            f"| both | {f.read_s + f.judge_s:.2f} | {f.read_cpu_s + f.judge_cpu_s:.2f} "
            f"| {bins / (f.read_s + f.judge_s):,.0f} bins/s |",
            "",
            f"Verdicts: {f.needed:,} bins needed clearance, {f.cleared:,} cleared "
            f"({f.late:,} of them late), {f.not_cleared:,} not cleared: exactly the bins the "
            f"generator emptied, emptied late, and never emptied or emptied before they filled "
            f"(checked bin by bin). Generated: {mix}. Emptyings: {seen}. Writing the day "
            f"took {f.write_s:.1f} s ({f.lines / f.write_s:,.0f} points/s, batches of "
            f"{BATCH:,}, one writer).",
            "",
        ]
    )


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark against the configured InfluxDB."""
    parser = argparse.ArgumentParser(
        prog="python -m tools.bench.clearance_day", description=__doc__
    )
    parser.add_argument("--bins", type=int, default=20_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--no-record", action="store_true", help="do not write docs/performance.md")
    args = parser.parse_args(argv)
    settings = load_settings()
    city = bench_city(0, args.bins)
    with scratch_database(settings) as client:
        figures = measure(client, city, clearance_rules(settings), args.seed)
    command = command_line("tools.bench.clearance_day", argv)
    section = report(figures, args.bins, len(city.sanitation_districts), command)
    publish(section, keep=not args.no_record)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
