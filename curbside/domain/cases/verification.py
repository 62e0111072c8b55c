"""Which facts in the data verify which cases (pure): the data is the verifier where it can
tell, a person everywhere else.

A collection of the bin clears a ``full`` or ``not_cleared`` case; the end of the stay clears
an ``overstay``; any reading from the device clears a ``sensor_silent``. Each fact must come
after the case opened: what happened before is what the case is about.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from curbside.domain.cases.workflow import DATA_VERIFIABLE
from curbside.vocabulary.alerts import AlertKind, Subject
from curbside.vocabulary.cases import Case


class FactKind(StrEnum):
    """What the data saw."""

    COLLECTION = "collection"
    VACATED = "vacated"
    READING = "reading"


@dataclass(frozen=True, slots=True)
class Fact:
    """Something the data saw happen to a device at a time."""

    kind: FactKind
    subject: Subject
    at: datetime

    @property
    def basis(self) -> str:
        """How a verification by this fact is recorded: ``data:collection`` etc."""
        return f"data:{self.kind}"


VERIFIED_BY: dict[AlertKind, FactKind] = {
    AlertKind.FULL: FactKind.COLLECTION,
    AlertKind.NOT_CLEARED: FactKind.COLLECTION,
    AlertKind.OVERSTAY: FactKind.VACATED,
    AlertKind.SENSOR_SILENT: FactKind.READING,
}
"""The case kinds the data verifies, and by what; every other kind needs a person."""


def verifies(fact: Fact, case: Case) -> bool:
    """Whether ``fact`` shows the problem of ``case`` solved."""
    return (
        VERIFIED_BY.get(case.kind) is fact.kind
        and fact.subject == case.subject
        and fact.at > case.opened_at
        and case.stage in DATA_VERIFIABLE
    )
