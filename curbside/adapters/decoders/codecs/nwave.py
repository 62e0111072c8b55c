"""Nwave NPS parking sensor: status with the previous state's duration, heartbeat, start-up.

Layout from Nwave's "LoRaWAN Parking Sensor - Getting Started" (Parking status: byte 0
bit 0 = occupied, bits 7..1 = the previous state's compressed duration) and the codec Nwave
lists in The Things Network's device repository at commit 62c8acdd (vendor/nwave/nps405.js),
whose examples in nps405-codec.yaml it passes. An earlier revision of that codec (commit
0a254aaa) read bit 7 as occupancy; it fails the vendor's own examples and Nwave documents no
firmware that sends that layout, so Curbside does not offer it. The duration has no unit in
the codec; Curbside reads it as minutes (docs/hardware.md says what is not confirmed).
"""

from __future__ import annotations

from curbside.adapters.decoders.codecs import frames
from curbside.adapters.decoders.codecs.measurement import JsonObject, Measurement
from curbside.vocabulary.devices import SensorModel
from curbside.vocabulary.rejection import Reason, Rejected

STATUS, HEARTBEAT, STARTUP, DEBUG, REGISTRATION = 1, 2, 3, 6, 10
# The largest duration the 7 bits can say; 127 means "this long or longer".
OVERFLOW_MIN = 660


def previous_state_min(compressed: int) -> int:
    """The 7-bit compressed duration expanded: exact below 90, then 5- and 60-unit steps."""
    if compressed < 90:
        return compressed
    if compressed < 120:
        return 90 + (compressed - 90) * 5
    if compressed < 127:
        return 240 + (compressed - 120) * 60
    return OVERFLOW_MIN


def battery_v(raw: int) -> float:
    """The heartbeat's battery byte: 2.5 V plus 4 mV per step."""
    return (2500 + raw * 4) / 1000


class NwaveParkingSensor:
    """Decoder for the Nwave NPS parking sensor's uplinks."""

    model: SensorModel = "nwave-nps"

    def from_bytes(self, f_port: int, frame: bytes) -> Measurement:
        """Status (fPort 1), heartbeat (2), start-up (3), debug (6), tag registration (10)."""
        if f_port == STATUS:
            frames.need(frame, 1, "nwave status")
            return Measurement(
                occupied=bool(frame[0] & 0x01),
                previous_state_min=previous_state_min(frame[0] >> 1),
            )
        if f_port == HEARTBEAT:
            frames.need(frame, 3, "nwave heartbeat")
            return Measurement(
                occupied=bool(frame[0] & 0x01),
                # The vendor codec's mask, which takes in the occupancy bit too (not confirmed).
                hw_health=frame[0] & 0x7F,
                battery_v=battery_v(frame[1]),
                temp_c=frames.i8(frame[2]) / 2 + 10,
            )
        if f_port == STARTUP:
            frames.need(frame, 5, "nwave start-up")
            return Measurement(occupied=bool(frame[4] & 0x01))
        if f_port == REGISTRATION:
            frames.need(frame, 5, "nwave tag registration")
            # Only an occupied bit set says anything about the space; clear, the vendor's
            # codec reports occupancy and duration as unknown (null), so nothing is stored.
            if not frame[0] & 0x01:
                return Measurement()
            return Measurement(occupied=True, previous_state_min=previous_state_min(frame[0] >> 1))
        if f_port == DEBUG:
            return Measurement()
        raise Rejected(Reason.BAD_SCHEMA, f"nwave: no frame type on fPort {f_port}")

    def from_object(self, f_port: int, decoded: JsonObject) -> Measurement:
        """The listed codec's ``occupied``, ``previous_state_duration``, battery and health."""
        return Measurement(
            occupied=frames.flag(decoded, "occupied"),
            previous_state_min=frames.integer(decoded, "previous_state_duration", 0, OVERFLOW_MIN),
            battery_v=frames.number(decoded, "battery_voltage", 0, 10),
            temp_c=frames.number(decoded, "temperature", -60, 200),
            hw_health=frames.integer(decoded, "hw_health_status", 0, 127),
        )


NWAVE = NwaveParkingSensor()
