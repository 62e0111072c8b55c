"""The keys file: JSON, written atomically, re-read when it changes on disk.

The file holds each key's id, name, role, scope, creation time and SHA-256, never a token.
Writers (the CLI, the API's admin routes) take an exclusive lock on ``<file>.lock`` around
read-modify-write, so two of them cannot lose each other's change; the API re-reads the
file when its identity or size changes, so a key revoked from the CLI stops working at once.
"""

from __future__ import annotations

import fcntl
import json
import os
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any

from curbside.adapters.access.keys import ApiKey, Keyring, new_key
from curbside.adapters.access.roles import Role
from curbside.adapters.access.scope import Scope

FORMAT_VERSION = 1


class KeyFileError(Exception):
    """The keys file cannot be read or is not a keys file; the message names the file."""


def _record(key: ApiKey) -> dict[str, Any]:
    return {
        "id": key.id,
        "name": key.name,
        "role": str(key.role),
        "zones": None if key.scope.zones is None else sorted(key.scope.zones),
        "districts": None if key.scope.districts is None else sorted(key.scope.districts),
        "sha256": key.sha256,
        "created_at": key.created_at.isoformat(),
    }


def _key(record: dict[str, Any]) -> ApiKey:
    zones, districts = record["zones"], record["districts"]
    return ApiKey(
        id=str(record["id"]),
        name=str(record["name"]),
        role=Role(record["role"]),
        scope=Scope(
            None if zones is None else frozenset(map(str, zones)),
            None if districts is None else frozenset(map(str, districts)),
        ),
        sha256=str(record["sha256"]),
        created_at=datetime.fromisoformat(record["created_at"]),
    )


def read_keys(path: Path) -> Keyring:
    """The keys in the file; an empty keyring if there is no file."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return Keyring()
    except OSError as exc:
        raise KeyFileError(f"{path}: cannot read the keys file: {exc}") from exc
    try:
        document = json.loads(text)
        if document.get("version") != FORMAT_VERSION:
            raise ValueError(f"expected version {FORMAT_VERSION}")
        return Keyring(_key(r) for r in document["keys"])
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise KeyFileError(f"{path}: not a Curbside keys file: {exc!r}") from exc


def write_keys(path: Path, keyring: Keyring) -> None:
    """Replace the file with this keyring atomically (temp file, fsync, rename), mode 0600."""
    path.parent.mkdir(parents=True, exist_ok=True)
    document = {"version": FORMAT_VERSION, "keys": [_record(k) for k in keyring]}
    fd, temp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            json.dump(document, out, ensure_ascii=False, indent=2)
            out.write("\n")
            out.flush()
            os.fsync(out.fileno())
        os.replace(temp, path)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise


@contextmanager
def _locked(path: Path) -> Iterator[None]:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(f"{path}.lock", "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def update_keys(path: Path, change: Callable[[Keyring], Keyring]) -> Keyring:
    """Read, change and write the file under its lock; returns the new keyring."""
    with _locked(path):
        changed = change(read_keys(path))
        write_keys(path, changed)
        return changed


def add_key(path: Path, name: str, role: Role, scope: Scope, now: datetime) -> tuple[ApiKey, str]:
    """Make a key and add it to the file; the key and its token (which is not stored)."""
    made: list[tuple[ApiKey, str]] = []

    def add(keyring: Keyring) -> Keyring:
        made.append(new_key(name, role, scope, now, (k.id for k in keyring)))
        return keyring.add(made[0][0])

    update_keys(path, add)
    return made[0]


def revoke_key(path: Path, id_or_name: str) -> list[ApiKey]:
    """Remove the key with this id, or every key so named, from the file; those removed."""
    gone: list[ApiKey] = []

    def revoke(keyring: Keyring) -> Keyring:
        kept, removed = keyring.revoke(id_or_name)
        gone.extend(removed)
        return kept

    update_keys(path, revoke)
    return gone


class WatchedKeyFile:
    """The keyring of a file, re-read whenever the file is replaced or changes size."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._seen: tuple[int, int, int] | None = None
        self._keyring = Keyring()

    def _identity(self) -> tuple[int, int, int] | None:
        try:
            st = self.path.stat()
        except FileNotFoundError:
            return None
        return (st.st_ino, st.st_size, st.st_mtime_ns)

    def current(self) -> Keyring:
        """The keys as the file holds them now (a stat per call; a read only on change)."""
        identity = self._identity()
        if identity != self._seen:
            self._keyring = read_keys(self.path) if identity else Keyring()
            self._seen = identity
        return self._keyring
