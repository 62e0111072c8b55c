"""The case report over a range of local days: opened, closed, due (应结案), closed on time
(按期结案) and the on-time rate, escalations, reworks, and the mean time spent per stage, by
period, area (district or zone, or the city) and case kind.

Each figure is counted in the period of its own day: opened on the local day of 立案, closed
on the day of 结案, due and on time on the day the case was judged (its close or its
deadline, whichever came first: curbside/domain/cases/measures.py). The stage means are over
the cases closed in the period.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Literal
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from curbside.adapters.records.case_store import cases_touching, events_of
from curbside.domain.cases.measures import judged_at, on_time_rate, stage_times
from curbside.readmodels.reports.periods import Period, period_keys
from curbside.vocabulary.cases import Case, CaseStage

CaseGroup = Literal["area", "city"]
CITY = "city"
TIMED_STAGES = (
    CaseStage.REGISTERED,
    CaseStage.DISPATCHED,
    CaseStage.HANDLED,
    CaseStage.VERIFIED,
)


@dataclass(slots=True)
class _Sums:
    opened: int = 0
    closed: int = 0
    due: int = 0
    on_time: int = 0
    escalated: int = 0
    reworks: int = 0
    by_data: int = 0
    stage_s: dict[CaseStage, list[float]] = field(default_factory=lambda: defaultdict(list))


@dataclass(frozen=True, slots=True)
class CaseRow:
    """One period of one area (or the city) and case kind."""

    period: str
    group: str
    kind: str
    opened: int
    closed: int
    due: int
    closed_on_time: int
    on_time_rate: float | None
    escalated: int
    reworks: int
    verified_by_data: int
    mean_stage_s: dict[str, float | None]


def case_report(
    db: Session,
    tz: ZoneInfo,
    first: date,
    last: date,
    now: datetime,
    *,
    group: CaseGroup,
    period: Period,
    areas: Collection[str] | None = None,
) -> list[CaseRow]:
    """The report for the local days ``first..last`` as known at ``now``; only cases in the
    ``areas`` given (a caller's zones and districts), else all."""
    keys = period_keys(first, last, period)  # checks the range too
    start = datetime.combine(first, time(0), tzinfo=tz)
    end = datetime.combine(last + timedelta(days=1), time(0), tzinfo=tz)
    cases = [
        c
        for c in cases_touching(db, first, last, start, end)
        if areas is None or c.subject.group in areas
    ]
    events = events_of(db, [c.id for c in cases if c.closed_at is not None])
    sums: dict[tuple[str, str, str], _Sums] = defaultdict(_Sums)

    def row(at: datetime, case: Case) -> _Sums | None:
        key = keys.get(at.astimezone(tz).date())
        if key is None:
            return None
        area = case.subject.group if group == "area" else CITY
        return sums[(key, area, str(case.kind))]

    for case in cases:
        if (opened := row(case.opened_at, case)) is not None:
            opened.opened += 1
        if case.escalated_at is not None and (late := row(case.escalated_at, case)) is not None:
            late.escalated += 1
        judged = judged_at(case, now)
        if judged is not None and (due := row(judged, case)) is not None:
            due.due += 1
            due.on_time += bool(case.on_time)
        if case.closed_at is not None and (closed := row(case.closed_at, case)) is not None:
            closed.closed += 1
            closed.reworks += case.reworks
            closed.by_data += bool(case.verified_by and case.verified_by.startswith("data:"))
            for stage, spent in stage_times(events.get(case.id, [])).items():
                closed.stage_s[stage].append(spent.total_seconds())
    return [_finish(key, s) for key, s in sorted(sums.items())]


def _finish(key: tuple[str, str, str], s: _Sums) -> CaseRow:
    period, area, kind = key
    means = {
        str(stage): (sum(s.stage_s[stage]) / len(s.stage_s[stage]) if s.stage_s[stage] else None)
        for stage in TIMED_STAGES
    }
    return CaseRow(
        period=period,
        group=area,
        kind=kind,
        opened=s.opened,
        closed=s.closed,
        due=s.due,
        closed_on_time=s.on_time,
        on_time_rate=on_time_rate(s.on_time, s.due),
        escalated=s.escalated,
        reworks=s.reworks,
        verified_by_data=s.by_data,
        mean_stage_s=means,
    )
