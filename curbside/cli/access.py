"""``python -m curbside.cli.access keys add|list|revoke``: manage the API's keys file.

The file is ``--file``, else the ``CURBSIDE_API_KEYS_FILE`` setting. ``add`` prints the new
token once, on standard output (nothing else goes there, so scripts can capture it); it is
stored only as its SHA-256. A running API picks up every change with its next request.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

from curbside.adapters.access.keyfile import KeyFileError, add_key, read_keys, revoke_key
from curbside.adapters.access.keys import ApiKey, KeyRefused, describe_scope
from curbside.adapters.access.roles import Role
from curbside.adapters.access.scope import Scope, unknown_areas
from curbside.city.registry import CityFileError, load_city
from curbside.config.settings import SettingsError, load_settings

EXIT_ERROR = 2


def _ids(text: str | None) -> list[str] | None:
    return None if text is None else [p for p in (s.strip() for s in text.split(",")) if p]


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m curbside.cli.access", description=__doc__)
    parser.add_argument("--file", type=Path, help="the keys file (default: CURBSIDE_API_KEYS_FILE)")
    keys = parser.add_subparsers(dest="group", required=True).add_parser("keys", help="API keys")
    command = keys.add_subparsers(dest="command", required=True)
    add = command.add_parser("add", help="make a key and print its token once")
    add.add_argument("name", help="who or what uses the key (recorded on acknowledgements)")
    add.add_argument("--role", required=True, choices=[str(r) for r in Role])
    add.add_argument("--zones", help="comma-separated zones it may read (default: all)")
    add.add_argument("--districts", help="comma-separated districts it may read (default: all)")
    command.add_parser("list", help="list the keys (never the tokens)")
    revoke = command.add_parser("revoke", help="revoke the key with this id, or every one so named")
    revoke.add_argument("key", help="a key id, or a key name")
    return parser


def _line(key: ApiKey) -> str:
    created = key.created_at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return f"{key.id}  {key.role:<16}  {created}  {describe_scope(key.scope)}  {key.name}"


def _add(path: Path, args: argparse.Namespace) -> int:
    scope = Scope.limited_to(_ids(args.zones), _ids(args.districts))
    if not scope.city_wide:
        city = load_city(load_settings().city_file)
        unknown = unknown_areas(scope, city)
        if unknown:
            raise KeyRefused(f"not in the city registry: {', '.join(unknown)}")
    key, token = add_key(path, args.name, Role(args.role), scope, datetime.now(UTC))
    print(f"added {_line(key)} to {path}; the token is shown only now:", file=sys.stderr)
    print(token)
    return 0


def _revoke(path: Path, args: argparse.Namespace) -> int:
    for key in revoke_key(path, args.key):
        print(f"revoked {_line(key)}")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Run one keys command; 2 with a message on a bad setting, file or request."""
    args = _parser().parse_args(argv)
    try:
        path = args.file or load_settings().api.keys_file
        if args.command == "add":
            return _add(path, args)
        if args.command == "revoke":
            return _revoke(path, args)
        for key in read_keys(path):
            print(_line(key))
        return 0
    except (SettingsError, CityFileError, KeyFileError, KeyRefused, OSError) as exc:
        print(f"python -m curbside.cli.access: {exc}", file=sys.stderr)
        return EXIT_ERROR


if __name__ == "__main__":
    sys.exit(main())
