"""The city registry: zones, spaces, districts, bins, stations and trucks, from one file."""

from __future__ import annotations

from importlib import resources
from pathlib import Path


def demo_city_file() -> Path:
    """The demo county's registry shipped inside this package: the default city file when
    ``CURBSIDE_CITY_FILE`` is unset, so an installed service needs no checkout."""
    return Path(str(resources.files(__name__).joinpath("demo-city.yaml")))
