"""Bodies rendered once per snapshot, and bodies sent again while one task renders the next."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest

from api.rendered import RenderedForAWhile, RenderedPerSnapshot
from curbside.readmodels.live.state import Snapshot


def _snapshot() -> Snapshot:
    return Snapshot(datetime.now(UTC), timedelta(hours=1), zones={}, spaces={}, bins={})


def test_a_body_is_rendered_once_per_snapshot_and_key() -> None:
    rendered = RenderedPerSnapshot()
    calls: list[str] = []

    def render(text: str) -> bytes:
        calls.append(text)
        return text.encode()

    first, second = _snapshot(), _snapshot()
    assert rendered.get(first, "Z1", lambda: render("a")) == b"a"
    assert rendered.get(first, "Z1", lambda: render("b")) == b"a"
    assert rendered.get(first, None, lambda: render("c")) == b"c"
    # An equal but new snapshot is a refresh: render again.
    assert rendered.get(second, "Z1", lambda: render("d")) == b"d"
    assert calls == ["a", "c", "d"]


class _Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


class _Gate:
    """Renders a text as its bytes once ``release`` is set, noting each call."""

    def __init__(self) -> None:
        self.release = asyncio.Event()
        self.calls: list[str] = []

    async def render(self, text: str) -> bytes:
        self.calls.append(text)
        await self.release.wait()
        return text.encode()


def test_requests_arriving_during_a_first_render_wait_for_it_and_render_nothing() -> None:
    async def scenario() -> None:
        clock = _Clock()
        rendered = RenderedForAWhile[bytes](1.0, 10.0, clock=clock)
        gate = _Gate()
        calls, release, render = gate.calls, gate.release, gate.render

        first = asyncio.ensure_future(rendered.get_or_render("k", lambda: render("a")))
        others = [
            asyncio.ensure_future(rendered.get_or_render("k", lambda: render("b")))
            for _ in range(5)
        ]
        await asyncio.sleep(0)
        first.cancel()  # the first caller goes away: the others still get the answer
        release.set()
        assert await asyncio.gather(*others) == [b"a"] * 5
        assert calls == ["a"]
        clock.now = 0.9  # still fresh: nothing rendered
        assert await rendered.get_or_render("k", lambda: render("c")) == b"a"
        assert calls == ["a"]

    asyncio.run(scenario())


async def _settle() -> None:
    # Enough turns of the loop for every task that can go on to do so (none sleeps).
    for _ in range(20):
        await asyncio.sleep(0)


def test_a_stale_window_is_answered_at_once_with_the_last_body_and_refreshed_once() -> None:
    async def scenario() -> None:
        clock = _Clock()
        rendered = RenderedForAWhile[bytes](1.0, 10.0, clock=clock)
        gate = _Gate()
        calls, release, render = gate.calls, gate.release, gate.render

        release.set()
        assert await rendered.get_or_render("k", lambda: render("a")) == b"a"
        release.clear()
        clock.now = 1.5  # stale: the refresh below blocks until released
        asking = [
            asyncio.ensure_future(rendered.get_or_render("k", lambda t=t: render(t)))  # type: ignore[misc]
            for t in "bcdef"
        ]
        await _settle()
        assert all(task.done() for task in asking), "a request waited for the refresh"
        assert [task.result() for task in asking] == [b"a"] * 5
        assert calls == ["a", "b"]  # one refresh, by the first request to find it stale
        release.set()
        await _settle()
        assert await rendered.get_or_render("k", lambda: render("g")) == b"b"
        assert calls == ["a", "b"]  # the refreshed body counts as new from 1.5

    asyncio.run(scenario())


def test_stale_windows_are_refreshed_a_few_at_a_time() -> None:
    async def scenario() -> None:
        clock = _Clock()
        rendered = RenderedForAWhile[bytes](1.0, 10.0, max_refreshes=2, clock=clock)
        running = 0
        most = 0
        release = asyncio.Event()
        release.set()

        async def render(key: int) -> bytes:
            nonlocal running, most
            running += 1
            most = max(most, running)
            await release.wait()
            running -= 1
            return str(key).encode()

        # First renders are waited for by someone: not queued, all ten at once.
        await asyncio.gather(*(rendered.get_or_render(k, lambda k=k: render(k)) for k in range(10)))  # type: ignore[misc]
        release.clear()
        most = 0
        clock.now = 2.0
        asking = [
            asyncio.ensure_future(rendered.get_or_render(k, lambda k=k: render(k)))  # type: ignore[misc]
            for k in range(10)
        ]
        await _settle()
        assert all(t.done() for t in asking), "a request waited for a refresh"
        assert [t.result() for t in asking] == [str(k).encode() for k in range(10)]
        assert running == 2
        release.set()
        await _settle()
        assert (most, running) == (2, 0)

    asyncio.run(scenario())


def test_a_failing_refresh_serves_the_last_body_until_the_max_age_then_fails() -> None:
    async def scenario() -> None:
        clock = _Clock()
        rendered = RenderedForAWhile[bytes](1.0, 10.0, clock=clock)
        attempts: list[float] = []

        async def fine() -> bytes:
            return b"good"

        async def failing() -> bytes:
            attempts.append(clock.now)
            raise LookupError("store down")

        assert await rendered.get_or_render("k", fine) == b"good"
        for now in (1.5, 2.0, 2.6, 3.5, 9.9):
            clock.now = now
            assert await rendered.get_or_render("k", failing) == b"good"
            await _settle()
        # Retried a refresh interval after each failure, not on every request.
        assert attempts == [1.5, 2.6, 9.9]
        assert rendered.failed_refreshes == 3
        clock.now = 10.0  # the last good body is now too old: wait for a render, fail with it
        with pytest.raises(LookupError):
            await rendered.get_or_render("k", failing)
        assert await rendered.get_or_render("k", fine) == b"good"

    asyncio.run(scenario())


def test_windows_nobody_asks_for_are_forgotten_and_the_rest_are_bounded() -> None:
    async def scenario() -> None:
        clock = _Clock()
        rendered = RenderedForAWhile[bytes](1.0, 10.0, max_kept=3, clock=clock)

        async def render() -> bytes:
            return b"x"

        for k in range(5):
            clock.now = k
            await rendered.get_or_render(k, render)
        assert len(rendered) == 3  # the oldest two went first
        calls = 0

        async def counted() -> bytes:
            nonlocal calls
            calls += 1
            return b"y"

        assert await rendered.get_or_render(4, counted) == b"x"  # the newest was kept
        clock.now = 13.0  # 2 and 3 were last rendered 10 s ago or more: of no use, dropped
        assert await rendered.get_or_render("new", counted) == b"y"
        assert len(rendered) == 2  # 4 (rendered at 4, now 9 s old) and "new"

    asyncio.run(scenario())


def test_a_failed_first_render_fails_every_waiter_and_is_not_kept() -> None:
    async def scenario() -> None:
        rendered = RenderedForAWhile[bytes](1.0, 10.0, clock=_Clock())
        release = asyncio.Event()

        async def failing() -> bytes:
            await release.wait()
            raise LookupError("store down")

        async def fine() -> bytes:
            return b"ok"

        waiting = [asyncio.ensure_future(rendered.get_or_render("k", failing)) for _ in range(3)]
        await asyncio.sleep(0)
        release.set()
        results = await asyncio.gather(*waiting, return_exceptions=True)
        assert [type(r) for r in results] == [LookupError] * 3
        assert await rendered.get_or_render("k", fine) == b"ok"

    asyncio.run(scenario())


def test_values_marked_for_refresh_are_rendered_again_at_their_next_request() -> None:
    async def scenario() -> None:
        clock = _Clock()
        rendered = RenderedForAWhile[bytes](60.0, 120.0, clock=clock)
        gate = _Gate()
        gate.release.set()
        for key in ("Z1", "Z2"):
            await rendered.get_or_render(key, lambda key=key: gate.render(key + "a"))  # type: ignore[misc]
        clock.now = 1.0  # fresh for another 59 s
        assert rendered.refresh_soon(lambda key: key == "Z1") == 1
        # The marked one: the kept body at once, and one refresh behind it.
        assert await rendered.get_or_render("Z1", lambda: gate.render("Z1b")) == b"Z1a"
        assert await rendered.get_or_render("Z2", lambda: gate.render("Z2b")) == b"Z2a"
        await _settle()
        assert await rendered.get_or_render("Z1", lambda: gate.render("Z1c")) == b"Z1b"
        assert gate.calls == ["Z1a", "Z2a", "Z1b"]

    asyncio.run(scenario())


def test_a_value_marked_while_it_renders_is_due_again_when_it_is_done() -> None:
    # The render may have read before the change it is marked for: its value is not trusted.
    async def scenario() -> None:
        clock = _Clock()
        rendered = RenderedForAWhile[bytes](60.0, 120.0, clock=clock)
        gate = _Gate()
        gate.release.set()
        await rendered.get_or_render("k", lambda: gate.render("a"))
        gate.release.clear()
        clock.now = 61.0
        assert await rendered.get_or_render("k", lambda: gate.render("b")) == b"a"
        await _settle()  # "b" is rendering
        rendered.refresh_soon(lambda key: True)
        gate.release.set()
        await _settle()
        assert await rendered.get_or_render("k", lambda: gate.render("c")) == b"b"
        await _settle()
        assert gate.calls == ["a", "b", "c"]

    asyncio.run(scenario())


def test_values_rendered_together_fall_due_spread_over_the_last_share_of_the_interval() -> None:
    async def refreshed_at(now: float) -> str:
        clock = _Clock()
        draws = iter([0.0, 0.5, 1.0])  # a, b, c due at 4.0, 3.5 and 3.0 s
        rendered = RenderedForAWhile[bytes](
            4.0, 10.0, spread=0.25, clock=clock, draw=lambda: next(draws)
        )
        gate = _Gate()
        gate.release.set()
        for key in "abc":
            await rendered.get_or_render(key, lambda key=key: gate.render(key))  # type: ignore[misc]
        gate.calls.clear()
        clock.now = now
        for key in "abc":
            await rendered.get_or_render(key, lambda key=key: gate.render(key))  # type: ignore[misc]
        await _settle()
        return "".join(sorted(gate.calls))

    seen = {now: asyncio.run(refreshed_at(now)) for now in (2.9, 3.0, 3.5, 4.0)}
    assert seen == {2.9: "", 3.0: "c", 3.5: "bc", 4.0: "abc"}
