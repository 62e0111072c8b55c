"""The case workflow as a state machine: 立案 -> 派遣 -> 处置 -> 核查 -> 结案, with who and when."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from curbside.domain.cases.measures import judged_at, on_time_rate, stage_times
from curbside.domain.cases.verification import Fact, FactKind, verifies
from curbside.domain.cases.workflow import (
    PERSON_STEPS,
    StepRefused,
    escalate,
    open_case,
    take_step,
    verify_by_data,
)
from curbside.vocabulary.alerts import Alert, AlertKind, AlertStatus, Domain, Subject
from curbside.vocabulary.cases import Case, CaseEvent, CaseEventKind, CasePolicy, CaseStage
from curbside.vocabulary.workdays import WorkdayCalendar

TZ = ZoneInfo("Asia/Shanghai")
BIN = Subject(Domain.SANITATION, "D01", "D01-007")
SPACE = Subject(Domain.PARKING, "Z01", "Z01-001")
# Wednesday 4 March 2026, 09:00 in Shanghai: a working morning.
T0 = datetime(2026, 3, 4, 1, 0, tzinfo=UTC)
MIN = timedelta(minutes=1)


def opened(kind: AlertKind = AlertKind.FULL, subject: Subject = BIN) -> tuple[Case, CaseEvent]:
    alert = Alert(kind, subject, T0, AlertStatus.OPEN, "", updated_at=T0)
    step = open_case(alert, CasePolicy(), WorkdayCalendar(), TZ)
    assert step is not None
    return step


def test_a_case_goes_through_every_stage_with_who_and_when() -> None:
    case, first = opened()
    assert (case.stage, first.kind, first.seq, first.at) == (
        CaseStage.REGISTERED,
        CaseEventKind.OPENED,
        1,
        T0,
    )
    assert case.deadline == T0 + timedelta(hours=2)  # full: 2 working hours, 09:00 -> 11:00
    events = [first]
    for kind, by, minutes in [
        (CaseEventKind.DISPATCHED, "dispatcher-li", 5),
        (CaseEventKind.HANDLED, "crew-3", 40),
        (CaseEventKind.VERIFIED, "inspector-wang", 60),
        (CaseEventKind.CLOSED, "dispatcher-li", 70),
    ]:
        assignee = "T03" if kind is CaseEventKind.DISPATCHED else None
        case, event = take_step(case, kind, T0 + minutes * MIN, by, assignee)
        events.append(event)
    assert case.stage is CaseStage.CLOSED
    assert case.assignee == "T03"
    assert case.verified_by == "inspector-wang"
    assert case.closed_at == T0 + 70 * MIN
    assert case.on_time is True
    assert [e.seq for e in events] == [1, 2, 3, 4, 5]
    assert [e.by for e in events][1:] == [
        "dispatcher-li",
        "crew-3",
        "inspector-wang",
        "dispatcher-li",
    ]
    assert stage_times(events) == {
        CaseStage.REGISTERED: 5 * MIN,
        CaseStage.DISPATCHED: 35 * MIN,
        CaseStage.HANDLED: 20 * MIN,
        CaseStage.VERIFIED: 10 * MIN,
    }


@pytest.mark.parametrize(
    ("stage_steps", "refused"),
    [
        ([], CaseEventKind.HANDLED),  # handled before anyone was dispatched
        ([], CaseEventKind.CLOSED),  # closed without verification
        ([CaseEventKind.DISPATCHED], CaseEventKind.VERIFIED),  # verified before handling
        ([CaseEventKind.DISPATCHED, CaseEventKind.HANDLED], CaseEventKind.DISPATCHED),
    ],
)
def test_steps_out_of_order_are_refused(
    stage_steps: list[CaseEventKind], refused: CaseEventKind
) -> None:
    case, _ = opened()
    for n, kind in enumerate(stage_steps, 1):
        case, _ = take_step(case, kind, T0 + n * MIN, "p", "T01")
    with pytest.raises(StepRefused):
        take_step(case, refused, T0 + 10 * MIN, "p", "T01")


def test_a_step_dated_before_the_last_one_is_refused() -> None:
    case, _ = opened()
    case, _ = take_step(case, CaseEventKind.DISPATCHED, T0 + 10 * MIN, "p", "T01")
    with pytest.raises(StepRefused, match="before its last step"):
        take_step(case, CaseEventKind.HANDLED, T0 + 5 * MIN, "crew")


def test_dispatch_needs_an_assignee_and_rework_sends_the_case_back() -> None:
    case, _ = opened()
    with pytest.raises(StepRefused, match="assignee"):
        take_step(case, CaseEventKind.DISPATCHED, T0, "p")
    case, _ = take_step(case, CaseEventKind.DISPATCHED, T0 + MIN, "p", "T01")
    case, _ = take_step(case, CaseEventKind.HANDLED, T0 + 2 * MIN, "crew")
    case, event = take_step(case, CaseEventKind.REWORK, T0 + 3 * MIN, "inspector")
    assert (case.stage, case.reworks, event.basis) == (CaseStage.DISPATCHED, 1, "person")
    case, _ = take_step(case, CaseEventKind.DISPATCHED, T0 + 4 * MIN, "p", "T02")
    assert case.assignee == "T02"


def test_the_data_verifies_and_closes_a_bin_case_only_with_a_later_collection() -> None:
    case, _ = opened()
    before = Fact(FactKind.COLLECTION, BIN, T0 - MIN)
    other_bin = Fact(FactKind.COLLECTION, Subject(Domain.SANITATION, "D01", "D01-008"), T0 + MIN)
    reading = Fact(FactKind.READING, BIN, T0 + MIN)
    collected = Fact(FactKind.COLLECTION, BIN, T0 + 30 * MIN)
    assert not any(verifies(f, case) for f in (before, other_bin, reading))
    assert verifies(collected, case)
    steps = verify_by_data(case, collected.basis, collected.at)
    closed = steps[-1][0]
    assert [e.kind for _, e in steps] == [CaseEventKind.VERIFIED, CaseEventKind.CLOSED]
    assert (closed.stage, closed.verified_by, closed.closed_at) == (
        CaseStage.CLOSED,
        "data:collection",
        T0 + 30 * MIN,
    )
    assert not verifies(collected, closed)


@pytest.mark.parametrize(
    ("kind", "subject", "fact"),
    [
        (AlertKind.OVERSTAY, SPACE, FactKind.VACATED),
        (AlertKind.SENSOR_SILENT, SPACE, FactKind.READING),
        (AlertKind.NOT_CLEARED, BIN, FactKind.COLLECTION),
    ],
)
def test_each_data_verified_kind_by_its_own_fact(
    kind: AlertKind, subject: Subject, fact: FactKind
) -> None:
    case, _ = opened(kind, subject)
    for other in FactKind:
        assert verifies(Fact(other, subject, T0 + MIN), case) is (other is fact)


@pytest.mark.parametrize("kind", [AlertKind.FIRE, AlertKind.TILTED, AlertKind.LOW_BATTERY])
def test_kinds_the_data_cannot_tell_need_a_person(kind: AlertKind) -> None:
    case, _ = opened(kind)
    assert not any(verifies(Fact(f, BIN, T0 + MIN), case) for f in FactKind)


def test_escalation_once_past_the_deadline_and_never_for_a_closed_case() -> None:
    case, _ = opened()
    assert escalate(case, case.deadline) is None
    step = escalate(case, case.deadline + MIN)
    assert step is not None
    escalated, event = step
    assert (event.kind, event.basis, escalated.stage) == (
        CaseEventKind.ESCALATED,
        "supervisor",
        CaseStage.REGISTERED,
    )
    assert escalate(escalated, case.deadline + 60 * MIN) is None
    done = verify_by_data(case, "data:collection", T0 + MIN)[-1][0]
    assert escalate(done, case.deadline + MIN) is None


def test_alert_kinds_outside_the_policy_open_no_case() -> None:
    alert = Alert(AlertKind.OVERFLOW_SOON, BIN, T0, AlertStatus.OPEN, "", updated_at=T0)
    assert open_case(alert, CasePolicy(), WorkdayCalendar(), TZ) is None
    only_fire = CasePolicy.model_validate({"kinds": {"fire": {"limit_h": 1}}})
    full = Alert(AlertKind.FULL, BIN, T0, AlertStatus.OPEN, "", updated_at=T0)
    assert open_case(full, only_fire, WorkdayCalendar(), TZ) is None


def test_judged_at_the_close_or_the_deadline_whichever_first() -> None:
    case, _ = opened()
    assert judged_at(case, case.deadline - MIN) is None
    assert judged_at(case, case.deadline) == case.deadline
    early = verify_by_data(case, "data:collection", T0 + MIN)[-1][0]
    assert judged_at(early, T0) == T0 + MIN
    late = verify_by_data(case, "data:collection", case.deadline + MIN)[-1][0]
    assert (judged_at(late, late.deadline), late.on_time) == (late.deadline, False)


def test_the_on_time_rate_as_the_bulletins_compute_it() -> None:
    # 天门市数字化城市管理 12月绩效情况通报 (hbcic.net.cn, 2017-01-03): 应结案972件, 按期结案737件,
    # 按期结案率75.82%; 郑州 weekly report 2019-04-08..14: 应结案52434, 按期结案40394, 77.04%.
    assert round(100 * (on_time_rate(737, 972) or 0), 2) == 75.82
    assert round(100 * (on_time_rate(40394, 52434) or 0), 2) == 77.04
    assert on_time_rate(0, 0) is None


actions = st.lists(st.sampled_from([*sorted(PERSON_STEPS), "data"]), min_size=1, max_size=12)


@given(actions)
def test_any_sequence_of_steps_keeps_the_case_consistent(chosen: list[str]) -> None:
    case, event = opened()
    events = [event]
    for n, action in enumerate(chosen, 1):
        at = T0 + n * MIN
        try:
            if action == "data":
                steps = verify_by_data(case, "data:collection", at)
            else:
                steps = [take_step(case, CaseEventKind(action), at, "p", "T01")]
        except StepRefused:
            continue
        case = steps[-1][0]
        events.extend(event for _, event in steps)
    assert [e.seq for e in events] == list(range(1, len(events) + 1))
    assert case.last_seq == len(events)
    assert (case.closed_at is not None) is (case.stage is CaseStage.CLOSED)
    kinds = [e.kind for e in events]
    assert kinds.count(CaseEventKind.CLOSED) <= 1
    if case.closed:
        assert kinds[-2:] == [CaseEventKind.VERIFIED, CaseEventKind.CLOSED]
    assert sum(stage_times(events).values(), timedelta(0)) == case.last_at - case.opened_at


def test_a_step_reported_after_an_escalation_may_be_dated_before_it() -> None:
    # Found by tests/records/test_cases_e2e.py: the crew handled the bin before the deadline
    # ran out, but reported it only after the recorder had escalated the case.
    case, _ = opened()
    late = escalate(case, case.deadline + 30 * MIN)
    assert late is not None
    escalated, _ = late
    dispatched, event = take_step(escalated, CaseEventKind.DISPATCHED, T0 + MIN, "desk", "T01")
    assert (event.seq, dispatched.last_at, dispatched.escalated_at) == (
        3,
        T0 + MIN,
        case.deadline + 30 * MIN,
    )
