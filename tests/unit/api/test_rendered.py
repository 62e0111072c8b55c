"""Bodies rendered once per snapshot: reused until the snapshot changes, per key."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from api.rendered import RenderedPerSnapshot
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
