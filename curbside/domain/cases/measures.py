"""What the reports measure of one case (pure): when it is judged, whether on time, and how
long it spent in each stage.

按期结案率 (the on-time rate) is 按期结案数 / 应结案数, as the platforms' monthly bulletins
compute it (docs/cases.md cites two). A case becomes due (应结案) when it is closed or its
limit runs out, whichever comes first: a case closed early is judged at its close, one still
open is judged (late) when its deadline passes.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

from curbside.vocabulary.cases import STAGE_AFTER, Case, CaseEvent, CaseStage


def due_at(case: Case) -> datetime:
    """When the case is judged unless it closes sooner: its close or its deadline, whichever
    comes first (known at opening as the deadline; a close before it moves it earlier)."""
    return case.deadline if case.closed_at is None else min(case.closed_at, case.deadline)


def judged_at(case: Case, now: datetime) -> datetime | None:
    """When the case counted as due (应结案); None while it is open and within its limit."""
    if case.closed_at is None and case.deadline > now:
        return None
    return due_at(case)


def on_time_rate(on_time: int, due: int) -> float | None:
    """按期结案率 as a fraction; None with nothing due."""
    return None if due == 0 else on_time / due


def stage_times(events: Iterable[CaseEvent]) -> dict[CaseStage, timedelta]:
    """Time spent in each stage left, summed (a case sent back for rework spends time in
    ``dispatched`` twice). Stages skipped (verified by data before dispatch) are absent."""
    spent: dict[CaseStage, timedelta] = {}
    current: tuple[CaseStage, datetime] | None = None
    for event in sorted(events, key=lambda e: e.seq):
        stage = STAGE_AFTER.get(event.kind)
        if stage is None:
            continue  # an escalation changes no stage
        if current is not None:
            left, since = current
            spent[left] = spent.get(left, timedelta(0)) + (event.at - since)
        current = (stage, event.at)
    return spent
