"""A case's steps as a pure state machine: each step checked against the stage it leaves.

Every function returns the case as it is after the step and the event that records it; the
caller stores both in one transaction. A step that does not follow from the case's stage, or
that is dated before the case's last step (escalations aside: they move no stage), is refused
with :class:`StepRefused`: the stages' times must run forward for the time-per-stage report to
mean anything.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from zoneinfo import ZoneInfo

from curbside.domain.cases.working_time import deadline
from curbside.vocabulary.alerts import Alert
from curbside.vocabulary.cases import (
    STAGE_AFTER,
    SUPERVISOR_ROLE,
    SYSTEM_ACTOR,
    Case,
    CaseEvent,
    CaseEventKind,
    CasePolicy,
    CaseStage,
)
from curbside.vocabulary.workdays import WorkdayCalendar

Step = tuple[Case, CaseEvent]

# From which stages a person's step may be taken. Dispatching again from ``dispatched`` hands
# the case to another crew (改派).
_PERSON_STEPS: dict[CaseEventKind, frozenset[CaseStage]] = {
    CaseEventKind.DISPATCHED: frozenset({CaseStage.REGISTERED, CaseStage.DISPATCHED}),
    CaseEventKind.HANDLED: frozenset({CaseStage.DISPATCHED}),
    CaseEventKind.VERIFIED: frozenset({CaseStage.HANDLED}),
    CaseEventKind.REWORK: frozenset({CaseStage.HANDLED}),
    CaseEventKind.CLOSED: frozenset({CaseStage.VERIFIED}),
}

# The data may verify a case at any stage before verification: a truck on its round may empty
# a full bin before anyone was dispatched to it.
DATA_VERIFIABLE = frozenset({CaseStage.REGISTERED, CaseStage.DISPATCHED, CaseStage.HANDLED})

PERSON_STEPS = frozenset(_PERSON_STEPS)
"""The step kinds a person (or the platform on a person's behalf) may take."""


class StepRefused(ValueError):
    """The step does not follow from the case's stage, or is dated before its last step."""


def open_case(
    alert: Alert, policy: CasePolicy, calendar: WorkdayCalendar, tz: ZoneInfo
) -> Step | None:
    """The case an alert opens (立案 at the alert's opening), or None if its kind opens none."""
    limit = policy.kinds.get(alert.kind)
    if limit is None:
        return None
    due = deadline(alert.opened_at, limit, policy.working_hours, calendar, tz)
    case = Case(
        id=alert.id,
        kind=alert.kind,
        subject=alert.subject,
        opened_at=alert.opened_at,
        deadline=due,
        stage=CaseStage.REGISTERED,
        last_seq=1,
        last_at=alert.opened_at,
    )
    return case, CaseEvent(case.id, 1, CaseEventKind.OPENED, alert.opened_at, SYSTEM_ACTOR)


def take_step(
    case: Case, kind: CaseEventKind, at: datetime, by: str, assignee: str | None = None
) -> Step:
    """A person's step: dispatch (to ``assignee``), handle, verify, rework or close."""
    allowed = _PERSON_STEPS.get(kind)
    if allowed is None:
        raise StepRefused(f"{kind} is not a step a person takes")
    if case.stage not in allowed:
        raise StepRefused(f"case {case.id} is {case.stage}: it cannot be {kind} now")
    if kind is CaseEventKind.DISPATCHED and not assignee:
        raise StepRefused("dispatching needs an assignee (a crew or a truck)")
    if not by:
        raise StepRefused("a step needs the person who took it")
    basis = "person" if kind in (CaseEventKind.VERIFIED, CaseEventKind.REWORK) else None
    return _advance(case, kind, at, by, assignee=assignee, basis=basis)


def verify_by_data(case: Case, basis: str, at: datetime) -> list[Step]:
    """Verified (核查) by what the data shows, then closed (结案) at once: no person needs to
    look. Dated at the later of the fact and the case's last step."""
    if case.stage not in DATA_VERIFIABLE:
        raise StepRefused(f"case {case.id} is {case.stage}: the data cannot verify it now")
    when = max(at, case.last_at)
    verified = _advance(case, CaseEventKind.VERIFIED, when, SYSTEM_ACTOR, basis=basis)
    closed = _advance(verified[0], CaseEventKind.CLOSED, when, SYSTEM_ACTOR)
    return [verified, closed]


def over_limit(case: Case, now: datetime) -> bool:
    """Whether the case went past its time limit: closed late, or still open after its
    deadline (escalated or not yet)."""
    if case.closed:
        return case.on_time is False
    return now > case.deadline


def escalate(case: Case, now: datetime) -> Step | None:
    """The escalation of a case past its deadline and not closed, once; else None."""
    if case.closed or case.escalated_at is not None or not over_limit(case, now):
        return None
    return _advance(case, CaseEventKind.ESCALATED, now, SYSTEM_ACTOR, basis=SUPERVISOR_ROLE)


def _advance(
    case: Case,
    kind: CaseEventKind,
    at: datetime,
    by: str,
    *,
    assignee: str | None = None,
    basis: str | None = None,
) -> Step:
    if at < case.last_at:
        raise StepRefused(
            f"case {case.id}: a step at {at.isoformat()} is before its last step at "
            f"{case.last_at.isoformat()}"
        )
    seq = case.last_seq + 1
    event = CaseEvent(case.id, seq, kind, at, by, assignee=assignee, basis=basis)
    # An escalation moves no stage, so it does not move the clock the stages run on either: a
    # crew's step reported after the escalation may still be dated before it.
    last_at = case.last_at if kind is CaseEventKind.ESCALATED else at
    after = replace(case, last_seq=seq, last_at=last_at, stage=STAGE_AFTER.get(kind, case.stage))
    if kind is CaseEventKind.DISPATCHED:
        after = replace(after, assignee=assignee)
    elif kind is CaseEventKind.VERIFIED:
        after = replace(after, verified_by=basis if by == SYSTEM_ACTOR else by)
    elif kind is CaseEventKind.REWORK:
        after = replace(after, reworks=case.reworks + 1)
    elif kind is CaseEventKind.CLOSED:
        after = replace(after, closed_at=at)
    elif kind is CaseEventKind.ESCALATED:
        after = replace(after, escalated_at=at)
    return after, event
