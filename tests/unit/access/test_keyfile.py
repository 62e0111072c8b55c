"""The keys file: no plaintext, atomic replacement, re-read on change, the CLI."""

from __future__ import annotations

import stat
from datetime import UTC, datetime
from pathlib import Path

import pytest

from curbside.adapters.access.keyfile import (
    KeyFileError,
    WatchedKeyFile,
    add_key,
    read_keys,
    revoke_key,
)
from curbside.adapters.access.keys import hash_token
from curbside.adapters.access.roles import Role
from curbside.adapters.access.scope import Scope
from curbside.cli.access import main

NOW = datetime(2026, 11, 27, tzinfo=UTC)


def test_the_file_never_holds_a_token_or_its_secret(tmp_path: Path) -> None:
    path = tmp_path / "keys.json"
    tokens = [add_key(path, f"k{n}", Role.VIEWER, Scope(), NOW)[1] for n in range(5)]
    text = path.read_text()
    for token in tokens:
        assert token not in text and token.split("_", 2)[2] not in text
        assert hash_token(token) in text
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    # Atomic replacement leaves no temporary files behind.
    assert sorted(p.name for p in tmp_path.iterdir()) == ["keys.json", "keys.json.lock"]


def test_keys_survive_a_round_trip(tmp_path: Path) -> None:
    path = tmp_path / "keys.json"
    scope = Scope.limited_to(zones=["Z01"], districts=["D2"])
    key, token = add_key(path, "东区 desk", Role.DISPATCHER, scope, NOW)
    [read] = read_keys(path)
    assert read == key
    assert read_keys(path).authenticate(token) == key


def test_a_watched_file_follows_changes_made_elsewhere(tmp_path: Path) -> None:
    path = tmp_path / "keys.json"
    watched = WatchedKeyFile(path)
    assert len(watched.current()) == 0
    _, token = add_key(path, "a", Role.VIEWER, Scope(), NOW)
    assert watched.current().authenticate(token) is not None
    revoke_key(path, "a")
    assert watched.current().authenticate(token) is None


def test_a_damaged_file_is_an_error_naming_it(tmp_path: Path) -> None:
    path = tmp_path / "keys.json"
    path.write_text('{"version": 1, "keys": [{"id": 1}]}')
    with pytest.raises(KeyFileError, match=str(path)):
        read_keys(path)


def test_cli_add_list_revoke(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "keys.json"
    assert main(["--file", str(path), "keys", "add", "ops", "--role", "viewer"]) == 0
    token = capsys.readouterr().out.strip()
    assert read_keys(path).authenticate(token) is not None
    assert main(["--file", str(path), "keys", "list"]) == 0
    listed = capsys.readouterr().out
    assert "ops" in listed and "viewer" in listed and token not in listed
    assert main(["--file", str(path), "keys", "revoke", "ops"]) == 0
    assert read_keys(path).authenticate(token) is None
    assert main(["--file", str(path), "keys", "revoke", "ops"]) == 2
    assert "no key" in capsys.readouterr().err


def test_cli_refuses_areas_the_city_does_not_have(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "keys.json"
    args = ["--file", str(path), "keys", "add", "x", "--role", "viewer", "--zones", "Z01,NOPE"]
    assert main(args) == 2
    assert "zone NOPE" in capsys.readouterr().err
    assert not path.exists() or len(read_keys(path)) == 0
