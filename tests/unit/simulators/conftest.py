"""Fixtures: the small city as an object and as a file, and offline simulator runs on it."""

from __future__ import annotations

import json
import math
from dataclasses import replace
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml

from curbside.city.registry import City, parse_city
from simulators.options import SimulationOptions
from simulators.recording import RecordingPublisher
from simulators.run import run_simulation

from .support import START, Outcome, Simulate, small_city_data


@pytest.fixture(scope="session")
def small_city() -> City:
    """The small city as a registry object."""
    return parse_city(small_city_data())


@pytest.fixture
def city_file(tmp_path: Path) -> Path:
    """The small city as a file, as the simulator reads it."""
    path = tmp_path / "city.yaml"
    path.write_text(yaml.safe_dump(small_city_data()), encoding="utf-8")
    return path


@pytest.fixture
def simulate(city_file: Path, tmp_path: Path) -> Simulate:
    """Run the simulator on the small city into memory; keyword arguments override options."""
    counter = iter(range(1_000_000))

    def run(**overrides: Any) -> Outcome:
        truth_path = tmp_path / f"truth-{next(counter)}.jsonl"
        options = SimulationOptions(
            city=city_file,
            seed=1,
            start=START,
            speed=math.inf,
            duration=timedelta(hours=6),
            truth=truth_path,
            log_every_s=0,
        )
        options = replace(options, **overrides)
        publisher = RecordingPublisher()
        summary = run_simulation(options, publisher=publisher)
        text = truth_path.read_text(encoding="utf-8")
        truth = [json.loads(line) for line in text.splitlines()]
        return Outcome(summary, publisher.messages, truth, text)

    return run
