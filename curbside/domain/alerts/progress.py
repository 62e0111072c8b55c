"""How far the data has come: the moment silence and trends are judged at. Pure.

Rules that ask "how long since this device spoke?" or "when will this bin be full?" need a
present moment. The wall clock is the wrong one while the stream is behind (a replay, or
ingest draining a backlog after an outage): every device waiting in the backlog would look
silent, and trends would predict moments that have already passed. So they are judged at the
stream's own progress, the newest reading timestamp stored, whenever that lies behind the wall
clock. A live stream's newest reading is seconds old, so this changes nothing then; a stream
hours behind is judged hours back.
"""

from __future__ import annotations

from datetime import datetime


def judged_at(now: datetime, progress: datetime | None) -> datetime:
    """The moment the data has reached: ``progress`` (the newest reading's timestamp) when it
    lies behind ``now``, else ``now``; ``now`` when nothing has been read at all."""
    if progress is None:
        return now
    return min(now, progress)
