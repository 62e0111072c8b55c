"""``python -m curbside.adapters.records``: apply or inspect the record store's migrations."""

from __future__ import annotations

import argparse
import sys

from curbside.adapters.records.engine import record_engine
from curbside.adapters.records.migrate import current_revision, downgrade, head_revision, upgrade
from curbside.config.settings import SettingsError, load_settings


def main(argv: list[str] | None = None) -> int:
    """Run one migration command against CURBSIDE_RECORDS_URL (default: the SQLite file)."""
    parser = argparse.ArgumentParser(
        prog="python -m curbside.adapters.records",
        description="The record store's schema (docs/records.md). Settings: CURBSIDE_*.",
    )
    commands = parser.add_subparsers(dest="command", required=True)
    up = commands.add_parser("upgrade", help="apply migrations (default: to the newest)")
    up.add_argument("revision", nargs="?", default="head")
    down = commands.add_parser("downgrade", help="undo migrations down to REVISION")
    down.add_argument("revision")
    commands.add_parser("current", help="print the database's revision and the newest one")
    args = parser.parse_args(argv)
    try:
        settings = load_settings()
    except SettingsError as exc:
        print(f"records: {exc}", file=sys.stderr)
        return 2
    engine = record_engine(settings.records_database_url)
    try:
        if args.command == "upgrade":
            upgrade(engine, args.revision)
        elif args.command == "downgrade":
            downgrade(engine, args.revision)
        print(f"database: {current_revision(engine) or 'empty'}; newest: {head_revision(engine)}")
    finally:
        engine.dispose()
    return 0


if __name__ == "__main__":
    sys.exit(main())
