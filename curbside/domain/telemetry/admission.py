"""Admission: the checks a decoded reading passes before it is stored.

The device must exist in the city registry, its timestamp must be believable, and a bin's
distance reading becomes a fill level using that bin's depth. Pure: ``received_at`` is given.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import TypeVar

from curbside.city.registry import City
from curbside.domain.sanitation.fill import fill_from_distance
from curbside.vocabulary.readings import BinEmptied, BinLevel, Reading, SensorBattery, SpaceStatus
from curbside.vocabulary.rejection import Reason, Rejected

_R = TypeVar("_R", SpaceStatus, BinLevel, BinEmptied, SensorBattery)


@dataclass(frozen=True, slots=True)
class TimestampPolicy:
    """How far a device clock may run ahead, and how old a backfilled reading may be."""

    future_tolerance: timedelta = timedelta(minutes=5)
    max_age: timedelta = timedelta(days=7)


def admit(reading: Reading, city: City, received_at: datetime, policy: TimestampPolicy) -> Reading:
    """The reading ready to store (timestamp set, fill computed), or raise Rejected."""
    ts = _checked_ts(reading.ts, received_at, policy)
    match reading:
        case SpaceStatus(zone=zone, space=space):
            if city.space(zone, space) is None:
                raise Rejected(Reason.UNKNOWN_DEVICE, f"no space {space!r} in zone {zone!r}")
            return _with_ts(reading, ts)
        case BinLevel(district=district, bin=bin_id):
            known = city.bin(district, bin_id)
            if known is None:
                raise Rejected(Reason.UNKNOWN_DEVICE, f"no bin {bin_id!r} in {district!r}")
            fill = reading.fill_pct
            if fill is None and reading.distance_cm is not None:
                fill = fill_from_distance(
                    reading.distance_cm, known.depth_cm, known.full_distance_cm
                )
            if ts is reading.ts and fill == reading.fill_pct:
                return reading
            return replace(reading, ts=ts, fill_pct=fill)
        case BinEmptied(district=district, bin=bin_id):
            if city.bin(district, bin_id) is None:
                raise Rejected(Reason.UNKNOWN_DEVICE, f"no bin {bin_id!r} in {district!r}")
            return _with_ts(reading, ts)
        case SensorBattery(domain=domain, group=group, device=device):
            known_device = (
                city.space(group, device) if domain == "parking" else city.bin(group, device)
            )
            if known_device is None:
                raise Rejected(Reason.UNKNOWN_DEVICE, f"no {domain} device {group}/{device}")
            return _with_ts(reading, ts)


def _with_ts(reading: _R, ts: datetime) -> _R:
    # Readings are frozen: one that already carries its own time is stored as it is (a copy
    # per reading was a tenth of ingest's time).
    return reading if ts is reading.ts else replace(reading, ts=ts)


def _checked_ts(ts: datetime | None, received_at: datetime, policy: TimestampPolicy) -> datetime:
    if ts is None:
        return received_at
    if ts > received_at + policy.future_tolerance:
        raise Rejected(Reason.TS_FUTURE, f"ts {ts.isoformat()} is ahead of the receive time")
    if ts < received_at - policy.max_age:
        raise Rejected(Reason.TS_TOO_OLD, f"ts {ts.isoformat()} is older than {policy.max_age}")
    return ts
