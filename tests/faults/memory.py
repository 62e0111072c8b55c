"""The ingester's documented memory bound (docs/reliability.md, "Bounded memory").

With the default settings at most 10,000 messages are held in memory (the broker's
max_inflight_messages and CURBSIDE_INGEST_MAX_PENDING_MESSAGES), about 0.35 KiB each, plus
the batch being written. Measured: 51 MiB idle, 54 MiB at the peak of a 40,000-message
backlog. The bound leaves head-room for other machines and library versions, yet is far
below what holding a broker's backlog (up to 256 MiB) in memory would take.
"""

PEAK_RSS_BOUND_KIB = 80 * 1024
