"""Plates from the handhelds and video poles over MQTT, bound to stays by the recorder.

The recorder takes them, not the API or ingest: it is the one writer of stays, and a plate is
bound to the stay covering its time, which exists once the recorder has taken the sensor's
arrival; in one process, reports and plates are applied in stream order (a batch's reports
first). Ingest never sees them, so plates never reach InfluxDB (docs/security.md).

Topic ``plates/{account}/{zone}/{space}`` (the broker lets an account publish only under its
own name, so ``account`` is who saw the plate); payload JSON ``{"plate", "colour",
"observed_at", "source": "pda" | "video", "corrects"?, "reason"?}``.
"""

from __future__ import annotations

import logging
from datetime import datetime

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, StrictInt, ValidationError
from sqlalchemy.orm import Session

from curbside.adapters.records.collection_store import PlateEvent, bind_plate
from curbside.domain.collection.binding import BindingRefused
from curbside.domain.collection.plates import PlateError, mask, parse_plate
from curbside.vocabulary.topics import PLATES_ROOT

log = logging.getLogger(__name__)

FILTER = f"{PLATES_ROOT}/+/+/+"


class PlateMessage(BaseModel):
    """A plate event's payload (unknown fields ignored: devices add fields)."""

    model_config = ConfigDict(extra="ignore")

    plate: str = Field(min_length=1, max_length=24)
    colour: str = Field(max_length=16)
    observed_at: AwareDatetime
    source: str = Field("pda", pattern=r"^(pda|video)$")
    corrects: StrictInt | None = Field(None, ge=1)
    reason: str | None = Field(None, max_length=300)


class BadPlateMessage(ValueError):
    """A plate message that cannot be used; the message says why (never the plate itself)."""


def is_plate_topic(topic: str) -> bool:
    """Whether a message is a plate event rather than a sensor's."""
    return topic.startswith(PLATES_ROOT + "/")


def plate_event(topic: str, payload: bytes) -> PlateEvent:
    """The plate event of one message; BadPlateMessage says what is wrong."""
    parts = topic.split("/")
    if len(parts) != 4 or not all(parts[1:]):
        raise BadPlateMessage(f"expected {FILTER}")
    _, account, zone, space = parts
    try:
        message = PlateMessage.model_validate_json(payload)
    except ValidationError as exc:
        first = exc.errors()[0]
        raise BadPlateMessage(f"{'.'.join(map(str, first['loc']))}: {first['msg']}") from None
    try:
        plate = parse_plate(message.plate, message.colour)
    except PlateError as exc:
        raise BadPlateMessage(f"plate: {exc}") from None
    return PlateEvent(
        zone,
        space,
        message.observed_at,
        plate,
        message.source,
        account,
        message.corrects,
        message.reason,
    )


def bind_all(db: Session, events: list[PlateEvent], now: datetime) -> dict[str, int]:
    """Bind each event (one transaction, the caller's); outcomes counted by name."""
    outcomes: dict[str, int] = {}
    for event in events:
        try:
            with db.begin_nested():
                decision, _ = bind_plate(db, event, now)
            outcome = decision.value
        except BindingRefused as refused:
            outcome = refused.reason
            log.warning(
                "plate %s from %s on %s/%s not bound: %s",
                mask(event.plate.number),
                event.actor,
                event.zone,
                event.space,
                refused,
            )
        outcomes[outcome] = outcomes.get(outcome, 0) + 1
    return outcomes
