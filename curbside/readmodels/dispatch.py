"""The day's collection plan, kept between requests: made from the live bin states and the
active fire and full alerts, re-made on demand keeping the stops trucks are driving to, and
handed route by route to whoever publishes it for the in-cab tablets."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Mapping
from datetime import datetime, timedelta

from curbside.city.registry import City
from curbside.domain.dispatch.city_problem import (
    BinFill,
    PlanningRules,
    city_problem,
    next_plan_at,
)
from curbside.domain.dispatch.problem import Plan, TruckRoute, Urgency
from curbside.domain.dispatch.replan import Pinned, pin_driven_stops, with_pinned
from curbside.domain.dispatch.solver import solve
from curbside.domain.dispatch.travel import GreatCircleTravel, TravelModel
from curbside.domain.dispatch.triggers import Trigger, TruckProgress, replan_trigger
from curbside.domain.sanitation.bins import BinState
from curbside.domain.sanitation.worklist import Point
from curbside.readmodels.bin_trends import BinTrend
from curbside.vocabulary.alerts import Alert, AlertKind

_URGENT_KINDS: dict[AlertKind, Urgency] = {AlertKind.FIRE: "fire", AlertKind.FULL: "full"}


def bin_fills(
    states: Iterable[BinState],
    alerts: Iterable[Alert],
    trends: Mapping[tuple[str, str], BinTrend] | None = None,
    now: datetime | None = None,
) -> dict[tuple[str, str], BinFill]:
    """Each reporting bin's fill, urgent when a fire or full alert is active or it is tilted.

    With ``trends`` (curbside/readmodels/bin_trends.py) a bin rises at its trend's rate and
    knows when it was last emptied; its last reported fill is carried forward along the
    trend to ``now`` (the plan's start), so a bin that reported a while ago is not planned as
    emptier than it is. Bins that never reported a fill are not in the plan: nothing says
    they hold rubbish.
    """
    urgent: dict[tuple[str, str], Urgency] = {}
    # Fire before full: the more urgent reason wins when a bin has both.
    for alert in sorted(alerts, key=lambda a: a.kind != AlertKind.FIRE):
        kind = _URGENT_KINDS.get(alert.kind)
        key = (alert.subject.group, alert.subject.device)
        if kind is not None and key not in urgent:
            urgent[key] = kind
    fills: dict[tuple[str, str], BinFill] = {}
    for state in states:
        if state.fill_pct is None:
            continue
        key = (state.district, state.bin)
        reason = urgent.get(key) or ("tilted" if state.tilted else None)
        trend = (trends or {}).get(key)
        if trend is None:
            fills[key] = BinFill(state.fill_pct, urgent=reason)
            continue
        reported = BinFill(state.fill_pct, trend.rate_pct_h)
        since_h = 0.0
        if now is not None and state.last_seen is not None:
            since_h = (now - state.last_seen) / timedelta(hours=1)
        fills[key] = BinFill(reported.fill_at(since_h), trend.rate_pct_h, reason, trend.emptied_at)
    return fills


class DispatchDesk:
    """Holds the current plan; one re-plan at a time (a solve takes seconds)."""

    def __init__(
        self,
        city: City,
        *,
        travel: TravelModel | None = None,
        time_limit_s: float = 10.0,
        rubbish_above_pct: float = 10.0,
        publish: Callable[[TruckRoute], None] | None = None,
        rules: PlanningRules | None = None,
    ) -> None:
        self._city = city
        self._travel = travel or GreatCircleTravel(city.tz)
        self._time_limit_s = time_limit_s
        self._rubbish_above_pct = rubbish_above_pct
        self._publish = publish
        self.rules = rules or PlanningRules()
        self._lock = threading.Lock()
        self._plan: Plan | None = None
        self._next_due: datetime | None = None
        self._progress: dict[str, TruckProgress] = {}

    @property
    def current(self) -> Plan | None:
        """The latest plan, or None before the first."""
        return self._plan

    def next_plan_after(self, now: datetime) -> datetime:
        """When the plan after one made at ``now`` is due (the cadence within the shifts)."""
        return next_plan_at(self._city, now, self.rules.every)

    def replan(self, now: datetime, fills: Mapping[tuple[str, str], BinFill]) -> Plan:
        """A new plan from ``now``, keeping the stop each truck is driving to; published."""
        with self._lock:
            problem = city_problem(
                self._city,
                fills,
                now,
                rubbish_above_pct=self._rubbish_above_pct,
                overflow_before=self.rules.overflow_before(now, self.next_plan_after(now)),
                sweep_within=self.rules.sweep_within,
                skip_penalty_m=self.rules.skip_penalty_m,
            )
            kept, pinned = problem, list[Pinned]()
            positions: dict[str, Point] = {}
            if self._plan is not None:
                kept, pinned = pin_driven_stops(problem, self._plan, now)
                # Where a truck reported being since the previous plan began is where its
                # re-planned route begins (a report from before that is of an older day).
                positions = {
                    p.truck: p.where
                    for p in self._progress.values()
                    if p.where is not None and self._plan.start <= p.at <= now
                }
            fresh = solve(kept, self._travel, time_limit_s=self._time_limit_s)
            plan = with_pinned(fresh, pinned, problem, self._travel, positions)
            self._plan = plan
            self._next_due = self.next_plan_after(now)
        if self._publish is not None:
            for route in plan.routes:
                self._publish(route)
        return plan

    @property
    def progress(self) -> list[TruckProgress]:
        """Each truck's latest progress report, by truck id."""
        return [self._progress[t] for t in sorted(self._progress)]

    def report(self, progress: TruckProgress) -> None:
        """A truck's latest progress (older reports than the one held are ignored)."""
        held = self._progress.get(progress.truck)
        if held is None or progress.at >= held.at:
            self._progress[progress.truck] = progress

    def trigger(
        self,
        now: datetime,
        urgent: Iterable[tuple[str, str]],
        *,
        urgent_within: timedelta,
        late_after: timedelta,
    ) -> Trigger | None:
        """Whether the plan should be made again now without being asked, and why."""
        return replan_trigger(
            self._plan,
            now,
            next_plan=self._next_due or now,
            urgent=urgent,
            progress=dict(self._progress),
            urgent_within=urgent_within,
            late_after=late_after,
        )
