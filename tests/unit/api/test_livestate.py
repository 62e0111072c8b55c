"""The refresher: keeps the last good snapshot, logs once per failure streak, runs on a timer."""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime

import pytest

from api.livestate import LiveState, Snapshot
from store.influx import Unavailable
from tests.unit.api.conftest import NOW, make_snapshot


class ScriptedLoad:
    """Answers each load with the next outcome: a snapshot, or an exception to raise."""

    def __init__(self, *outcomes: Snapshot | Exception) -> None:
        self.outcomes = list(outcomes)
        self.calls: list[datetime] = []

    def __call__(self, now: datetime) -> Snapshot:
        self.calls.append(now)
        outcome = self.outcomes.pop(0) if len(self.outcomes) > 1 else self.outcomes[0]
        if isinstance(outcome, Exception):
            raise outcome
        return outcome


def _clock() -> datetime:
    return NOW


def test_a_refresh_loads_as_of_the_clock() -> None:
    snapshot = make_snapshot()
    load = ScriptedLoad(snapshot)
    live = LiveState(load, interval_s=60, clock=_clock)
    assert (live.snapshot, live.last_refresh) == (None, None)
    assert asyncio.run(live.refresh()) is True
    assert load.calls == [NOW]
    assert live.snapshot is snapshot
    assert live.last_refresh == snapshot.as_of
    assert live.refresh_error is None


def test_failures_keep_the_snapshot_and_log_once_per_streak(
    caplog: pytest.LogCaptureFixture,
) -> None:
    first = make_snapshot()
    second = make_snapshot()
    load = ScriptedLoad(
        first,
        Unavailable("query failed: ConnectError: refused"),
        Unavailable("query failed: ConnectError: refused"),
        Unavailable("query failed (503): overloaded"),
        second,
        Unavailable("query failed: ReadTimeout"),
    )
    live = LiveState(load, interval_s=60, clock=_clock)

    async def refresh_six_times() -> list[bool]:
        return [await live.refresh() for _ in range(6)]

    with caplog.at_level(logging.INFO, logger="api.livestate"):
        outcomes = asyncio.run(refresh_six_times())
    assert outcomes == [True, False, False, False, True, False]
    # The last failure kept the second snapshot and says why it failed.
    assert live.snapshot is second
    assert live.refresh_error == "Unavailable: query failed: ReadTimeout"
    errors = [r.getMessage() for r in caplog.records if r.levelno == logging.ERROR]
    assert len(errors) == 2  # one per streak, not one per failed refresh
    assert "refused" in errors[0]
    assert "ReadTimeout" in errors[1]
    assert "keeping the previous snapshot" in errors[0]


def test_an_unexpected_error_does_not_kill_the_refresher(caplog: pytest.LogCaptureFixture) -> None:
    live = LiveState(ScriptedLoad(KeyError("time")), interval_s=60, clock=_clock)
    with caplog.at_level(logging.ERROR, logger="api.livestate"):
        assert asyncio.run(live.refresh()) is False
    assert live.refresh_error == "KeyError: 'time'"
    [record] = caplog.records
    assert record.exc_info is not None  # a bug: the traceback is logged
    assert "no snapshot yet" in record.getMessage()


def test_the_task_refreshes_every_interval_until_stopped() -> None:
    load = ScriptedLoad(make_snapshot())
    live = LiveState(load, interval_s=0.05, clock=_clock)

    async def run_for_a_while() -> int:
        live.start()
        await asyncio.sleep(0.33)
        await live.stop()
        stopped_at = len(load.calls)
        await asyncio.sleep(0.15)
        assert len(load.calls) == stopped_at  # nothing after stop()
        return stopped_at

    calls = asyncio.run(run_for_a_while())
    # Six intervals fit in 0.33 s; allow for a slow machine but demand a timer that runs.
    assert 3 <= calls <= 7


def test_stop_gives_up_on_a_refresh_that_hangs() -> None:
    release = asyncio.Event()

    live = LiveState(ScriptedLoad(make_snapshot()), interval_s=0.01, clock=_clock)

    async def hanging_refresh() -> bool:
        await release.wait()
        return True

    live.refresh = hanging_refresh  # type: ignore[method-assign]

    async def start_and_stop() -> float:
        loop = asyncio.get_running_loop()
        live.start()
        await asyncio.sleep(0.05)
        started = loop.time()
        await live.stop(grace_s=0.1)
        return loop.time() - started

    assert asyncio.run(start_and_stop()) < 1.0


def test_interval_is_not_shortened_by_fast_refreshes() -> None:
    # A guard on the timer arithmetic: 0.2 s intervals give no refresh within 0.1 s.
    load = ScriptedLoad(make_snapshot())
    live = LiveState(load, interval_s=0.2, clock=_clock)

    async def briefly() -> None:
        live.start()
        await asyncio.sleep(0.1)
        await live.stop()

    asyncio.run(briefly())
    assert load.calls == []
