"""The recorder: turns the stream of readings into records (docs/records.md)."""
