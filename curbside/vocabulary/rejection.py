"""Why a message was refused. One reason per refusal, counted and dead-lettered by ingest."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Reason(StrEnum):
    """The closed set of rejection reasons; each is a metric label and a dead-letter topic level."""

    TOO_LARGE = "too_large"
    BAD_UTF8 = "bad_utf8"
    BAD_JSON = "bad_json"
    BAD_SCHEMA = "bad_schema"
    OUT_OF_RANGE = "out_of_range"
    BAD_TOPIC = "bad_topic"
    UNKNOWN_DEVICE = "unknown_device"
    TS_FUTURE = "ts_future"
    TS_TOO_OLD = "ts_too_old"
    # A payload that made our own code fail: refused so it cannot be redelivered forever.
    INTERNAL_ERROR = "internal_error"
    # An uplink the network server marks as simulated (sent from its console), not a sensor's.
    SIMULATED = "simulated"
    # A part of a frame that answers a configuration command: nothing to store. Only ever
    # a skipped part (below), never the reason a whole message is refused.
    CONFIG_REPLY = "config_reply"


class Rejected(Exception):
    """A message that will not be stored, with the reason and a short human detail."""

    def __init__(self, reason: Reason, detail: str) -> None:
        super().__init__(f"{reason}: {detail}")
        self.reason = reason
        self.detail = detail


@dataclass(frozen=True, slots=True)
class Skipped:
    """A part of a message left out while the rest is stored: counted by its reason.

    A frame's unknown channel or an unknown value is a skipped part rather than a rejection
    when the frame's other parts can still be read.
    """

    reason: Reason
    detail: str
