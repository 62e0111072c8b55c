"""Which devices a run simulates: the city's spaces and bins, narrowed by the options."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from curbside.city.registry import Bin, City, Space
from curbside.vocabulary.devices import SensorModel
from simulators.bins import BinModel, district_busyness
from simulators.incidents import NO_INCIDENTS, BinIncidents, plan_incidents
from simulators.options import Devices, IncidentSpec
from simulators.parking import ParkingSpaceModel
from simulators.plan import TrafficPlan
from simulators.rounds import CollectionRounds


class SelectionError(ValueError):
    """A zone or district asked for is not in the city."""


@dataclass(frozen=True, slots=True)
class Fleet:
    """The device models of one run, in registry order."""

    spaces: tuple[ParkingSpaceModel, ...]
    bins: tuple[BinModel, ...]

    def incidents(self) -> list[BinModel]:
        """The bins that overfill, burn or go silent, in registry order."""
        return [
            b
            for b in self.bins
            if b.incidents.overfill or b.incidents.fire or b.incidents.silent_since is not None
        ]


def _check_known(asked: Sequence[str] | None, known: list[str], what: str) -> None:
    unknown = [item for item in asked or () if item not in known]
    if unknown:
        raise SelectionError(
            f"unknown {what} {', '.join(unknown)}; the city has {', '.join(known) or 'none'}"
        )


def _fitted(device: Space | Bin, model: SensorModel | None) -> bool:
    return model is None or (device.sensor is not None and device.sensor.model == model)


def build_fleet(
    city: City,
    plan: TrafficPlan,
    devices: Devices = "all",
    zones: Sequence[str] | None = None,
    districts: Sequence[str] | None = None,
    *,
    incidents: IncidentSpec | None = None,
    model: SensorModel | None = None,
) -> Fleet:
    """Models for the selected devices (with ``model``, only those the registry gives a sensor
    of that model). Rounds always cover the whole city, so narrowing the selection never
    changes what happens to the devices that remain."""
    _check_known(zones, [z.id for z in city.parking_zones], "zone(s)")
    _check_known(districts, [d.id for d in city.sanitation_districts], "district(s)")
    spaces: list[ParkingSpaceModel] = []
    bins: list[BinModel] = []
    if devices in ("parking", "all"):
        spaces = [
            ParkingSpaceModel(zone, space, plan)
            for zone in city.parking_zones
            if zones is None or zone.id in zones
            for space in zone.spaces
            if _fitted(space, model)
        ]
    if devices in ("bins", "all"):
        rounds = CollectionRounds(city, plan)
        chosen = [d for d in city.sanitation_districts if districts is None or d.id in districts]
        keys = [(d.id, b.id) for d in chosen for b in d.bins if _fitted(b, model)]
        planned: dict[tuple[str, str], BinIncidents] = {}
        if incidents is not None and incidents.any:
            planned = plan_incidents(incidents, plan, keys)
        for district in chosen:
            busyness = district_busyness(plan, district.id)
            bins.extend(
                BinModel(
                    district,
                    b,
                    plan,
                    rounds,
                    busyness,
                    incidents=planned.get((district.id, b.id), NO_INCIDENTS),
                )
                for b in district.bins
                if _fitted(b, model)
            )
    return Fleet(tuple(spaces), tuple(bins))
