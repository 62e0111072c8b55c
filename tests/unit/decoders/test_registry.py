"""The registry holds every format module, and topic filters match like MQTT's."""

from __future__ import annotations

import importlib
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

import curbside.adapters.decoders.formats
from curbside.adapters.decoders.codecs import CODECS
from curbside.adapters.decoders.registry import registered, subscriptions
from curbside.adapters.decoders.topics import topic_matches
from curbside.vocabulary.devices import SENSOR_MODELS


def test_every_format_module_registers_a_decoder() -> None:
    folder = Path(curbside.adapters.decoders.formats.__file__).parent
    modules = sorted(p.stem for p in folder.glob("*.py") if p.stem != "__init__")
    assert modules, "no format modules found"
    registered_modules = {type(d).__module__ for d in registered().values()}
    for name in modules:
        importlib.import_module(f"curbside.adapters.decoders.formats.{name}")
        assert f"curbside.adapters.decoders.formats.{name}" in registered_modules, (
            f"{name} does not register"
        )


def test_subscriptions_cover_the_native_contract() -> None:
    topics = ["parking/Z01/S1/status", "sanitation/D1/B1/fill", "sanitation/D1/B1/emptied"]
    for topic in topics:
        assert any(topic_matches(f, topic) for f in subscriptions()), topic


@pytest.mark.parametrize(
    ("topic_filter", "topic", "expected"),
    [
        ("a/+/c", "a/b/c", True),
        ("a/+/c", "a/b/c/d", False),
        ("a/#", "a", True),
        ("a/#", "a/b/c", True),
        ("a/b", "a/b", True),
        ("a/b", "a/c", False),
        ("+/+", "a", False),
        ("#", "anything/at/all", True),
    ],
)
def test_topic_matches(topic_filter: str, topic: str, expected: bool) -> None:
    assert topic_matches(topic_filter, topic) is expected


levels = st.lists(st.text(alphabet="abc", min_size=1, max_size=3), min_size=1, max_size=5)


@given(levels)
def test_a_topic_matches_itself_and_hash(parts: list[str]) -> None:
    topic = "/".join(parts)
    assert topic_matches(topic, topic)
    assert topic_matches("#", topic)
    assert topic_matches("/".join("+" for _ in parts), topic)
    assert not topic_matches(topic + "/x", topic)


def test_every_sensor_model_has_a_codec() -> None:
    assert set(CODECS) == set(SENSOR_MODELS)
    for model, codec in CODECS.items():
        assert codec.model == model


def test_subscriptions_cover_the_network_servers() -> None:
    topics = [
        "application/0b6e/device/24e124713d016172/event/up",
        "application/0b6e/device/24e124713d016172/event/status",
        "v3/curbside@county/devices/em310-1/up",
        "v3/curbside/devices/em310-1/up",
    ]
    for topic in topics:
        assert any(topic_matches(f, topic) for f in subscriptions()), topic
    # Events Curbside does not read are not subscribed to, so they are not counted as rejects.
    for topic in ["application/0b6e/device/24e124713d016172/event/join", "v3/a/devices/d/join"]:
        assert not any(topic_matches(f, topic) for f in subscriptions()), topic
