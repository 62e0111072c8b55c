"""What a key may read: its role's permission for the area's domain, and its scope."""

from __future__ import annotations

from curbside.adapters.access.keys import ApiKey
from curbside.adapters.access.roles import Permission, may
from curbside.adapters.access.scope import AreaKind

_READ = {AreaKind.ZONE: Permission.PARKING_READ, AreaKind.DISTRICT: Permission.SANITATION_READ}


def may_read(key: ApiKey, kind: AreaKind, area_id: str) -> bool:
    """Whether the key may read a zone's parking data or a district's sanitation data."""
    return may(key.role, _READ[kind]) and key.scope.allows(kind, area_id)
