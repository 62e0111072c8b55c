"""What a case is: the GB/T 30428 workflow's stages, its events, and the city's case policy.

The city-management platform runs every problem through five stages: registered (立案),
dispatched (派遣), handled (处置), verified (核查) and closed (结案), each step with who and
when. A case here is opened by an alert of a kind the policy names; its identity is the
alert's id, so the same alert never opens two cases (docs/cases.md).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time
from enum import StrEnum
from itertools import pairwise
from typing import Literal, Self

from pydantic import BaseModel, ConfigDict, Field, model_validator

from curbside.vocabulary.alerts import AlertKind, Subject


class CaseStage(StrEnum):
    """Where a case is in the workflow; each stage is reached by one kind of step."""

    REGISTERED = "registered"  # 立案
    DISPATCHED = "dispatched"  # 派遣
    HANDLED = "handled"  # 处置
    VERIFIED = "verified"  # 核查
    CLOSED = "closed"  # 结案


class CaseEventKind(StrEnum):
    """Every change of a case, as recorded, reported and handed to the platform."""

    OPENED = "opened"
    DISPATCHED = "dispatched"
    HANDLED = "handled"
    VERIFIED = "verified"
    # 核查不通过: the verifier found the problem still there; the case goes back to its crew.
    REWORK = "rework"
    CLOSED = "closed"
    # Over its time limit and not closed: a supervisor is told, once.
    ESCALATED = "escalated"


STAGE_AFTER: dict[CaseEventKind, CaseStage] = {
    CaseEventKind.OPENED: CaseStage.REGISTERED,
    CaseEventKind.DISPATCHED: CaseStage.DISPATCHED,
    CaseEventKind.HANDLED: CaseStage.HANDLED,
    CaseEventKind.VERIFIED: CaseStage.VERIFIED,
    CaseEventKind.REWORK: CaseStage.DISPATCHED,
    CaseEventKind.CLOSED: CaseStage.CLOSED,
}
"""The stage each event leaves the case in (an escalation leaves it where it is)."""

SYSTEM_ACTOR = "curbside"
"""Who acts when the data decides (opening, verification by data, escalation)."""

SUPERVISOR_ROLE = "supervisor"
"""The role an escalation is addressed to."""


@dataclass(frozen=True, slots=True)
class CaseEvent:
    """One step of one case: ``seq`` counts from 1 per case, so (case, seq) is the event's
    identity and its idempotency key for whoever receives it."""

    case_id: str
    seq: int
    kind: CaseEventKind
    at: datetime
    by: str
    assignee: str | None = None
    # How a verification was decided: ``data:collection`` / ``data:vacated`` /
    # ``data:reading`` or ``person``; for an escalation, the role told.
    basis: str | None = None

    @property
    def key(self) -> str:
        """The idempotency key: ``{case_id}#{seq}``."""
        return f"{self.case_id}#{self.seq}"


@dataclass(frozen=True, slots=True)
class Case:
    """A case's current state; its history is its events."""

    id: str
    kind: AlertKind
    subject: Subject
    opened_at: datetime
    deadline: datetime
    stage: CaseStage
    last_seq: int
    # When the stage last changed: later steps may not be dated before it.
    last_at: datetime
    assignee: str | None = None
    verified_by: str | None = None
    closed_at: datetime | None = None
    escalated_at: datetime | None = None
    reworks: int = 0

    @property
    def closed(self) -> bool:
        """Whether the case reached 结案."""
        return self.stage is CaseStage.CLOSED

    @property
    def on_time(self) -> bool | None:
        """Closed by its deadline (按期结案); None while open."""
        return None if self.closed_at is None else self.closed_at <= self.deadline


class WorkingPeriod(BaseModel):
    """One stretch of a workday's working time, local time (e.g. 08:00 to 12:00)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    start: time
    end: time

    @model_validator(mode="after")
    def _check(self) -> Self:
        if self.end <= self.start:
            raise ValueError(f"working period {self.start}-{self.end}: end must be after start")
        return self


class CaseLimit(BaseModel):
    """How long a case of one kind may take from 立案 to 结案.

    ``working`` hours count only the working periods of workdays (the platform's way);
    ``calendar`` hours count every hour (for emergencies such as a fire).
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    limit_h: float = Field(gt=0, le=24 * 366)
    clock: Literal["working", "calendar"] = "working"


def _default_periods() -> tuple[WorkingPeriod, ...]:
    return (
        WorkingPeriod(start=time(8, 0), end=time(12, 0)),
        WorkingPeriod(start=time(14, 0), end=time(18, 0)),
    )


def _default_kinds() -> dict[AlertKind, CaseLimit]:
    return {
        AlertKind.NOT_CLEARED: CaseLimit(limit_h=4),
        AlertKind.FULL: CaseLimit(limit_h=2),
        AlertKind.FIRE: CaseLimit(limit_h=1, clock="calendar"),
        AlertKind.TILTED: CaseLimit(limit_h=4),
        AlertKind.OVERSTAY: CaseLimit(limit_h=1),
        AlertKind.SENSOR_SILENT: CaseLimit(limit_h=16),
        AlertKind.LOW_BATTERY: CaseLimit(limit_h=40),
    }


class CasePolicy(BaseModel):
    """Which alert kinds open a case, each kind's time limit, and the working day's periods
    (the registry's ``cases:``; the workdays are the registry's ``workday_calendar``)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    working_hours: tuple[WorkingPeriod, ...] = Field(default_factory=_default_periods, min_length=1)
    kinds: dict[AlertKind, CaseLimit] = Field(
        default_factory=_default_kinds,
        description="the alert kinds that open a case; a kind left out opens none",
    )

    @model_validator(mode="after")
    def _check(self) -> Self:
        periods = sorted(self.working_hours, key=lambda p: p.start)
        for before, after in pairwise(periods):
            if after.start < before.end:
                raise ValueError(
                    f"working_hours: {before.start}-{before.end} and "
                    f"{after.start}-{after.end} overlap"
                )
        if AlertKind.OVERFLOW_SOON in self.kinds:
            # A prediction is not a problem anyone can handle yet.
            raise ValueError("kinds: overflow_soon is a prediction and cannot open a case")
        return self

    def opens_case(self, kind: AlertKind) -> bool:
        """Whether an alert of this kind opens a case."""
        return kind in self.kinds
