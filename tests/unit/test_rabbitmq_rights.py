"""RabbitMQ topic permissions mean what the same rights mean in Mosquitto's ACL file.

The judge of "what an MQTT filter covers" is paho-mqtt's own ``topic_matches_sub`` (the
client library's implementation of the MQTT 3.1.1 matching rules, section 4.7), not this code.
"""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st
from paho.mqtt.client import topic_matches_sub

from curbside.adapters.provisioning.accounts import Account, ProvisioningError, Rights
from curbside.adapters.provisioning.rabbitmq_rights import (
    NOTHING,
    refuse_dotted_levels,
    rights_pattern,
)

# Level names as devices, zones and districts have them (no dots: those are refused).
NAMES = st.sampled_from(["parking", "Z01", "Z01-001", "status", "a", "$SYS", "x_y", "fill"])
TOPICS = st.lists(NAMES, min_size=1, max_size=5).map("/".join)


@st.composite
def filters(draw: st.DrawFn) -> str:
    levels = draw(st.lists(st.one_of(NAMES, st.just("+")), min_size=1, max_size=5))
    if draw(st.booleans()):
        levels.append("#")
    return "/".join(levels)


def routing_key(topic: str) -> str:
    """What RabbitMQ's MQTT plugin checks: the topic with '/' written '.'."""
    return topic.replace("/", ".")


@given(filters(), TOPICS)
def test_a_right_covers_exactly_the_topics_mqtt_matching_covers(right: str, topic: str) -> None:
    allowed = re.fullmatch(rights_pattern([right]), routing_key(topic)) is not None
    assert allowed == topic_matches_sub(right, topic)


@given(st.lists(filters(), min_size=1, max_size=4), TOPICS)
def test_several_rights_cover_their_union(rights: list[str], topic: str) -> None:
    allowed = re.fullmatch(rights_pattern(rights), routing_key(topic)) is not None
    assert allowed == any(topic_matches_sub(r, topic) for r in rights)


@pytest.mark.parametrize(
    ("right", "subscription", "allowed"),
    [
        ("parking/+/+/status", "parking/+/+/status", True),
        ("parking/+/+/status", "parking/Z01/+/status", True),
        ("parking/+/+/status", "parking/#", False),
        ("parking/+/+/status", "parking/+/#", False),
        ("alerts/#", "alerts/+/sanitation/#", True),
        ("dispatch/T01/route", "dispatch/+/route", False),
        ("#", "#", True),
    ],
)
def test_a_subscription_no_wider_than_the_right_is_allowed(
    right: str, subscription: str, allowed: bool
) -> None:
    # RabbitMQ checks a subscription's filter with '+' written '*' and '#' kept.
    key = routing_key(subscription).replace("+", "*")
    assert (re.fullmatch(rights_pattern([right]), key) is not None) is allowed


def test_no_rights_match_nothing() -> None:
    assert rights_pattern([]) == NOTHING
    assert re.fullmatch(NOTHING, "parking.Z01.Z01-001.status") is None


def test_a_dotted_topic_level_is_refused_with_its_reason() -> None:
    dotted = Account(
        "S.1", "device", "space", Rights(write=("parking/Z.1/S.1/status",)), "$7$x", "now"
    )
    with pytest.raises(ProvisioningError, match=r"'Z\.1'.*RabbitMQ writes MQTT's '/' as '\.'"):
        refuse_dotted_levels(dotted)
    refuse_dotted_levels(
        Account("S1", "device", "space", Rights(write=("parking/Z1/S1/status",)), "$7$x", "now")
    )
