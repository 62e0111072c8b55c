"""Alembic migrations of the record store (env.py and versions/)."""
