"""The record store: sessions, charges and verdicts in SQLAlchemy (docs/records.md)."""
