"""Benchmark the fee engines: ``python -m tools.bench.fees [--stays 1000000] [--sample 20000]``.

Generates seeded random stays over the demo tariffs (a week of a county's kerbside: mostly
daytime arrivals, stays of minutes to hours, a few overnight and multi-day), times the
vectorised engine on all of them and the scalar engine on a sample (extrapolated), checks the
two agree on the sample, prints a table and appends a dated results section to
``docs/performance.md`` (``--no-record`` to skip that).
"""

from __future__ import annotations

import argparse
import sys
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import numpy.typing as npt

from curbside.city.registry import City, load_city
from curbside.domain.parking.fees import compute_fee, from_seconds, wall_to_seconds
from curbside.domain.parking.fees_vectorised import compute_fees
from tools.bench.record import command_line, machine_lines, publish

ROOT = Path(__file__).resolve().parents[2]
CITY_FILE = ROOT / "curbside" / "city" / "demo-city.yaml"
WEEK_START = datetime(2026, 3, 2)  # noqa: DTZ001 - a local Monday, given the city's zone below
DAY_S = 86_400


@dataclass(frozen=True, slots=True)
class Stays:
    """Random stays: which tariff each is under, and entry and exit in epoch seconds."""

    tariff: npt.NDArray[np.int64]  # index into the sorted tariff ids
    entries: npt.NDArray[np.int64]
    exits: npt.NDArray[np.int64]


@dataclass(frozen=True, slots=True)
class Timing:
    """One engine's run: stays priced and seconds taken."""

    stays: int
    seconds: float

    @property
    def per_second(self) -> float:
        return self.stays / self.seconds


def random_stays(city: City, count: int, seed: int = 20261127) -> Stays:
    """Seeded stays over a week, spread over the demo tariffs in proportion to their spaces."""
    rng = np.random.default_rng(seed)
    ids = sorted(city.tariffs)
    spaces = np.array(
        [sum(len(z.spaces) for z in city.parking_zones if z.tariff == t) for t in ids]
    )
    tariff = rng.choice(len(ids), size=count, p=spaces / spaces.sum())
    week = int(WEEK_START.replace(tzinfo=city.tz).timestamp())
    # Arrivals: the day of the week uniform, the hour mostly 07:00 to 21:00.
    hour = np.clip(rng.normal(13.5, 4.0, count), 0, 23.999)
    entries = week + rng.integers(0, 7, count) * DAY_S + (hour * 3600).astype(np.int64)
    # Stays: lognormal around 50 minutes; one in 30 overnight or longer, up to three days.
    durations = np.exp(rng.normal(np.log(50 * 60), 1.1, count)).astype(np.int64)
    long = rng.random(count) < 1 / 30
    durations[long] = rng.integers(6 * 3600, 3 * DAY_S, int(long.sum()))
    return Stays(tariff=tariff, entries=entries, exits=entries + durations)


def time_vectorised(
    city: City, stays: Stays, repeats: int = 3
) -> tuple[Timing, npt.NDArray[np.int64]]:
    """Best of ``repeats`` runs of the vectorised engine over all the stays."""
    ids = sorted(city.tariffs)
    fees = np.zeros(stays.entries.size, dtype=np.int64)
    best = float("inf")
    for _ in range(repeats):
        started = time.perf_counter()
        for index, tariff_id in enumerate(ids):
            mine = stays.tariff == index
            fees[mine] = compute_fees(
                city.tariffs[tariff_id],
                stays.entries[mine],
                stays.exits[mine],
                city.workday_calendar,
                city.tz,
            )
        best = min(best, time.perf_counter() - started)
    return Timing(stays.entries.size, best), fees


def time_scalar(city: City, stays: Stays, sample: int) -> tuple[Timing, list[int]]:
    """The scalar engine on the first ``sample`` stays (datetimes made before timing)."""
    ids = sorted(city.tariffs)
    cases = [
        (
            city.tariffs[ids[int(stays.tariff[i])]],
            from_seconds(int(stays.entries[i])),
            from_seconds(int(stays.exits[i])),
        )
        for i in range(min(sample, stays.entries.size))
    ]
    calendar, tz = city.workday_calendar, city.tz
    wall_to_seconds.cache_clear()  # start cold: the vectorised run filled the same cache
    started = time.perf_counter()
    fees = [compute_fee(t, entry, exit_, calendar, tz).total_fen for t, entry, exit_ in cases]
    return Timing(len(cases), time.perf_counter() - started), fees


def report(vectorised: Timing, scalar: Timing, fen: int, command: str) -> str:
    """The results as a Markdown section: the machine, the command and the table."""
    when = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    ratio = vectorised.per_second / scalar.per_second
    return "\n".join(
        [
            f"### Fee engines, {when}",
            "",
            *machine_lines(command),
            "",
            "| engine | stays timed | seconds | stays/s |",
            "| --- | ---: | ---: | ---: |",
            f"| vectorised (best of 3) | {vectorised.stays:,} | {vectorised.seconds:.3f} "
            f"| {vectorised.per_second:,.0f} |",
            f"| scalar (sample) | {scalar.stays:,} | {scalar.seconds:.3f} "
            f"| {scalar.per_second:,.0f} |",
            "",
            f"Vectorised / scalar: {ratio:,.0f}×. Scalar for all {vectorised.stays:,} stays "
            f"would take about {vectorised.stays / scalar.per_second:,.0f} s. The sample agreed "
            f"to the fen (¥{fen // 100:,}.{fen % 100:02d} in all).",
            "",
        ]
    )


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark; 1 if the engines disagree on the sample."""
    parser = argparse.ArgumentParser(prog="python -m tools.bench.fees", description=__doc__)
    parser.add_argument("--stays", type=int, default=1_000_000, help="stays for the vectorised run")
    parser.add_argument("--sample", type=int, default=20_000, help="stays for the scalar run")
    parser.add_argument("--no-record", action="store_true", help="do not write docs/performance.md")
    args = parser.parse_args(argv)

    city = load_city(CITY_FILE)
    stays = random_stays(city, args.stays)
    vectorised, bulk = time_vectorised(city, stays)
    scalar, reference = time_scalar(city, stays, args.sample)
    disagree = np.flatnonzero(bulk[: len(reference)] != np.array(reference, dtype=np.int64))
    if disagree.size:
        first = int(disagree[0])
        print(
            f"{disagree.size} of {len(reference)} stays disagree, e.g. stay {first}: "
            f"vectorised {bulk[first]} fen, scalar {reference[first]} fen",
            file=sys.stderr,
        )
        return 1
    command = command_line("tools.bench.fees", argv)
    section = report(vectorised, scalar, sum(reference), command)
    publish(section, keep=not args.no_record)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
