"""Which zones and districts a key may see."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

from curbside.city.registry import City


class AreaKind(StrEnum):
    """Parking data belongs to a zone, sanitation data to a district."""

    ZONE = "zone"
    DISTRICT = "district"


@dataclass(frozen=True, slots=True)
class Scope:
    """The zones and districts a key may see; ``None`` means every one.

    A key limited in any way sees only what it lists: a key for zones Z01 and Z02 sees no
    district at all (closed by default), so limiting a key never widens it.
    """

    zones: frozenset[str] | None = None
    districts: frozenset[str] | None = None

    @classmethod
    def limited_to(
        cls, zones: Iterable[str] | None = None, districts: Iterable[str] | None = None
    ) -> Scope:
        """City-wide when neither is given; otherwise exactly what is given."""
        if zones is None and districts is None:
            return cls()
        return cls(frozenset(zones or ()), frozenset(districts or ()))

    @property
    def city_wide(self) -> bool:
        """Whether the key sees every zone and every district."""
        return self.zones is None and self.districts is None

    def allows(self, kind: AreaKind, area_id: str) -> bool:
        """Whether the key may see this zone or district."""
        allowed = self.zones if kind is AreaKind.ZONE else self.districts
        return allowed is None or area_id in allowed


def unknown_areas(scope: Scope, city: City) -> list[str]:
    """The zones and districts the scope names that the city registry does not have."""
    zones = {z.id for z in city.parking_zones}
    districts = {d.id for d in city.sanitation_districts}
    return [f"zone {z}" for z in sorted(scope.zones or ()) if z not in zones] + [
        f"district {d}" for d in sorted(scope.districts or ()) if d not in districts
    ]
