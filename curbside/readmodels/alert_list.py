"""What a person's alert list shows: the alerts of their areas that match their filters, and
the counts beside the filters (active alerts by status, kind and area) so a list says how much
is behind each choice. One place for the list's filtering, whatever store the alerts come from
(the API's alert routes call it; a faster live source can feed it the same alerts).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Collection, Iterable
from dataclasses import dataclass

from curbside.vocabulary.alerts import Alert, AlertKind, AlertStatus, Domain

Area = tuple[Domain, str]


@dataclass(frozen=True, slots=True)
class AlertFilter:
    """The list's filters; None or empty: no filter on that field. ``areas`` is the caller's
    scope (None: every area)."""

    statuses: tuple[AlertStatus, ...] = ()
    kind: AlertKind | None = None
    domain: Domain | None = None
    group: str | None = None
    areas: Collection[Area] | None = None

    def __post_init__(self) -> None:
        # Asked of every alert in the view: a set, made once.
        if self.areas is not None and not isinstance(self.areas, frozenset):
            object.__setattr__(self, "areas", frozenset(self.areas))

    def in_scope(self, alert: Alert) -> bool:
        """Within the caller's areas and the area filter (domain, zone or district)."""
        subject = alert.subject
        if self.areas is not None and (subject.domain, subject.group) not in self.areas:
            return False
        if self.domain is not None and subject.domain is not self.domain:
            return False
        return self.group is None or subject.group == self.group

    def matches(self, alert: Alert) -> bool:
        """In scope and of the status and kind asked for."""
        return (
            self.in_scope(alert)
            and (not self.statuses or alert.status in self.statuses)
            and (self.kind is None or alert.kind is self.kind)
        )


@dataclass(frozen=True, slots=True)
class AlertCounts:
    """Active alerts in scope, by status, by kind and by area (zone or district)."""

    active: int
    by_status: dict[str, int]
    by_kind: dict[str, int]
    by_area: dict[str, int]


def count_active(alerts: Iterable[Alert], scope: AlertFilter) -> AlertCounts:
    """Counts of the active alerts in scope, whatever the status and kind filters say."""
    mine = [a for a in alerts if a.active and scope.in_scope(a)]
    return AlertCounts(
        active=len(mine),
        by_status={
            str(s): sum(1 for a in mine if a.status is s)
            for s in (AlertStatus.OPEN, AlertStatus.ACKNOWLEDGED)
        },
        by_kind=dict(sorted(Counter(str(a.kind) for a in mine).items())),
        by_area=dict(sorted(Counter(a.subject.group for a in mine).items())),
    )
