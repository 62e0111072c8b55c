"""Bodies rendered once per snapshot: reused until the snapshot changes, per key."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

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


def test_requests_arriving_during_a_render_wait_for_it_and_render_nothing() -> None:
    async def scenario() -> None:
        clock = _Clock()
        rendered = RenderedForAWhile(1.0, clock)
        release = asyncio.Event()
        calls: list[str] = []

        async def render(text: str) -> bytes:
            calls.append(text)
            await release.wait()
            return text.encode()

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
        clock.now = 0.9  # still fresh
        assert await rendered.get_or_render("k", lambda: render("c")) == b"a"
        clock.now = 1.0  # stale: rendered again
        assert await rendered.get_or_render("k", lambda: render("d")) == b"d"
        assert calls == ["a", "d"]

    asyncio.run(scenario())


def test_a_failed_render_fails_every_waiter_and_is_not_kept() -> None:
    async def scenario() -> None:
        rendered = RenderedForAWhile(1.0, _Clock())
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
