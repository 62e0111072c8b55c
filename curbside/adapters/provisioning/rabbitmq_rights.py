"""An account's rights as RabbitMQ topic permissions. Pure.

RabbitMQ's MQTT plugin publishes every message to the ``amq.topic`` exchange with the topic
as routing key, MQTT's ``/`` written ``.``, and checks an account's topic permission (one
regular expression to write, one to read) against that key: for a publish, the topic; for a
subscription, the filter, its ``+`` written ``*``. Each right (an MQTT topic filter) becomes an
expression that matches the topics it covers and the filters no wider than it, so that rights
mean what they mean in Mosquitto's ACL file. Two differences remain (docs/rabbitmq.md): a
subscription wider than the account's rights is refused as a whole, where Mosquitto accepts it
and delivers only what the account may read; and a topic level with a dot in it cannot be told
from two levels, so such a right is refused here.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from curbside.adapters.provisioning.accounts import Account, ProvisioningError

EXCHANGE = "amq.topic"
NOTHING = "^$"
"""Matches no routing key (a topic is never empty)."""

# What the MQTT plugin itself needs of every account: its session queues
# (mqtt-subscription-<client id>qos0/qos1) and the exchange it publishes to.
VHOST_CONFIGURE = r"^mqtt-subscription-"
VHOST_WRITE = r"^(amq\.topic|mqtt-subscription-.*)$"
VHOST_READ = r"^(amq\.topic|mqtt-subscription-.*)$"

_LEVEL = r"(?:[^.*#]+|\*)"
"""One level a ``+`` covers: any name, or a subscription's own ``+``."""
_NOT_DOLLAR = r"(?!\$)"
"""A wildcard in the first level does not cover topics starting with ``$`` (MQTT 4.7.2)."""


def filter_pattern(topic_filter: str) -> str:
    """The expression (without anchors) matching the routing keys ``topic_filter`` covers."""
    levels = topic_filter.split("/")
    parts: list[str] = []
    for index, level in enumerate(levels):
        sep = r"\." if index else _NOT_DOLLAR
        if level == "#":
            # MQTT's # covers its parent level too: "a/#" matches "a".
            parts.append(r"(?:\..*)?" if index else _NOT_DOLLAR + ".*")
        elif level == "+":
            parts.append(sep + _LEVEL)
        else:
            parts.append(("" if index == 0 else sep) + re.escape(level))
    return "".join(parts)


def rights_pattern(filters: Iterable[str]) -> str:
    """One anchored expression for a list of filters; :data:`NOTHING` for none."""
    patterns = [filter_pattern(f) for f in filters]
    if not patterns:
        return NOTHING
    return "^(?:" + "|".join(patterns) + ")$"


def refuse_dotted_levels(account: Account) -> None:
    """A right with a dot inside a level would match other topics on RabbitMQ: refuse it."""
    for topic_filter in (*account.rights.write, *account.rights.read):
        dotted = [level for level in topic_filter.split("/") if "." in level]
        if dotted:
            raise ProvisioningError(
                f"{account.username}: topic level {dotted[0]!r} in {topic_filter} has a dot; "
                "RabbitMQ writes MQTT's '/' as '.', so it would be two levels there and match "
                "other topics. Rename the device, zone or district without dots, or use "
                "Mosquitto (CURBSIDE_MQTT_BROKER=mosquitto)"
            )
