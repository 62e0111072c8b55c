"""JSON bodies rendered once per live-state snapshot, for the endpoints every dashboard polls.

Between two live-state ticks every request for the same thing gets the same answer, so the first
request after a tick renders it and the others send the same bytes: building and
validating a hundred response models per request was most of an occupancy request's cost.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable

from curbside.readmodels.live.state import Snapshot


class RenderedPerSnapshot:
    """Bodies by key, valid while the snapshot they were rendered from is current."""

    def __init__(self) -> None:
        self._snapshot: Snapshot | None = None
        self._bodies: dict[Hashable, bytes] = {}

    def get(self, snapshot: Snapshot, key: Hashable, render: Callable[[], bytes]) -> bytes:
        """The body for ``key`` rendered from ``snapshot``, rendering it if needed."""
        if snapshot is not self._snapshot:
            self._snapshot, self._bodies = snapshot, {}
        body = self._bodies.get(key)
        if body is None:
            body = self._bodies[key] = render()
        return body
