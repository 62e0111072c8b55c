"""Bosch Parking Lot Sensor (TPS110): parking status, heartbeat and start-up frames.

Layout from the codec Bosch lists in The Things Network's device repository
(github.com/TheThingsNetwork/lorawan-devices, vendor/bosch/tpl110-0292.js and its examples in
tps110-0292-codec.yaml). The frames carry no battery level: the network server's device
status (ChirpStack's ``status`` event) is the only battery report for this sensor.
"""

from __future__ import annotations

from curbside.adapters.decoders.codecs import frames
from curbside.adapters.decoders.codecs.measurement import JsonObject, Measurement
from curbside.vocabulary.devices import SensorModel
from curbside.vocabulary.rejection import Reason, Rejected

STATUS, HEARTBEAT, STARTUP = 1, 2, 3
# Device information, usage and debug frames: nothing Curbside stores.
DIAGNOSTIC_PORTS = frozenset({4, 5, 6})
STARTUP_LENGTH = 17


class BoschParkingLotSensor:
    """Decoder for the Bosch Parking Lot Sensor's uplinks."""

    model: SensorModel = "bosch-parking-lot-sensor"

    def from_bytes(self, f_port: int, frame: bytes) -> Measurement:
        """Occupancy (bit 0) from status, heartbeat and start-up; temperature from heartbeats."""
        if f_port == STATUS:
            frames.need(frame, 1, "bosch status")
            return Measurement(occupied=bool(frame[0] & 0x01))
        if f_port == HEARTBEAT:
            frames.need(frame, 1, "bosch heartbeat")
            temp = float(frames.i8(frame[1])) if len(frame) >= 2 else None
            return Measurement(occupied=bool(frame[0] & 0x01), temp_c=temp)
        if f_port == STARTUP:
            frames.need(frame, STARTUP_LENGTH, "bosch start-up")
            return Measurement(occupied=bool(frame[16] & 0x01))
        if f_port in DIAGNOSTIC_PORTS:
            return Measurement()
        raise Rejected(Reason.BAD_SCHEMA, f"bosch: no frame type on fPort {f_port}")

    def from_object(self, f_port: int, decoded: JsonObject) -> Measurement:
        """The listed codec's ``occupied`` and ``temperature``."""
        return Measurement(
            occupied=frames.flag(decoded, "occupied"),
            temp_c=frames.number(decoded, "temperature", -128, 127),
        )


BOSCH = BoschParkingLotSensor()
