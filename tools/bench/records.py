"""Benchmark: month reports from the record store through the API, at city scale.

Fills a record store (SQLite by default, or --url) with a generated month: ``--spaces`` spaces
in zones of 100, each with ``--stays`` closed stays a day and their charges, the zones' occupied
hours, and ``--bins`` bins' daily clearance verdicts, with the day totals the recorder keeps;
then starts ``python -m api`` on it (tools/bench/stack.py: the benchmark's Mosquitto and InfluxDB)
and asks over HTTP for the month's parking report by zone and by day for the city, and the
month's clearance report by district, ``--requests`` times each; prints p50 and p99.

    python -m tools.bench.records --spaces 10000 --bins 20000 --days 30
"""

from __future__ import annotations

import argparse
import os
import random
import time
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any

import httpx
import numpy as np
from sqlalchemy import Engine, func, insert, select

from curbside.adapters.records.day_totals import refresh_district_days, refresh_zone_days
from curbside.adapters.records.engine import record_engine, session_factory
from curbside.adapters.records.migrate import upgrade
from curbside.adapters.records.models import (
    Charge,
    ClearanceVerdict,
    ParkingSession,
    ZoneOccupancyHour,
)
from curbside.city.registry import City
from tools.bench.city import bench_city, write_city
from tools.bench.record import command_line, machine_lines, publish
from tools.bench.stack import API_PORT, RUN_DIR, Stack

CHUNK = 20_000
FIRST = date(2026, 3, 1)


def _chunks(rows: Iterator[dict[str, Any]]) -> Iterator[list[dict[str, Any]]]:
    batch: list[dict[str, Any]] = []
    for row in rows:
        batch.append(row)
        if len(batch) == CHUNK:
            yield batch
            batch = []
    if batch:
        yield batch


def fill(engine: Engine, city: City, days: int, stays: int, seed: int) -> dict[str, int]:
    """A month of records; returns how many rows of each kind."""
    rng = random.Random(seed)
    tz = city.tz
    counts = {"sessions": 0, "verdicts": 0, "hours": 0}
    now = datetime.now(UTC)

    def sessions_and_charges() -> Iterator[tuple[dict[str, Any], dict[str, Any]]]:
        row_id = 0
        for offset in range(days):
            day = FIRST + timedelta(days=offset)
            base = datetime(day.year, day.month, day.day, 8, tzinfo=tz).astimezone(UTC)
            for zone in city.parking_zones:
                for space in zone.spaces:
                    at = base
                    for _ in range(stays):
                        row_id += 1
                        length = rng.randint(10, 90) * 60
                        start, end = at, at + timedelta(seconds=length)
                        at = end + timedelta(minutes=rng.randint(2, 30))
                        yield (
                            {"id": row_id, "zone": zone.id, "space": space.id, "start": start,
                             "end": end, "last_confirmed": end, "flags": "", "status": "closed",
                             "end_day": day, "duration_s": length, "revision": 0,
                             "recorded_at": now, "revised_at": now},
                            {"id": row_id, "session_id": row_id, "zone": zone.id,
                             "kind": "charge", "amount_fen": 100 * (1 + length // 3600),
                             "tariff_id": zone.tariff, "tariff_version": None,
                             "priced_from": start, "priced_until": end, "breakdown": {},
                             "reason": None, "reverses_id": None, "business_day": day,
                             "recorded_at": now},
                        )  # fmt: skip

    pairs = sessions_and_charges()
    with engine.begin() as connection:
        while True:
            batch = [pair for _, pair in zip(range(CHUNK), pairs, strict=False)]
            if not batch:
                break
            connection.execute(insert(ParkingSession), [s for s, _ in batch])
            connection.execute(insert(Charge), [c for _, c in batch])
            counts["sessions"] += len(batch)
        hours = (
            {"zone": z.id, "hour": datetime(2026, 2, 28, 16, tzinfo=UTC) + timedelta(hours=h),
             "day": FIRST + timedelta(days=h // 24), "occupied_s": rng.randint(0, 3600 * 100),
             "spaces": len(z.spaces)}
            for z in city.parking_zones for h in range(24 * days)
        )  # fmt: skip
        for rows in _chunks(hours):
            connection.execute(insert(ZoneOccupancyHour), rows)
            counts["hours"] += len(rows)
        verdicts = (
            {"day": FIRST + timedelta(days=offset), "district": d.id, "bin": b.id, "revision": 0,
             "needed": True, "cleared": rng.random() < 0.95, "late": rng.random() < 0.05,
             "cleared_at": None, "last_rise": None, "reason": None, "recorded_at": now}
            for offset in range(days) for d in city.sanitation_districts for b in d.bins
        )  # fmt: skip
        for rows in _chunks(verdicts):
            connection.execute(insert(ClearanceVerdict), rows)
            counts["verdicts"] += len(rows)
    # The day totals, as the recorder keeps them.
    day_list = [FIRST + timedelta(days=offset) for offset in range(days)]
    with session_factory(engine).begin() as db:
        refresh_zone_days(db, [(z.id, d) for z in city.parking_zones for d in day_list])
        refresh_district_days(
            db, [(d.id, day) for d in city.sanitation_districts for day in day_list]
        )
    return counts


def _counts(engine: Engine) -> dict[str, int]:
    with engine.connect() as connection:
        return {
            name: int(connection.scalar(select(func.count()).select_from(model)) or 0)
            for name, model in (
                ("sessions", ParkingSession),
                ("hours", ZoneOccupancyHour),
                ("verdicts", ClearanceVerdict),
            )
        }


def _measure_all(
    client: httpx.Client, days: int, sessions: int, requests: int
) -> dict[str, list[float]]:
    last = FIRST + timedelta(days=days - 1)
    month = {"start": FIRST.isoformat(), "end": last.isoformat(), "period": "all"}
    # Figures first: a report of nothing would be fast and prove nothing.
    check = client.get("/api/v1/reports/parking", params=month | {"group": "city"}).json()
    assert check["rows"][0]["sessions"] == sessions, check
    by_day = month | {"group": "city", "period": "day"}
    return {
        "parking, month by zone": measure(
            client, "/api/v1/reports/parking", month | {"group": "zone"}, requests
        ),
        "parking, month by day for the city": measure(
            client, "/api/v1/reports/parking", by_day, requests
        ),
        "clearance, month by district": measure(
            client, "/api/v1/reports/sanitation", month | {"group": "district"}, requests
        ),
    }


def measure(client: httpx.Client, path: str, params: dict[str, str], requests: int) -> list[float]:
    """Milliseconds per request, after one warm-up."""
    assert client.get(path, params=params).status_code == 200
    times = []
    for _ in range(requests):
        began = time.perf_counter()
        response = client.get(path, params=params)
        times.append((time.perf_counter() - began) * 1000)
        assert response.status_code == 200, response.text
    return times


def main(argv: list[str] | None = None) -> None:
    """Fill, measure, print (and with --record add to docs/performance.md)."""
    parser = argparse.ArgumentParser(prog="python -m tools.bench.records", description=__doc__)
    parser.add_argument("--spaces", type=int, default=10_000)
    parser.add_argument("--bins", type=int, default=20_000)
    parser.add_argument("--days", type=int, default=30)
    parser.add_argument("--stays", type=int, default=8, help="stays per space per day")
    parser.add_argument("--requests", type=int, default=50)
    parser.add_argument(
        "--url",
        help="record store URL (default: an SQLite file under .run/bench/ named by the sizes, "
        "filled once and reused)",
    )
    parser.add_argument("--refill", action="store_true", help="fill the store again")
    parser.add_argument("--record", action="store_true", help="add to docs/performance.md")
    args = parser.parse_args(argv)
    city = bench_city(args.spaces, args.bins)
    RUN_DIR.mkdir(parents=True, exist_ok=True)
    store = RUN_DIR / f"records-{args.spaces}-{args.bins}-{args.days}-{args.stays}.sqlite3"
    if args.refill or not store.exists():
        for old in RUN_DIR.glob(f"{store.name}*"):
            old.unlink()
    url = args.url or f"sqlite:///{store}"
    engine = record_engine(url)
    upgrade(engine)
    counts = _counts(engine)
    filled_s = 0.0
    if not counts["sessions"]:  # a new SQLite file, or an empty database at --url
        began = time.perf_counter()
        counts = fill(engine, city, args.days, args.stays, seed=14)
        filled_s = time.perf_counter() - began
    engine.dispose()
    write_city(RUN_DIR / "records-city.json", args.spaces, args.bins)
    stack = Stack(city_file=RUN_DIR / "records-city.json")
    load_before = os.getloadavg()[0]
    try:
        stack.start_services()
        stack.start_api({"CURBSIDE_RECORDS_URL": url})
        with httpx.Client(
            base_url=f"http://127.0.0.1:{API_PORT}",
            headers={"Authorization": f"Bearer {stack.api_key}"},
            timeout=60,
        ) as client:
            results = _measure_all(client, args.days, counts["sessions"], args.requests)
    finally:
        stack.close()
    load_after = os.getloadavg()[0]
    lines = [
        f"### Month reports from the record store ({args.spaces:,} spaces, {args.bins:,} bins)",
        "",
        *machine_lines(command_line("tools.bench.records", argv)),
        f"- store: {url.split(':', 1)[0]}; {counts['sessions']:,} sessions and as many charges, "
        f"{counts['hours']:,} zone hours, {counts['verdicts']:,} verdicts"
        + (f" (filled in {filled_s:.0f} s)" if filled_s else ""),
        # The machine is shared: the load says how much of it the run had.
        f"- load average (1 min) before and after: {load_before:.2f}, {load_after:.2f}",
        "",
        "| report (python -m api over HTTP, one request at a time) | p50 ms | p99 ms |",
        "|---|---|---|",
        *(
            f"| {name} | {np.percentile(t, 50):.0f} | {np.percentile(t, 99):.0f} |"
            for name, t in results.items()
        ),
        "",
    ]
    publish("\n".join(lines), keep=args.record)


if __name__ == "__main__":
    main()
