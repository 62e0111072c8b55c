"""LoRaWAN sensors as the registry binds them: which DevEUI, which model, which space or bin.

Plain data shared by the city registry (which validates it) and the decoders (which look
DevEUIs up in it), so neither depends on the other.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal, get_args

Domain = Literal["parking", "sanitation"]

SensorModel = Literal[
    "milesight-em310-udl",
    "milesight-em400-udl",
    "bosch-parking-lot-sensor",
    "nwave-nps",
]
SENSOR_MODELS: tuple[SensorModel, ...] = get_args(SensorModel)

# What each model measures, so the registry refuses a parking sensor bound to a bin.
MODEL_DOMAIN: Mapping[SensorModel, Domain] = {
    "milesight-em310-udl": "sanitation",
    "milesight-em400-udl": "sanitation",
    "bosch-parking-lot-sensor": "parking",
    "nwave-nps": "parking",
}


@dataclass(frozen=True, slots=True)
class SensorBinding:
    """One LoRaWAN sensor: its model and the space or bin (group, device) it serves."""

    dev_eui: str  # 16 upper-case hex digits
    model: SensorModel
    domain: Domain
    group: str  # zone or district id
    device: str  # space or bin id


# DevEUI (upper-case hex) -> binding; what a network-server decoder needs from the registry.
DeviceDirectory = Mapping[str, SensorBinding]


def normal_dev_eui(text: str) -> str | None:
    """``text`` as 16 upper-case hex digits, or None if it is not a DevEUI."""
    cleaned = text.strip().replace("-", "").replace(":", "").upper()
    if len(cleaned) != 16 or any(c not in "0123456789ABCDEF" for c in cleaned):
        return None
    return cleaned
