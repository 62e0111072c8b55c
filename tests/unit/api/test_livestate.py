"""The live state: a full read, then the stream applied tick by tick, copy on write.

The database and the feed are stand-ins here (the real ones are exercised by
tests/integration/test_live_feed.py); the clocks are driven by the test.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime, timedelta

import pytest

from curbside.adapters.influx.client import Unavailable
from curbside.adapters.influx.latest import SinceAnswer, SinceQuestion
from curbside.domain.telemetry.latest_state import DeviceKey, LatestStates
from curbside.readmodels.live.state import LiveState
from curbside.vocabulary.readings import BinLevel, Reading, SpaceStatus
from tests.unit.api.conftest import NOW, STALE_AFTER, make_city

SETTLE_S = 2.0


class Database:
    """Answers full reads with the outcomes given, and ``since`` questions from ``since``."""

    def __init__(self, *outcomes: LatestStates | Exception) -> None:
        self.outcomes = list(outcomes)
        self.reads = 0
        self.since: dict[DeviceKey, SinceAnswer] = {}
        self.questions: list[SinceQuestion] = []
        self.checks = 0

    def read_states(self) -> LatestStates:
        self.reads += 1
        outcome = self.outcomes.pop(0) if len(self.outcomes) > 1 else self.outcomes[0]
        if isinstance(outcome, Exception):
            raise outcome
        # A fresh copy each time: the live state owns what it is given.
        return LatestStates(dict(outcome.spaces), dict(outcome.bins))

    def settle_since(self, questions: list[SinceQuestion]) -> dict[DeviceKey, SinceAnswer]:
        self.questions.extend(questions)
        return {(q.zone, q.space): self.since[(q.zone, q.space)] for q in questions}

    def check(self) -> None:
        self.checks += 1


class Feed:
    """A queue the test fills, as the MQTT thread would."""

    def __init__(self) -> None:
        self.connects = 0
        self.overflows = 0
        self.queue: list[tuple[float, list[Reading]]] = []

    def drain(self, limit: int) -> list[tuple[float, list[Reading]]]:
        taken, self.queue = self.queue[:limit], self.queue[limit:]
        return taken


class Clocks:
    def __init__(self) -> None:
        self.now = NOW
        self.mono = 1000.0

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)
        self.mono += seconds


def _stored(*readings: Reading) -> LatestStates:
    states = LatestStates()
    for reading in readings:
        states.apply(reading)
    return states


def _live(database: Database, feed: Feed, clocks: Clocks, interval_s: float = 60) -> LiveState:
    return LiveState(
        make_city(),
        database,
        feed,
        stale_after=STALE_AFTER,
        interval_s=interval_s,
        full_read_s=600,
        settle_s=SETTLE_S,
        clock=lambda: clocks.now,
        monotonic=lambda: clocks.mono,
    )


def _at(minutes_ago: float) -> datetime:
    return NOW - timedelta(minutes=minutes_ago)


def _as_of(live: LiveState) -> datetime | None:
    # A call, not the attribute: mypy would hold on to what an earlier assert narrowed.
    return live.snapshot.as_of if live.snapshot is not None else None


async def _settled(live: LiveState) -> None:
    # Let tasks started by a tick (database reads in worker threads) finish.
    for _ in range(200):
        await asyncio.sleep(0.005)
        if not live._background:
            return
    raise AssertionError("background reads did not finish")


def test_a_full_read_then_ticks_change_only_what_the_stream_changed() -> None:
    clocks = Clocks()
    database = Database(_stored(SpaceStatus("Z1", "A-1", True, _at(30), battery_v=3.6)))
    feed = Feed()
    live = _live(database, feed, clocks)

    async def scenario() -> None:
        assert await live.refresh()
        first = live.snapshot
        assert first is not None
        assert first.zones["Z1"].occupied == 1
        feed.queue.append(
            (
                clocks.mono,
                [SpaceStatus("Z1", "A-2", True, _at(0)), BinLevel("D2", "D2-B1", 40.0, ts=_at(0))],
            )
        )
        clocks.advance(1)
        await live.tick()
        second = live.snapshot
        assert second is not None and second is not first
        assert second.as_of == clocks.now
        assert (second.zones["Z1"].occupied, second.zones["Z1"].unknown) == (2, 2)
        # Copy on write: what did not change is the previous snapshot's own list.
        assert second.spaces["Z2"] is first.spaces["Z2"]
        assert second.bins["D1"] is first.bins["D1"]
        assert second.spaces["Z1"] is not first.spaces["Z1"]
        assert [b.fill_pct for b in second.bins["D2"]] == [40.0]
        assert second.zones["Z2"].as_of == clocks.now
        assert database.reads == 1

    asyncio.run(scenario())


def test_a_space_going_stale_is_recounted_without_any_report() -> None:
    clocks = Clocks()
    live = _live(Database(_stored(SpaceStatus("Z2", "B-1", True, _at(50)))), Feed(), clocks)

    async def scenario() -> None:
        assert await live.refresh()
        assert live.snapshot is not None and live.snapshot.zones["Z2"].occupied == 1
        clocks.advance(9 * 60)
        await live.tick()
        assert live.snapshot.zones["Z2"].occupied == 1
        clocks.advance(2 * 60)  # last seen 61 minutes ago: stale after an hour
        await live.tick()
        assert (live.snapshot.zones["Z2"].occupied, live.snapshot.zones["Z2"].unknown) == (0, 1)

    asyncio.run(scenario())


def test_a_reconnect_reads_in_full_and_keeps_what_the_stream_brought_meanwhile() -> None:
    clocks = Clocks()
    # The database never saw B-1's report: ingest had not stored it when the read ran.
    database = Database(_stored(SpaceStatus("Z1", "A-1", True, _at(30))))
    feed = Feed()
    live = _live(database, feed, clocks)

    async def scenario() -> None:
        assert await live.refresh()
        feed.queue.append((clocks.mono, [SpaceStatus("Z2", "B-1", True, _at(0))]))
        feed.connects += 1
        clocks.advance(1)
        await live.tick()
        await _settled(live)
        assert database.reads == 2
        snapshot = live.snapshot
        assert snapshot is not None
        assert snapshot.zones["Z2"].occupied == 1  # applied again on top of the full read
        assert snapshot.zones["Z1"].occupied == 1

    asyncio.run(scenario())


def test_a_late_opposite_report_is_settled_from_the_database_once_stored() -> None:
    clocks = Clocks()
    database = Database(
        _stored(SpaceStatus("Z1", "A-1", True, _at(30)), SpaceStatus("Z1", "A-1", True, _at(10)))
    )
    feed = Feed()
    live = _live(database, feed, clocks)

    async def scenario() -> None:
        assert await live.refresh()
        # Vacant at 20 minutes ago, arriving late: the run began at the report after it.
        feed.queue.append((clocks.mono, [SpaceStatus("Z1", "A-1", False, _at(20))]))
        database.since[("Z1", "A-1")] = SinceAnswer(_at(20), _at(15))
        clocks.advance(1)
        await live.tick()
        await _settled(live)
        assert database.questions == []  # not before ingest has had time to store it
        clocks.advance(SETTLE_S)
        await live.tick()
        await _settled(live)
        assert database.questions == [SinceQuestion("Z1", "A-1", True)]
        await live.tick()
        snapshot = live.snapshot
        assert snapshot is not None
        [a1] = [s for s in snapshot.spaces["Z1"] if s.space == "A-1"]
        assert (a1.occupied, a1.since, a1.last_seen) == (True, _at(15), _at(10))

    asyncio.run(scenario())


def test_failures_keep_the_snapshot_and_log_once_per_streak(
    caplog: pytest.LogCaptureFixture,
) -> None:
    clocks = Clocks()
    database = Database(
        _stored(SpaceStatus("Z1", "A-1", True, _at(30))),
        Unavailable("query failed: ConnectError: refused"),
        Unavailable("query failed: ConnectError: refused"),
        Unavailable("query failed (503): overloaded"),
        _stored(SpaceStatus("Z1", "A-1", False, _at(5))),
        Unavailable("query failed: ReadTimeout"),
    )
    live = _live(database, Feed(), clocks)

    async def refresh_six_times() -> list[bool]:
        return [await live.refresh() for _ in range(6)]

    with caplog.at_level(logging.INFO, logger="curbside.readmodels.live.state"):
        outcomes = asyncio.run(refresh_six_times())
    assert outcomes == [True, False, False, False, True, False]
    # The last failure kept the second read's state and says why it failed.
    assert live.snapshot is not None and live.snapshot.zones["Z1"].free == 1
    assert live.refresh_error == "Unavailable: query failed: ReadTimeout"
    errors = [r.getMessage() for r in caplog.records if r.levelno == logging.ERROR]
    assert len(errors) == 2  # one per streak, not one per failed read
    assert "refused" in errors[0]
    assert "ReadTimeout" in errors[1]
    assert "keeping the current snapshot" in errors[0]


def test_an_unexpected_error_does_not_kill_the_live_state(
    caplog: pytest.LogCaptureFixture,
) -> None:
    live = _live(Database(KeyError("time")), Feed(), Clocks())
    with caplog.at_level(logging.ERROR, logger="curbside.readmodels.live.state"):
        assert asyncio.run(live.refresh()) is False
    assert live.refresh_error == "KeyError: 'time'"
    [record] = caplog.records
    assert record.exc_info is not None  # a bug: the traceback is logged
    assert "no snapshot yet" in record.getMessage()


def test_a_failed_start_is_retried_at_the_next_tick() -> None:
    clocks = Clocks()
    database = Database(Unavailable("refused"), _stored(SpaceStatus("Z1", "A-1", True, _at(1))))
    live = _live(database, Feed(), clocks)

    async def scenario() -> None:
        assert not await live.refresh()
        assert live.snapshot is None
        await live.tick()
        await _settled(live)
        assert _as_of(live) == clocks.now
        assert live.refresh_error is None

    asyncio.run(scenario())


def test_the_task_ticks_every_interval_until_stopped() -> None:
    clocks = Clocks()
    feed = Feed()
    live = _live(Database(LatestStates()), feed, clocks, interval_s=0.05)
    published: list[datetime] = []

    async def run_for_a_while() -> int:
        assert await live.refresh()
        live.start()
        for _ in range(33):
            await asyncio.sleep(0.01)
            clocks.advance(0.01)
            assert live.snapshot is not None
            if not published or published[-1] != live.snapshot.as_of:
                published.append(live.snapshot.as_of)
        await live.stop()
        stopped_at = len(published)
        await asyncio.sleep(0.15)
        assert _as_of(live) == published[-1]
        return stopped_at

    ticks = asyncio.run(run_for_a_while())
    # Six intervals fit in 0.33 s; allow for a slow machine but demand a timer that runs.
    assert 3 <= ticks <= 8


def test_stop_gives_up_on_a_read_that_hangs() -> None:
    release = asyncio.Event()
    live = _live(Database(LatestStates()), Feed(), Clocks(), interval_s=0.01)

    async def hanging_tick() -> None:
        await release.wait()

    live.tick = hanging_tick  # type: ignore[method-assign]

    async def start_and_stop() -> float:
        loop = asyncio.get_running_loop()
        live.start()
        await asyncio.sleep(0.05)
        started = loop.time()
        await live.stop(grace_s=0.1)
        return loop.time() - started

    assert asyncio.run(start_and_stop()) < 1.0
