"""The sensor rules: full, burning, tipped-over, low-battery and silent devices.

Each rule reads the latest known state of every device and returns the conditions that hold
now. A device whose last message is older than its silence limit raises only
``sensor_silent``: its last values say nothing about now, the way a silent parking sensor
says nothing about the kerb. A value never reported (None) raises nothing. A device never
heard from at all (``last_seen`` None) is *unknown*, not silent: it may not be installed
yet, and a registry running ahead of the installers should not flood the alert list.

Each rule takes the wall clock (``now``) and the stream's ``progress`` (the newest reading's
timestamp) and judges at :func:`curbside.domain.alerts.progress.judged_at` of the two: while the
stream is
behind, a device merely waiting in the backlog is not silent (docs/alerts.md).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import TypeVar

from curbside.domain.alerts.progress import judged_at
from curbside.domain.alerts.thresholds import AlertThresholds
from curbside.domain.parking.occupancy import SpaceState
from curbside.domain.sanitation.bins import BinState
from curbside.vocabulary.alerts import AlertKind, Condition, Domain, Subject
from curbside.vocabulary.messages import Message, number, seconds, utc_time

_State = TypeVar("_State", BinState, SpaceState)


def full_conditions(
    bins: Iterable[BinState],
    thresholds: AlertThresholds,
    now: datetime,
    progress: datetime | None = None,
) -> list[Condition]:
    """A ``full`` condition for each heard-from bin filled to ``full_pct`` or more."""
    limit = thresholds.full_pct
    return [
        Condition(
            AlertKind.FULL,
            bin_subject(b),
            f"fill {_num(b.fill_pct)} % ≥ {_num(limit)} %",
            Message("bin.full", {"fill_pct": number(b.fill_pct), "limit_pct": number(limit)}),
        )
        for b in _heard(bins, thresholds.bin_silent_after, judged_at(now, progress))
        if b.fill_pct is not None and b.fill_pct >= limit
    ]


def fire_conditions(
    bins: Iterable[BinState],
    thresholds: AlertThresholds,
    now: datetime,
    progress: datetime | None = None,
) -> list[Condition]:
    """A ``fire`` condition for each heard-from bin at ``fire_temp_c`` or hotter."""
    limit = thresholds.fire_temp_c
    return [
        Condition(
            AlertKind.FIRE,
            bin_subject(b),
            f"temperature {_num(b.temp_c)} °C ≥ {_num(limit)} °C",
            Message("bin.fire", {"temp_c": number(b.temp_c), "limit_c": number(limit)}),
        )
        for b in _heard(bins, thresholds.bin_silent_after, judged_at(now, progress))
        if b.temp_c is not None and b.temp_c >= limit
    ]


def tilted_conditions(
    bins: Iterable[BinState],
    thresholds: AlertThresholds,
    now: datetime,
    progress: datetime | None = None,
) -> list[Condition]:
    """A ``tilted`` condition for each heard-from bin whose sensor reports it tipped over."""
    return [
        Condition(
            AlertKind.TILTED, bin_subject(b), "bin reports it is tilted", Message("bin.tilted")
        )
        for b in _heard(bins, thresholds.bin_silent_after, judged_at(now, progress))
        if b.tilted is True
    ]


def low_battery_conditions(
    bins: Iterable[BinState],
    spaces: Iterable[SpaceState],
    thresholds: AlertThresholds,
    now: datetime,
    progress: datetime | None = None,
) -> list[Condition]:
    """A ``low_battery`` condition for each heard-from bin or space sensor at ``low_battery_v``
    or below."""
    limit = thresholds.low_battery_v
    subjects = [
        (bin_subject(b), b.battery_v)
        for b in _heard(bins, thresholds.bin_silent_after, judged_at(now, progress))
    ]
    subjects.extend(
        (space_subject(s), s.battery_v)
        for s in _heard(spaces, thresholds.space_silent_after, judged_at(now, progress))
    )
    return [
        Condition(
            AlertKind.LOW_BATTERY,
            subject,
            f"battery {_num(volts)} V ≤ {_num(limit)} V",
            Message("device.low_battery", {"volts": number(volts), "limit_v": number(limit)}),
        )
        for subject, volts in subjects
        if volts is not None and volts <= limit
    ]


def sensor_silent_conditions(
    bins: Iterable[BinState],
    spaces: Iterable[SpaceState],
    thresholds: AlertThresholds,
    now: datetime,
    progress: datetime | None = None,
) -> list[Condition]:
    """A ``sensor_silent`` condition for each bin or space sensor heard from once but quiet
    for longer than its silence limit, judged at the stream's progress."""
    now = judged_at(now, progress)
    found = [
        (bin_subject(b), b.last_seen, thresholds.bin_silent_after)
        for b in bins
        if _is_silent(b.last_seen, thresholds.bin_silent_after, now)
    ]
    found.extend(
        (space_subject(s), s.last_seen, thresholds.space_silent_after)
        for s in spaces
        if _is_silent(s.last_seen, thresholds.space_silent_after, now)
    )
    return [
        Condition(
            AlertKind.SENSOR_SILENT,
            subject,
            f"no message for {_duration(now - last_seen)} since {last_seen.isoformat()}, "
            f"limit {_duration(limit)}",
            Message(
                "device.silent",
                {
                    "since": utc_time(last_seen),
                    "silent_s": seconds(now - last_seen),
                    "limit_s": seconds(limit),
                },
            ),
        )
        for subject, last_seen, limit in found
        if last_seen is not None
    ]


def bin_subject(state: BinState) -> Subject:
    """The alert subject of a bin."""
    return Subject(Domain.SANITATION, state.district, state.bin)


def space_subject(state: SpaceState) -> Subject:
    """The alert subject of a parking space."""
    return Subject(Domain.PARKING, state.zone, state.space)


def _heard(states: Iterable[_State], silent_after: timedelta, now: datetime) -> list[_State]:
    """The states whose device spoke within ``silent_after``: only their values mean now."""
    return [s for s in states if s.last_seen is not None and now - s.last_seen <= silent_after]


def _is_silent(last_seen: datetime | None, silent_after: timedelta, now: datetime) -> bool:
    return last_seen is not None and now - last_seen > silent_after


def _num(value: float) -> str:
    """``86.5``, ``80``, ``3.25``: as many decimals as the reading has, up to two."""
    return f"{round(value, 2):g}"


def _duration(span: timedelta) -> str:
    minutes = int(span.total_seconds() // 60)
    return f"{minutes // 60} h {minutes % 60:02d} min"
