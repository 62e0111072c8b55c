"""Benchmark ingest end to end: ``python -m tools.bench.ingest [--processes 1,2] [--messages
200000]``.

Starts its own Mosquitto and InfluxDB (``scripts/services`` under ``.run/bench/``, MQTT 35883,
InfluxDB 35186), writes a generated city, and for each number of ingest processes:

1. creates the durable sessions: the ingest shards' (each subscribed to its share, see
   ingest/sharding.py) and one for ``mosquitto_sub``;
2. publishes the backlog (N QoS 1 messages, the realistic mix of tools/bench/traffic.py) while all
of
   them are offline, so every session holds the same N messages;
3. drains the ``mosquitto_sub`` session (the C client: the broker's ceiling on this machine);
4. starts the ingest processes and times from their first received message until InfluxDB has
   accepted the last point (a point is queryable once ``/write`` answered), then checks that
   InfluxDB holds exactly N points, per measurement;
5. with ingest still running, publishes at a steady rate (1,000 msg/s) and measures, per
   message, the time from publishing to being counted by a query.

Prints a table and appends it to docs/performance.md (``--no-record`` to skip).
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime

from curbside.adapters.influx.client import InfluxClient
from curbside.city.registry import City
from ingest.sharding import groups, split
from tools.bench.city import write_city
from tools.bench.paho_drain import CLIENT_ID as PAHO_CLIENT_ID
from tools.bench.record import command_line, machine_lines, publish
from tools.bench.stack import (
    BENCH_ROLE,
    RUN_DIR,
    Stack,
    finish_profile,
    start_profile,
)
from tools.bench.traffic import Message, Publisher, backlog, steady
from tools.harness.processes import CurbsideProcess, proc_cpu_s, proc_rss_bytes, wait_for

DRAIN_CLIENT_ID = "bench-drain"
RATIO_TARGET = 0.3  # issue 19: ingest at least 0.3 x the mosquitto_sub drain
TOPICS = ("parking/#", "sanitation/#")
# Per measurement: the field every point has, and the tag naming its zone or district.
MEASUREMENTS = {
    "parking_status": ("occupied", "zone"),
    "bin_level": ("fill_pct", "district"),
    "bin_emptied": ("emptied", "district"),
}


@dataclass(frozen=True, slots=True)
class IngestFigures:
    """One backlog drained by mosquitto_sub and by ``processes`` ingest processes."""

    processes: int
    messages: int
    publish_s: float
    drain_s: float
    drain_cpu_s: float
    paho_s: float
    ingest_s: float
    ingest_cpu_s: float
    influxd_cpu_s: float
    mosquitto_cpu_s: float
    ingest_rss: list[int]
    stored: int

    @property
    def drain_rate(self) -> float:
        """mosquitto_sub messages per second."""
        return self.messages / self.drain_s

    @property
    def ingest_rate(self) -> float:
        """Messages per second from first received to last queryable."""
        return self.messages / self.ingest_s

    @property
    def ratio(self) -> float:
        """Ingest rate over the broker ceiling measured on the same backlog."""
        return self.ingest_rate / self.drain_rate


@dataclass(frozen=True, slots=True)
class Latency:
    """Publish-to-queryable latency at a steady rate."""

    rate: int
    messages: int
    p50_ms: float
    p99_ms: float
    max_ms: float
    poll_ms: float


def mosquitto_sub(stack: Stack, *extra: str) -> list[str]:
    """The mosquitto_sub command line for the drain session."""
    topics = [arg for t in TOPICS for arg in ("-t", t)]
    login = stack.login(BENCH_ROLE)
    return [
        "mosquitto_sub",
        "-p",
        str(stack.mqtt_port),
        "-u",
        login.username,
        "-P",
        login.password,
        "-i",
        DRAIN_CLIENT_ID,
        "-c",
        "-q",
        "1",
        *topics,
        *extra,
    ]


def paho_drain(stack: Stack, *extra: str) -> subprocess.CompletedProcess[str]:
    """Run tools/bench/paho_drain.py (paho alone, acknowledging by hand), logged in as the bench."""
    return subprocess.run(
        [sys.executable, "-m", "tools.bench.paho_drain", "--port", str(stack.mqtt_port), *extra],
        env={**os.environ, **stack.login_env(BENCH_ROLE)},
        check=True,
        timeout=1800,
        capture_output=True,
        text=True,
    )


def drain_with_paho(stack: Stack, count: int) -> float:
    """Seconds paho-mqtt takes from the first to the ``count``-th queued message."""
    return float(paho_drain(stack, "--count", str(count)).stdout.strip())


def create_sessions(stack: Stack, processes: int, ingest_env: dict[str, str]) -> None:
    """Durable sessions for mosquitto_sub and the ingest processes, then all offline."""
    subprocess.run(mosquitto_sub(stack, "-E"), check=True, timeout=30)
    paho_drain(stack, "--subscribe-only")
    stack.start_ingest(processes, ingest_env)
    stack.stop_processes()


def publish_all(stack: Stack, messages: list[Message]) -> float:
    """Publish at QoS 1 as fast as the broker takes them; seconds taken."""
    publisher = Publisher(stack.access(BENCH_ROLE))
    started = time.perf_counter()
    for m in messages:
        publisher.publish(m)
    publisher.wait_acked(len(messages), 600)
    took = time.perf_counter() - started
    publisher.close()
    return took


def drain_with_mosquitto_sub(stack: Stack, count: int) -> tuple[float, float]:
    """Seconds and CPU seconds mosquitto_sub takes to receive ``count`` queued messages."""
    started = time.perf_counter()
    process = subprocess.Popen(mosquitto_sub(stack, "-C", str(count)), stdout=subprocess.DEVNULL)
    _, status, usage = os.wait4(process.pid, 0)
    took = time.perf_counter() - started
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode != 0:
        raise SystemExit(f"bench: mosquitto_sub exited with {process.returncode}")
    return took, usage.ru_utime + usage.ru_stime


def _total(processes: list[CurbsideProcess], sample: str) -> float:
    return sum(p.value(sample) for p in processes)


def drain_with_ingest(
    stack: Stack, processes: int, count: int, ingest_env: dict[str, str], profile: bool
) -> tuple[float, float, float, float, list[int]]:
    """Seconds from first received to ``count`` stored, and the CPU seconds of ingest,
    InfluxDB and Mosquitto meanwhile, and each ingest process's RSS at the end."""
    running = stack.start_ingest(processes, ingest_env)
    wait_for(
        lambda: _total(running, "curbside_ingest_received_total") > 0, 120, "first message", 0.01
    )
    started = time.perf_counter()
    others = [stack.influxd_pid, stack.mosquitto_pid]
    cpu_before = [proc_cpu_s(p.pid) for p in running] + [proc_cpu_s(pid) for pid in others]
    out = RUN_DIR / "ingest-profile.txt"
    spy = start_profile(running[0].pid, out) if profile else None
    wait_for(
        lambda: _total(running, "curbside_ingest_stored_points_total") >= count,
        1800,
        f"ingest to store {count} points",
        0.25,  # each poll costs the ingest processes a little CPU: not too often
    )
    took = time.perf_counter() - started
    cpu_after = [proc_cpu_s(p.pid) for p in running] + [proc_cpu_s(pid) for pid in others]
    rss = [proc_rss_bytes(p.pid) for p in running]
    if spy is not None:
        finish_profile(spy, out, "ingest process 1")
    used = [b - a for a, b in zip(cpu_before, cpu_after, strict=True)]
    return took, sum(used[:processes]), used[processes], used[processes + 1], rss


def stored_points(influx: InfluxClient) -> Counter[str]:
    """Points per measurement in the benchmark database."""
    found: Counter[str] = Counter()
    for name, (field, _) in MEASUREMENTS.items():
        series = influx.query(f'SELECT count("{field}") FROM "{name}"')
        found[name] = int(series[0].rows()[0]["count"]) if series else 0
    return found


def measure_backlog(
    stack: Stack,
    *,
    city: City,
    messages: int,
    processes: int,
    ingest_env: dict[str, str],
    profile: bool,
) -> IngestFigures:
    """Steps 1 to 4 of the module docstring, on a fresh database."""
    stack.start_services()
    stack.forget_sessions([DRAIN_CLIENT_ID, PAHO_CLIENT_ID, *stack.ingest_client_ids(processes)])
    create_sessions(stack, processes, ingest_env)
    traffic = backlog(city, messages)
    expected = Counter(m.measurement for m in traffic)
    print(f"publishing {messages:,} messages ({dict(expected)}) ...", flush=True)
    publish_s = publish_all(stack, traffic)
    del traffic
    print(f"published in {publish_s:.1f}s; draining with mosquitto_sub ...", flush=True)
    drain_s, drain_cpu = drain_with_mosquitto_sub(stack, messages)
    print(f"mosquitto_sub: {messages / drain_s:,.0f} msg/s; paho alone ...", flush=True)
    paho_s = drain_with_paho(stack, messages)
    print(f"paho: {messages / paho_s:,.0f} msg/s; ingest with {processes} ...", flush=True)
    ingest_s, ingest_cpu, influxd_cpu, mosquitto_cpu, rss = drain_with_ingest(
        stack, processes, messages, ingest_env, profile
    )
    influx = stack.influx()
    stored = stored_points(influx)
    influx.close()
    if stored != expected:
        raise SystemExit(f"bench: InfluxDB holds {dict(stored)}, published {dict(expected)}")
    return IngestFigures(
        processes,
        messages,
        publish_s,
        drain_s,
        drain_cpu,
        paho_s,
        ingest_s,
        ingest_cpu,
        influxd_cpu,
        mosquitto_cpu,
        rss,
        sum(stored.values()),
    )


def _counts_since(influx: InfluxClient, since_ms: int) -> dict[tuple[str, str], int]:
    statements = [
        f'SELECT count("{field}") FROM "{name}" WHERE time >= {since_ms}ms GROUP BY "{tag}"'
        for name, (field, tag) in MEASUREMENTS.items()
    ]
    counts = {}
    for name, result in zip(MEASUREMENTS, influx.query_many(statements), strict=True):
        tag = MEASUREMENTS[name][1]
        for series in result:
            counts[(name, series.tags[tag])] = int(series.rows()[0]["count"])
    return counts


def _shard_of(city: City, processes: int) -> dict[str, int]:
    """Zone or district id -> index of the ingest process that takes it."""
    if processes == 1:
        return {g.topic_filter.split("/")[1]: 0 for g in groups(city)}
    return {f.split("/")[1]: i for i, mine in enumerate(split(city, processes)) for f in mine}


def measure_latency(
    stack: Stack, city: City, rate: int, seconds: float, poll_s: float = 0.02
) -> Latency:
    """Step 5: publish at ``rate`` for ``seconds`` while polling each ingest process's count of
    points InfluxDB accepted (a point is queryable once its ``/write`` is answered).

    Each ingest process receives its messages in publishing order (one publisher, QoS 1) and
    writes them in that order (one writer thread), so its k-th message is queryable once its
    counter has grown by k. At the end InfluxDB must hold every message.
    """
    running = list(stack.processes)
    shard_of = _shard_of(city, len(running))
    stored = "curbside_ingest_stored_points_total"
    baseline = [p.value(stored) for p in running]
    source = steady(city)
    publisher = Publisher(stack.access(BENCH_ROLE), "bench-steady")
    total = int(rate * seconds)
    since_ms = int(time.time() * 1000) - 1000
    sent: list[tuple[int, int, float]] = []  # (process, index among its messages, wall time)
    per_process = [0] * len(running)
    seen: list[list[float]] = [[] for _ in running]  # when each count was first seen

    def poll() -> None:
        for i, p in enumerate(running):
            count = int(p.value(stored) - baseline[i])
            now = time.time()
            seen[i].extend([now] * (count - len(seen[i])))

    started = time.monotonic()
    next_poll = started
    for n in range(total):
        due = started + n / rate
        while (left := due - time.monotonic()) > 0:
            if time.monotonic() >= next_poll:
                poll()
                next_poll += poll_s
            else:
                publisher.service(min(left, max(0.0, next_poll - time.monotonic())))
        at = datetime.now(UTC)
        m = source(at)
        shard = shard_of[m.topic.split("/")[1]]
        per_process[shard] += 1
        publisher.publish(m)
        sent.append((shard, per_process[shard], at.timestamp()))
    publisher.wait_acked(total, 60)
    publisher.close()

    def all_seen() -> bool:
        poll()
        return all(len(seen[i]) >= n for i, n in enumerate(per_process))

    wait_for(all_seen, 120, "every steady message to be stored", poll_s)
    influx = stack.influx()
    queryable = sum(_counts_since(influx, since_ms).values())
    influx.close()
    if queryable != total:
        raise SystemExit(f"bench: InfluxDB holds {queryable} of the {total} steady messages")
    latencies = sorted((seen[i][k - 1] - t) * 1000 for i, k, t in sent)
    cuts = statistics.quantiles(latencies, n=100)
    return Latency(rate, total, cuts[49], cuts[98], latencies[-1], poll_s * 1000)


def report(
    figures: list[IngestFigures], latency: Latency | None, city: City, command: str, batch: str
) -> str:
    """The figures as a Markdown section for docs/performance.md."""
    rows = [
        "| ingest processes | messages | mosquitto_sub drain, msg/s | paho alone, msg/s "
        "| ingest to queryable, msg/s "
        "| ratio (target ≥ 0.3) | ingest CPU µs/msg (target ≤ 30) | influxd CPU µs/msg "
        "| mosquitto CPU µs/msg "
        "| ingest RSS MiB (each) |",
        "| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for f in figures:
        rss = ", ".join(f"{r / 2**20:.0f}" for r in f.ingest_rss)
        rows.append(
            f"| {f.processes} | {f.messages:,} | {f.drain_rate:,.0f} "
            f"| {f.messages / f.paho_s:,.0f} | {f.ingest_rate:,.0f} "
            f"| **{f.ratio:.2f}** {'met' if f.ratio >= RATIO_TARGET else 'missed'} "
            f"| {f.ingest_cpu_s / f.messages * 1e6:.0f} | {f.influxd_cpu_s / f.messages * 1e6:.0f} "
            f"| {f.mosquitto_cpu_s / f.messages * 1e6:.0f} | {rss} |"
        )
    lines = [
        f"### Ingest end to end, {datetime.now(UTC):%Y-%m-%d %H:%M UTC}",
        "",
        *machine_lines(command),
        f"- city: {city.space_count:,} spaces in {len(city.parking_zones)} zones, "
        f"{city.bin_count:,} bins in {len(city.sanitation_districts)} districts; "
        f"ingest batch size {batch}",
        "",
        *rows,
        "",
        "*paho alone*: one paho-mqtt process receiving and acknowledging by hand, nothing "
        "else (tools/bench/paho_drain.py). Every run: InfluxDB held exactly the published number "
        "of points, per measurement "
        f"(mosquitto_sub used {figures[0].drain_cpu_s / figures[0].messages * 1e6:.0f} µs of CPU "
        "per message).",
    ]
    if latency is not None:
        lines += [
            "",
            "| steady rate | messages | publish → queryable p50 | p99 | max |",
            "| ---: | ---: | ---: | ---: | ---: |",
            f"| {latency.rate:,} msg/s | {latency.messages:,} | {latency.p50_ms:.0f} ms "
            f"| {latency.p99_ms:.0f} ms | {latency.max_ms:.0f} ms |",
            "",
            f"(Latency measured with {figures[-1].processes} ingest process(es), whose counts of "
            f"points InfluxDB accepted were polled every {latency.poll_ms:.0f} ms: figures are "
            "upper bounds by up to one poll. InfluxDB then held every steady message.)",
        ]
    return "\n".join([*lines, ""])


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark on services of its own."""
    parser = argparse.ArgumentParser(
        prog="python -m tools.bench.ingest",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--processes", default="1,2", help="ingest process counts to compare, e.g. 1,2,3"
    )
    parser.add_argument("--messages", type=int, default=200_000)
    parser.add_argument("--spaces", type=int, default=10_000)
    parser.add_argument("--bins", type=int, default=5_000)
    parser.add_argument("--batch-size", help="CURBSIDE_INGEST_BATCH_SIZE for ingest")
    parser.add_argument("--flush-interval", help="CURBSIDE_INGEST_FLUSH_INTERVAL_S for ingest")
    parser.add_argument("--rate", type=int, default=1000, help="steady rate for the latency, msg/s")
    parser.add_argument("--latency-seconds", type=float, default=20.0, help="0: skip the latency")
    parser.add_argument("--profile", action="store_true", help="py-spy the first ingest process")
    parser.add_argument("--keep-services", action="store_true")
    parser.add_argument("--no-record", action="store_true", help="do not write docs/performance.md")
    args = parser.parse_args(argv)
    counts = [int(n) for n in args.processes.split(",")]
    ingest_env = {
        name: value
        for name, value in (
            ("CURBSIDE_INGEST_BATCH_SIZE", args.batch_size),
            ("CURBSIDE_INGEST_FLUSH_INTERVAL_S", args.flush_interval),
        )
        if value
    }
    city = write_city(RUN_DIR / "city.json", args.spaces, args.bins)
    stack = Stack(RUN_DIR / "city.json")
    figures: list[IngestFigures] = []
    latency = None
    try:
        for n in counts:
            figures.append(
                measure_backlog(
                    stack,
                    city=city,
                    messages=args.messages,
                    processes=n,
                    ingest_env=ingest_env,
                    profile=args.profile,
                )
            )
            print(f"{n} process(es): ratio {figures[-1].ratio:.2f}", flush=True)
            if n == counts[-1] and args.latency_seconds > 0:
                latency = measure_latency(stack, city, args.rate, args.latency_seconds)
            stack.stop_processes()
            stack.forget_sessions([DRAIN_CLIENT_ID, PAHO_CLIENT_ID, *stack.ingest_client_ids(n)])
    finally:
        stack.close(keep_services=args.keep_services)
    command = command_line("tools.bench.ingest", argv)
    batching = (
        f"{args.batch_size or '5000 (default)'}, flush interval "
        f"{args.flush_interval or '0.5 (default)'} s"
    )
    section = report(figures, latency, city, command, batching)
    publish(section, keep=not args.no_record)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
