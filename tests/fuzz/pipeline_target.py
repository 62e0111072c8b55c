"""The fuzz target shared by the hypothesis test and the atheris script: one message through
ingest's whole pure path (size check, topic, decoder, admission, line protocol)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import curbside.adapters.decoders.formats  # noqa: F401 - registers every payload format
from curbside.adapters.influx.schema import BIN_EMPTIED, BIN_LEVEL, PARKING
from curbside.adapters.intake import Intake
from curbside.city.registry import load_city
from curbside.domain.telemetry.admission import TimestampPolicy
from curbside.vocabulary.rejection import Rejected
from ingest.pipeline import Pipeline

REPO = Path(__file__).resolve().parents[2]
RECEIVED_AT = datetime(2026, 11, 27, 8, 0, tzinfo=UTC)
TOPICS = [
    "parking/Z01/Z01-001/status",
    "sanitation/D1/D1-B001/fill",
    "sanitation/D1/D1-B001/emptied",
    "parking/Z01/Z01-001/status/extra",
    "parking/Z99/Z99-001/status",
]
MEASUREMENTS = (PARKING, BIN_LEVEL, BIN_EMPTIED)

PIPELINE = Pipeline(
    Intake(
        load_city(REPO / "curbside" / "city" / "demo-city.yaml"),
        TimestampPolicy(future_tolerance=timedelta(seconds=300), max_age=timedelta(days=7)),
        max_payload_bytes=4096,
    )
)


def check_one_message(topic: str, payload: bytes) -> None:
    """Rejected, or well-formed lines: anything else (an exception, a line break) is a bug."""
    try:
        lines = PIPELINE.lines(topic, payload, RECEIVED_AT)
    except Rejected:
        return
    for line in lines:
        # A raw line break would let a payload smuggle its own points into the write.
        assert "\n" not in line and "\r" not in line, line
        assert line.split(",", 1)[0] in MEASUREMENTS, line
