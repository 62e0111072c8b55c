"""Roles and the permissions each grants; the only place that says what a role may do."""

from __future__ import annotations

from enum import StrEnum


class Permission(StrEnum):
    """One thing a route can require."""

    PARKING_READ = "parking.read"
    SANITATION_READ = "sanitation.read"
    ALERTS_READ = "alerts.read"
    ALERTS_ACK = "alerts.ack"
    KEYS_MANAGE = "keys.manage"
    DEVICES_MANAGE = "devices.manage"
    DISPATCH_PLAN = "dispatch.plan"
    # Plates are personal information (docs/security.md): binding one and reading them are
    # permissions of their own, held by the roles whose work needs them.
    PLATES_BIND = "plates.bind"
    PLATES_READ = "plates.read"
    # Take a case's steps (dispatch, handled, verify, rework, close) in the key's own areas.
    CASES_WORK = "cases.work"


class Role(StrEnum):
    """What a key is for; a key has exactly one role."""

    VIEWER = "viewer"
    PARKING_OPERATOR = "parking_operator"
    DISPATCHER = "dispatcher"
    ADMIN = "admin"
    # A roadside attendant's handheld (PDA) or a video pole's gateway calling the API: binds
    # plates to stays in its zones, reads nothing.
    ATTENDANT = "attendant"


# Alerts are readable by every role, but each alert only by a key that may read its domain
# (see curbside.adapters.access.policy.may_read): a dispatcher sees bin alerts, an operator space
# alerts.
PERMISSIONS: dict[Role, frozenset[Permission]] = {
    Role.VIEWER: frozenset(
        {Permission.PARKING_READ, Permission.SANITATION_READ, Permission.ALERTS_READ}
    ),
    Role.PARKING_OPERATOR: frozenset(
        {
            Permission.PARKING_READ,
            Permission.ALERTS_READ,
            Permission.PLATES_BIND,
            Permission.PLATES_READ,
            Permission.CASES_WORK,
        }
    ),
    Role.DISPATCHER: frozenset(
        {
            Permission.SANITATION_READ,
            Permission.ALERTS_READ,
            Permission.ALERTS_ACK,
            Permission.DISPATCH_PLAN,
            Permission.CASES_WORK,
        }
    ),
    Role.ADMIN: frozenset(Permission),
    Role.ATTENDANT: frozenset({Permission.PLATES_BIND}),
}


def may(role: Role, permission: Permission) -> bool:
    """Whether a key of this role holds this permission."""
    return permission in PERMISSIONS[role]
