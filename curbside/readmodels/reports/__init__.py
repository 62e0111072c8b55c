"""Period reports over the records: parking and sanitation, any range, grouped (docs/records.md)."""
