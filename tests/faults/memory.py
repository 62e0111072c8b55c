"""The ingester's documented memory bound (docs/reliability.md, "Bounded memory").

With the default settings at most 10,000 messages are in memory (the broker's
max_inflight_messages and CURBSIDE_INGEST_MAX_PENDING_MESSAGES), plus one batch being written.
The bound is the measured peak with that window full, with head-room for other machines.
"""

PEAK_RSS_BOUND_KIB = 160 * 1024
