"""How readings are stored: measurements, tags and fields (documented in docs/schema.md).

Tags are only the registry ids (zone and space, district and bin), whose number is bounded
by the registry; everything that varies per message is a field. A point's identity is its
measurement, tags and device timestamp, so a redelivered message overwrites itself.
"""

from __future__ import annotations

from curbside.adapters.influx.lineprotocol import FieldValue, encode_line
from curbside.vocabulary.readings import BinEmptied, BinLevel, Reading, SensorBattery, SpaceStatus

PARKING = "parking_status"
BIN_LEVEL = "bin_level"
BIN_EMPTIED = "bin_emptied"
SENSOR_BATTERY = "sensor_battery"


def _present(**values: FieldValue | None) -> dict[str, FieldValue]:
    return {key: value for key, value in values.items() if value is not None}


def to_line(reading: Reading) -> str:
    """The line-protocol line for an admitted reading (its ``ts`` must be set)."""
    if reading.ts is None:
        raise ValueError("only admitted readings, with a timestamp, can be stored")
    match reading:
        case SpaceStatus():
            # occupied as 0/1 integer, not boolean: InfluxQL can then average it over time.
            fields = _present(
                occupied=int(reading.occupied),
                battery_v=reading.battery_v,
                rssi_dbm=reading.rssi_dbm,
                seq=reading.seq,
                battery_pct=reading.battery_pct,
                snr_db=reading.snr_db,
                temp_c=reading.temp_c,
                previous_state_min=reading.previous_state_min,
                hw_health=reading.hw_health,
            )
            tags = {"zone": reading.zone, "space": reading.space}
            return encode_line(PARKING, tags, fields, reading.ts)
        case BinLevel():
            fields = _present(
                fill_pct=reading.fill_pct,
                distance_cm=reading.distance_cm,
                battery_v=reading.battery_v,
                temp_c=reading.temp_c,
                tilted=reading.tilted,
                battery_pct=reading.battery_pct,
                rssi_dbm=reading.rssi_dbm,
                snr_db=reading.snr_db,
                distance_alarm=reading.distance_alarm,
                temp_alarm=reading.temp_alarm,
            )
            tags = {"district": reading.district, "bin": reading.bin}
            return encode_line(BIN_LEVEL, tags, fields, reading.ts)
        case BinEmptied():
            fields = _present(emptied=1, truck=reading.truck)
            tags = {"district": reading.district, "bin": reading.bin}
            return encode_line(BIN_EMPTIED, tags, fields, reading.ts)
        case SensorBattery():
            fields = _present(
                battery_pct=reading.battery_pct, external_power=reading.external_power
            )
            tags = {"domain": reading.domain, "group": reading.group, "device": reading.device}
            return encode_line(SENSOR_BATTERY, tags, fields, reading.ts)
