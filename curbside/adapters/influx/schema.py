"""How readings are stored: measurements, tags and fields (documented in docs/schema.md).

Tags are only the registry ids (zone and space, district and bin), whose number is bounded
by the registry; everything that varies per message is a field. A point's identity is its
measurement, tags and device timestamp, so a redelivered message overwrites itself.
"""

from __future__ import annotations

from functools import lru_cache

from curbside.adapters.influx.lineprotocol import epoch_ms, field_set, series_key
from curbside.vocabulary.readings import BinEmptied, BinLevel, Reading, SensorBattery, SpaceStatus

PARKING = "parking_status"
BIN_LEVEL = "bin_level"
BIN_EMPTIED = "bin_emptied"
SENSOR_BATTERY = "sensor_battery"


# Series keys repeat for every reading of a device: built once each. Only admitted readings
# (registry devices) are stored, and the cache is bounded in any case.
@lru_cache(maxsize=200_000)
def _series(measurement: str, *tags: str) -> str:
    return series_key(measurement, dict(zip(tags[::2], tags[1::2], strict=True)))


def to_line(reading: Reading) -> str:
    """The line-protocol line for an admitted reading (its ``ts`` must be set)."""
    if reading.ts is None:
        raise ValueError("only admitted readings, with a timestamp, can be stored")
    match reading:
        case SpaceStatus():
            # occupied as 0/1 integer, not boolean: InfluxQL can then average it over time.
            series = _series(PARKING, "zone", reading.zone, "space", reading.space)
            fields = field_set(
                (
                    ("occupied", int(reading.occupied)),
                    ("battery_v", reading.battery_v),
                    ("rssi_dbm", reading.rssi_dbm),
                    ("seq", reading.seq),
                    ("battery_pct", reading.battery_pct),
                    ("snr_db", reading.snr_db),
                    ("temp_c", reading.temp_c),
                    ("previous_state_min", reading.previous_state_min),
                    ("hw_health", reading.hw_health),
                )
            )
        case BinLevel():
            series = _series(BIN_LEVEL, "district", reading.district, "bin", reading.bin)
            fields = field_set(
                (
                    ("fill_pct", reading.fill_pct),
                    ("distance_cm", reading.distance_cm),
                    ("battery_v", reading.battery_v),
                    ("temp_c", reading.temp_c),
                    ("tilted", reading.tilted),
                    ("battery_pct", reading.battery_pct),
                    ("rssi_dbm", reading.rssi_dbm),
                    ("snr_db", reading.snr_db),
                    ("distance_alarm", reading.distance_alarm),
                    ("temp_alarm", reading.temp_alarm),
                )
            )
        case BinEmptied():
            series = _series(BIN_EMPTIED, "district", reading.district, "bin", reading.bin)
            fields = field_set((("emptied", 1), ("truck", reading.truck)))
        case SensorBattery():
            series = _series(
                SENSOR_BATTERY,
                "domain",
                reading.domain,
                "group",
                reading.group,
                "device",
                reading.device,
            )
            fields = field_set(
                (("battery_pct", reading.battery_pct), ("external_power", reading.external_power))
            )
    return f"{series} {fields} {epoch_ms(reading.ts)}"
