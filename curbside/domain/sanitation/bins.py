"""The latest known state of a bin, as the API and the collection planning see it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True, slots=True)
class BinState:
    """The last reported value of each bin field; None for a field never reported."""

    district: str
    bin: str
    fill_pct: float | None
    last_seen: datetime | None
    battery_v: float | None
    temp_c: float | None
    tilted: bool | None
