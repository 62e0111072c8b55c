"""A fixed split of the topic space over several ingest processes (``CURBSIDE_INGEST_SHARD``).

Shard ``i/n`` subscribes to the zones and districts the registry assigns it, under a client id
of its own, so each shard has its own durable session: while one process is down, its
messages wait in its own queue on the broker and no other shard sees them. (A shared
subscription would not do: Mosquitto keeps handing messages round-robin to a member that has
gone.) Every device belongs to exactly one shard, so a device's messages stay in order.

The split is a pure function of the registry and ``n``, so every process computes the same one
on its own: zones and districts, biggest first, each to the shard with the fewest devices so
far. Changing ``n`` moves groups between sessions; see docs/operations.md before doing so.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from curbside.city.registry import City
from curbside.config.settings import Settings, SettingsError

# The native contract's subtrees (curbside/adapters/decoders/formats/native.py); these are what the
# split divides.
NATIVE_ROOTS = ("parking/#", "sanitation/#")


@dataclass(frozen=True, slots=True)
class Shard:
    """Shard ``index`` of ``count``, counted from 1."""

    index: int
    count: int

    @classmethod
    def parse(cls, text: str) -> Shard:
        """``"2/4"`` as Shard(2, 4); raises ValueError for anything else."""
        index_text, sep, count_text = text.partition("/")
        if not sep or not index_text.isdigit() or not count_text.isdigit():
            raise ValueError(f"a shard is written i/n, e.g. 1/2 (got {text!r})")
        shard = cls(int(index_text), int(count_text))
        if not 1 <= shard.index <= shard.count:
            raise ValueError(f"shard {text!r}: i must be between 1 and n")
        return shard

    def client_id(self, base: str) -> str:
        """The MQTT client id, and so the durable session, of this shard."""
        return f"{base}-{self.index}of{self.count}"


@dataclass(frozen=True, slots=True)
class Group:
    """A zone or district: the unit the split moves, with its subtree and device count."""

    topic_filter: str
    devices: int


def groups(city: City) -> list[Group]:
    """Every zone and district of the registry as a group."""
    return [
        *(Group(f"parking/{z.id}/#", len(z.spaces)) for z in city.parking_zones),
        *(Group(f"sanitation/{d.id}/#", len(d.bins)) for d in city.sanitation_districts),
    ]


def split(city: City, count: int) -> list[list[str]]:
    """The topic filters of each of ``count`` shards (index 0 is shard 1), devices balanced."""
    shards: list[list[str]] = [[] for _ in range(count)]
    load = [0] * count
    for group in sorted(groups(city), key=lambda g: (-g.devices, g.topic_filter)):
        lightest = min(range(count), key=lambda i: (load[i], i))
        shards[lightest].append(group.topic_filter)
        load[lightest] += group.devices
    return shards


def shard_subscriptions(city: City, shard: Shard, registered: Sequence[str]) -> list[str]:
    """What shard ``shard`` subscribes to, given the decoders' ``registered`` topic filters.

    The native subtrees are split by zone and district; any other format's filters go whole
    to shard 1. Raises SettingsError when the city has fewer groups than shards.
    """
    available = len(groups(city))
    if shard.count > available:
        raise SettingsError(
            f"CURBSIDE_INGEST_SHARD={shard.index}/{shard.count}: the city has only "
            f"{available} zones and districts to share out; use at most {available} shards"
        )
    mine = split(city, shard.count)[shard.index - 1]
    others = [f for f in registered if f not in NATIVE_ROOTS]
    return [*mine, *others] if shard.index == 1 else mine


def apply_shard(
    settings: Settings, city: City, registered: Sequence[str]
) -> tuple[Settings, list[str] | None]:
    """This process's settings and topic filters under ``CURBSIDE_INGEST_SHARD``.

    Sharded, the client id gets the shard's suffix and the filters are the shard's; unsharded,
    the settings are returned as they are and the filters are None (every format's topics).
    """
    if settings.ingest.shard is None:
        return settings, None
    shard = Shard.parse(settings.ingest.shard)
    filters = shard_subscriptions(city, shard, registered)
    return settings.replace(mqtt_client_id=shard.client_id(settings.mqtt.client_id)), filters
