"""When a bin will be full: a straight line through its fill since the last collection.

A bin fills at a rate that changes slowly over the day, so over a few hours a least-squares
line through its readings predicts when it reaches 100 %. The ``overflow_soon`` rule raises a
condition when that moment comes before the truck does.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta, tzinfo
from typing import Protocol

import numpy as np
import numpy.typing as npt

from curbside.domain.alerts.progress import judged_at
from curbside.domain.alerts.thresholds import AlertThresholds
from curbside.domain.sanitation.bins import BinState
from curbside.vocabulary.alerts import AlertKind, Condition, Domain, Subject
from curbside.vocabulary.messages import Message, seconds, utc_time

FULL_PCT = 100.0
# A rise so slow that 100 % is further off than this is flat for every practical purpose
# (and keeps the prediction inside what a datetime can hold).
_FLAT_BEYOND = timedelta(days=365)


class FillReading(Protocol):
    """One fill reading of a bin: when (aware) and how full, 0-100 %.

    A protocol, so the collection detector's ``Level`` and query rows alike can be passed.
    """

    @property
    def ts(self) -> datetime:
        """When the bin reported the fill."""
        ...

    @property
    def fill_pct(self) -> float:
        """How full it was, in percent."""
        ...


@dataclass(frozen=True, slots=True)
class FillLine:
    """The least-squares line through a bin's recent fill: its fill at the latest reading
    and how fast it rises (percent per hour, above 0)."""

    at: datetime
    fill_pct: float
    rate_pct_h: float


def fill_line(
    readings: Iterable[FillReading],
    now: datetime,
    *,
    min_readings: int = 3,
    window: timedelta = timedelta(hours=4),
    min_r2: float = 0.7,
) -> FillLine | None:
    """The rising line through the readings since the bin's last collection, or None.

    Only readings in ``(now - window, now]`` count. None: fewer than ``min_readings``
    readings, all at one moment, a flat or falling line, or a fit whose R² is below
    ``min_r2``. The overflow forecast here and the dispatch planner's fill trend
    (curbside/readmodels/bin_trends.py) both take their rate from this one line.
    """
    recent = _recent(readings, now, window)
    if len(recent) < min_readings:
        return None
    # Hours since the latest reading: small numbers, and exact whatever the epoch.
    latest = recent[-1].ts
    hours = np.array([(r.ts - latest) / timedelta(hours=1) for r in recent])
    fit = _rising_line(hours, np.array([r.fill_pct for r in recent]), min_r2)
    if fit is None:
        return None
    slope, intercept = fit
    return FillLine(latest, intercept, slope)


def predict_full_at(
    readings: Iterable[FillReading],
    now: datetime,
    *,
    min_readings: int = 3,
    window: timedelta = timedelta(hours=4),
    min_r2: float = 0.7,
) -> datetime | None:
    """When the bin reaches 100 %, from the readings since its last collection.

    Only readings in ``(now - window, now]`` count. A bin that already read 100 % reached it
    at its first such reading: the sensor cannot read more, so the line would bend there.
    Otherwise the time the line of :func:`fill_line` reaches 100 %, or None when there is no
    such line. The prediction may lie before ``now`` when a bin close to full last read a
    little low.
    """
    recent = _recent(readings, now, window)
    reached = [r.ts for r in recent if r.fill_pct >= FULL_PCT]
    if reached:
        return reached[0]
    line = fill_line(recent, now, min_readings=min_readings, window=window, min_r2=min_r2)
    if line is None:
        return None
    hours_to_full = (FULL_PCT - line.fill_pct) / line.rate_pct_h
    if hours_to_full > _FLAT_BEYOND / timedelta(hours=1):
        return None
    return line.at + timedelta(hours=hours_to_full)


def _recent(readings: Iterable[FillReading], now: datetime, window: timedelta) -> list[FillReading]:
    return sorted((r for r in readings if now - window < r.ts <= now), key=lambda r: r.ts)


def _rising_line(
    hours: npt.NDArray[np.float64], fill: npt.NDArray[np.float64], min_r2: float
) -> tuple[float, float] | None:
    """Slope (%/h) and intercept of the least-squares line, if it rises and fits well."""
    spread = float(np.sum((fill - fill.mean()) ** 2))
    if np.ptp(hours) == 0 or spread == 0:
        return None
    design = np.column_stack([hours, np.ones_like(hours)])
    coefficients, *_ = np.linalg.lstsq(design, fill, rcond=None)
    slope, intercept = float(coefficients[0]), float(coefficients[1])
    if slope <= 0:
        return None
    residual = float(np.sum((fill - design @ coefficients) ** 2))
    if 1.0 - residual / spread < min_r2:
        return None
    return slope, intercept


def overflow_soon_conditions(
    bins: Iterable[BinState],
    readings: Mapping[str, Sequence[FillReading]],
    thresholds: AlertThresholds,
    now: datetime,
    *,
    tz: tzinfo,
    next_rounds: Mapping[str, datetime] | None = None,
    progress: datetime | None = None,
) -> list[Condition]:
    """An ``overflow_soon`` condition for each bin predicted full before its next planned
    round or within ``overflow_horizon``, after the moment judged at.

    That moment is ``now``, or the stream's ``progress`` (the newest reading's timestamp)
    when the stream is behind (curbside/domain/alerts/progress.py): the readings and the horizon
    count from
    it. A prediction at or before ``now`` is stale whatever the data says (the bin is full
    already, which ``full`` reports, or the warning would come too late), so nothing is
    raised for it.

    ``readings`` and ``next_rounds`` are keyed by bin id (unique in the registry); the
    readings are those since the bin's last collection, so a collection resolves the
    condition. ``tz`` is the city's zone, in which the detail gives times.
    """
    rounds = next_rounds or {}
    wall, now = now, judged_at(now, progress)
    conditions = []
    for state in bins:
        full_at = predict_full_at(
            readings.get(state.bin, ()),
            now,
            min_readings=thresholds.trend_min_readings,
            window=thresholds.trend_window,
            min_r2=thresholds.trend_min_r2,
        )
        if full_at is None or full_at <= wall:
            continue
        next_round = rounds.get(state.bin)
        before_round = next_round is not None and full_at < next_round
        if not before_round and full_at > now + thresholds.overflow_horizon:
            continue
        detail = f"predicted full at {_local(full_at, now, tz)} local"
        horizon = seconds(thresholds.overflow_horizon)
        if next_round is None:
            detail += f", within {_hours(thresholds.overflow_horizon)}, no round planned"
            message = Message(
                "bin.overflow_soon.no_round", {"full_at": utc_time(full_at), "horizon_s": horizon}
            )
        elif before_round:
            detail += f", before the next round at {_local(next_round, now, tz)}"
            message = Message(
                "bin.overflow_soon.before_round",
                {"full_at": utc_time(full_at), "round_at": utc_time(next_round)},
            )
        else:
            # The round comes first, but rounds run late: the horizon is the safety net.
            detail += (
                f", within {_hours(thresholds.overflow_horizon)}"
                f" (next round at {_local(next_round, now, tz)})"
            )
            message = Message(
                "bin.overflow_soon.within_horizon",
                {
                    "full_at": utc_time(full_at),
                    "horizon_s": horizon,
                    "round_at": utc_time(next_round),
                },
            )
        conditions.append(
            Condition(
                AlertKind.OVERFLOW_SOON,
                Subject(Domain.SANITATION, state.district, state.bin),
                detail,
                message,
            )
        )
    return conditions


def _local(moment: datetime, now: datetime, tz: tzinfo) -> str:
    """``14:35`` today (local), ``11-28 02:10`` on another day."""
    local = moment.astimezone(tz)
    if local.date() == now.astimezone(tz).date():
        return f"{local:%H:%M}"
    return f"{local:%m-%d %H:%M}"


def _hours(span: timedelta) -> str:
    minutes = int(span.total_seconds() // 60)
    return f"{minutes // 60} h {minutes % 60:02d} min"
