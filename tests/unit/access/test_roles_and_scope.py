"""What each role may do, and what a limited key may see."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from curbside.adapters.access.keys import new_key
from curbside.adapters.access.policy import may_read
from curbside.adapters.access.roles import Permission, Role, may
from curbside.adapters.access.scope import AreaKind, Scope

P = Permission


@pytest.mark.parametrize(
    ("role", "allowed"),
    [
        (Role.VIEWER, {P.PARKING_READ, P.SANITATION_READ, P.ALERTS_READ}),
        (
            Role.PARKING_OPERATOR,
            {P.PARKING_READ, P.ALERTS_READ, P.PLATES_BIND, P.PLATES_READ, P.CASES_WORK},
        ),
        # plates are personal: the viewer and the dispatcher never see them
        (Role.ATTENDANT, {P.PLATES_BIND}),
        (
            Role.DISPATCHER,
            {P.SANITATION_READ, P.ALERTS_READ, P.ALERTS_ACK, P.DISPATCH_PLAN, P.CASES_WORK},
        ),
        (Role.ADMIN, set(Permission)),
    ],
)
def test_each_role_holds_exactly_its_permissions(role: Role, allowed: set[Permission]) -> None:
    assert {p for p in Permission if may(role, p)} == allowed


def test_an_unlimited_scope_sees_everything() -> None:
    scope = Scope.limited_to()
    assert scope.city_wide
    assert scope.allows(AreaKind.ZONE, "Z99") and scope.allows(AreaKind.DISTRICT, "D9")


def test_a_zone_limited_key_sees_those_zones_and_no_district() -> None:
    scope = Scope.limited_to(zones=["Z01", "Z02"])
    assert not scope.city_wide
    assert scope.allows(AreaKind.ZONE, "Z01") and scope.allows(AreaKind.ZONE, "Z02")
    assert not scope.allows(AreaKind.ZONE, "Z03")
    assert not scope.allows(AreaKind.DISTRICT, "D1")


def test_reading_needs_both_the_domain_permission_and_the_scope() -> None:
    now = datetime(2026, 11, 27, tzinfo=UTC)
    both = Scope.limited_to(zones=["Z01"], districts=["D1"])
    operator, _ = new_key("op", Role.PARKING_OPERATOR, both, now)
    dispatcher, _ = new_key("d", Role.DISPATCHER, both, now)
    assert may_read(operator, AreaKind.ZONE, "Z01")
    assert not may_read(operator, AreaKind.ZONE, "Z02")
    assert not may_read(operator, AreaKind.DISTRICT, "D1")  # no sanitation permission
    assert may_read(dispatcher, AreaKind.DISTRICT, "D1")
    assert not may_read(dispatcher, AreaKind.ZONE, "Z01")
