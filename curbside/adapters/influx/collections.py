"""Collections in InfluxDB: each detected emptying of a bin, kept for history and reports.

Measurement ``collection``: tags ``district``, ``bin``; fields ``source`` (fill, report or
both), ``truck``, ``before_pct``, ``after_pct``; time = the collection's time. Only settled
collections are recorded (older than ``SETTLE``, well past the 30 min merge window), so a
late emptied report cannot move one that is already stored; re-recording the same window
rewrites the same points.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from curbside.adapters.influx.client import InfluxClient
from curbside.adapters.influx.lineprotocol import FieldValue, encode_line
from curbside.adapters.influx.sanitation_history import SanitationHistoryReader
from curbside.city.registry import City
from curbside.domain.sanitation.collections import Collection, CollectionRules, detect_collections

COLLECTION = "collection"
SETTLE = timedelta(hours=1)
LOOKBACK = timedelta(hours=6)


def collection_line(district: str, bin_id: str, collection: Collection) -> str:
    """The line that stores one collection."""
    fields: dict[str, FieldValue] = {"source": collection.source}
    if collection.truck is not None:
        fields["truck"] = collection.truck
    if collection.before_pct is not None:
        fields["before_pct"] = collection.before_pct
    if collection.after_pct is not None:
        fields["after_pct"] = collection.after_pct
    return encode_line(COLLECTION, {"district": district, "bin": bin_id}, fields, collection.ts)


def record_settled_collections(
    history: SanitationHistoryReader,
    client: InfluxClient,
    city: City,
    now: datetime,
    rules: CollectionRules,
) -> int:
    """Detect the collections of ``[now - LOOKBACK, now - SETTLE)`` and store them.

    Returns how many were written. Detection reads a margin around the window, so one
    whose sightings straddle its edges is still seen whole.
    """
    start, end = now - LOOKBACK, now - SETTLE
    lines: list[str] = []
    for district in city.sanitation_districts:
        read = history.readings(district.id, start, end)
        for b in district.bins:
            found = detect_collections(read.levels.get(b.id, []), read.reports.get(b.id, []), rules)
            lines.extend(
                collection_line(district.id, b.id, c) for c in found if start <= c.ts < end
            )
    client.write(lines)
    return len(lines)
