"""Devices are the city registry's parking spaces, bins and trucks; their topics come from
the MQTT contract (docs/mqtt.md). Pure."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

from curbside.adapters.provisioning.accounts import ProvisioningError, Rights
from curbside.city.registry import City
from curbside.vocabulary.topics import progress_topic, route_topic

DeviceRole = Literal["space", "bin", "truck"]


@dataclass(frozen=True, slots=True)
class Device:
    """A registry entry that may publish: its id is its broker user name."""

    id: str
    role: DeviceRole
    group: str
    """The space's zone, the bin's district, the truck's transfer station."""

    @property
    def topics(self) -> tuple[str, ...]:
        """The topics this device may publish to, and only these."""
        if self.role == "space":
            return (f"parking/{self.group}/{self.id}/status",)
        if self.role == "bin":
            return (
                f"sanitation/{self.group}/{self.id}/fill",
                f"sanitation/{self.group}/{self.id}/emptied",
            )
        # A truck reports emptying whichever bin it empties; it cannot report fill levels.
        return ("sanitation/+/+/emptied",)

    @property
    def rights(self) -> Rights:
        """Write its own topics; a truck also reports its progress and reads its own route
        (docs/dispatch.md), and nothing else."""
        if self.role == "truck":
            return Rights(
                write=(*self.topics, progress_topic(self.id)), read=(route_topic(self.id),)
            )
        return Rights(write=self.topics)


def city_devices(city: City) -> list[Device]:
    """Every device of the registry: spaces, then bins, then trucks."""
    spaces = [Device(s.id, "space", z.id) for z in city.parking_zones for s in z.spaces]
    bins = [Device(b.id, "bin", d.id) for d in city.sanitation_districts for b in d.bins]
    trucks = [Device(t.id, "truck", t.station) for t in city.trucks]
    return spaces + bins + trucks


def find_devices(city: City, ids: Iterable[str]) -> list[Device]:
    """The registry's devices with these ids; an unknown or ambiguous id is an error."""
    by_id: dict[str, list[Device]] = {}
    for device in city_devices(city):
        by_id.setdefault(device.id, []).append(device)
    found: list[Device] = []
    unknown: list[str] = []
    for device_id in ids:
        matches = by_id.get(device_id, [])
        if len(matches) > 1:
            roles = " and ".join(d.role for d in matches)
            raise ProvisioningError(f"{device_id} is both a {roles} in the registry")
        if not matches:
            unknown.append(device_id)
        else:
            found.append(matches[0])
    if unknown:
        raise ProvisioningError(
            f"not in the city registry: {', '.join(unknown[:20])}"
            + (f" and {len(unknown) - 20} more" if len(unknown) > 20 else "")
            + "; add them to the registry first"
        )
    return found


def select_devices(
    city: City, *, zones: Iterable[str] = (), districts: Iterable[str] = ()
) -> list[Device]:
    """The spaces of ``zones`` and bins of ``districts``; with neither, every space and bin."""
    zones, districts = set(zones), set(districts)
    for wanted, known, what in (
        (zones, {z.id for z in city.parking_zones}, "parking zone"),
        (districts, {d.id for d in city.sanitation_districts}, "sanitation district"),
    ):
        missing = sorted(wanted - known)
        if missing:
            raise ProvisioningError(f"unknown {what}: {', '.join(missing)}")
    everything = not zones and not districts
    return [
        d
        for d in city_devices(city)
        if (d.role == "space" and (everything or d.group in zones))
        or (d.role == "bin" and (everything or d.group in districts))
    ]


def city_trucks(city: City) -> list[Device]:
    """Every truck of the registry."""
    return [d for d in city_devices(city) if d.role == "truck"]


def gateway_rights(devices: Iterable[Device]) -> Rights:
    """A gateway acts for each device behind it with that device's rights and no more: a
    truck's route to read and its progress to report come with the truck (docs/dispatch.md)."""
    devices = list(devices)
    # dict.fromkeys: every truck writes the same emptied filter; one ACL line is enough.
    return Rights(
        write=tuple(dict.fromkeys(t for d in devices for t in d.rights.write)),
        read=tuple(dict.fromkeys(t for d in devices for t in d.rights.read)),
    )
