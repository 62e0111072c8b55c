"""The registry holds every format module, and topic filters match like MQTT's."""

from __future__ import annotations

import importlib
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

import decoders.formats
from decoders.registry import registered, subscriptions
from decoders.topics import topic_matches


def test_every_format_module_registers_a_decoder() -> None:
    folder = Path(decoders.formats.__file__).parent
    modules = sorted(p.stem for p in folder.glob("*.py") if p.stem != "__init__")
    assert modules, "no format modules found"
    registered_modules = {type(d).__module__ for d in registered().values()}
    for name in modules:
        importlib.import_module(f"decoders.formats.{name}")
        assert f"decoders.formats.{name}" in registered_modules, f"{name} does not register"


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
