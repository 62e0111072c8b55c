"""From one MQTT message to admitted readings: size check, decode, admit. Pure.

Ingest stores what this returns and the API's live feed applies it, so both accept and
refuse exactly the same messages.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

from curbside.adapters.decoders.registry import TopicDecoders
from curbside.city.registry import City
from curbside.config.settings import Settings
from curbside.domain.telemetry.admission import TimestampPolicy, admit
from curbside.vocabulary.readings import Reading
from curbside.vocabulary.rejection import Reason, Rejected, Skipped


def _ignore(_part: Skipped) -> None:
    return None


class Intake:
    """Turns a message into admitted readings, or raises Rejected saying why not.

    ``on_skipped`` hears of every part of a message left out while the rest is stored
    (ingest counts them); the intake itself keeps no state.
    """

    def __init__(
        self,
        city: City,
        policy: TimestampPolicy,
        max_payload_bytes: int,
        on_skipped: Callable[[Skipped], None] = _ignore,
    ) -> None:
        self._city = city
        self._policy = policy
        self._max_payload_bytes = max_payload_bytes
        self._on_skipped = on_skipped
        self._sensors = city.sensors
        self._decoders = TopicDecoders()

    @classmethod
    def from_settings(
        cls, settings: Settings, city: City, on_skipped: Callable[[Skipped], None] = _ignore
    ) -> Intake:
        """The intake with the configured timestamp policy and payload limit."""
        policy = TimestampPolicy(
            future_tolerance=timedelta(seconds=settings.ts_future_tolerance_s),
            max_age=timedelta(seconds=settings.ts_max_age_s),
        )
        return cls(city, policy, settings.ingest.max_payload_bytes, on_skipped)

    def readings(
        self, topic: str, payload: bytes, received_at: datetime, *, retained: bool = False
    ) -> list[Reading]:
        """Every reading in the message, admitted (timestamp set, fill computed).

        A ``retained`` message (one the broker kept and hands to every new subscription) is
        replayed at each (re)subscribe: its readings without a device timestamp are left out,
        because stamping them with the time received would make a new point every time.
        Readings with a timestamp are kept: stored again, they overwrite their own point.
        """
        if len(payload) > self._max_payload_bytes:
            raise Rejected(
                Reason.TOO_LARGE,
                f"{len(payload)} bytes is over the limit of {self._max_payload_bytes}",
            )
        decoder = self._decoders.decoder_for(topic)
        decoded = decoder.decode(topic, payload, self._sensors)
        readings = decoded.readings
        if retained:
            readings = [r for r in readings if r.ts is not None]
        admitted = [admit(r, self._city, received_at, self._policy) for r in readings]
        self._decoders.remember(topic, decoder)
        # Counted only once the message is accepted: a refused one is counted as refused.
        for part in decoded.skipped:
            self._on_skipped(part)
        return admitted
