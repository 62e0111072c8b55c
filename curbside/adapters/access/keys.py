"""API keys: random tokens, stored only as their SHA-256, looked up by a public id.

A token is ``csk_<id>_<secret>``: ``id`` is 12 hex digits, not secret, that finds the record;
``secret`` is 32 random bytes (256 bits, URL-safe base64). Only the SHA-256 of the whole
token is stored. A fast unsalted hash is enough here, unlike for passwords: nobody can guess
or brute-force a 256-bit random secret from its hash, so the slow salted hashes that protect
low-entropy passwords would only slow every request. The hashes are compared with
``hmac.compare_digest``, in constant time, so timing does not reveal how much of a guess matched.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime

from curbside.adapters.access.roles import Role
from curbside.adapters.access.scope import AreaKind, Scope

PREFIX = "csk"
_TOKEN = re.compile(rf"^{PREFIX}_([0-9a-f]{{12}})_([A-Za-z0-9_-]{{43}})$")
NAME_PATTERN = r"^[^\x00-\x1f\x7f]{1,64}$"
_NAME = re.compile(NAME_PATTERN)


class KeyRefused(ValueError):
    """A key cannot be made or changed as asked; the message says why."""


@dataclass(frozen=True, slots=True)
class ApiKey:
    """A key as stored: never the token itself."""

    id: str
    name: str
    role: Role
    scope: Scope
    sha256: str
    created_at: datetime


def hash_token(token: str) -> str:
    """The stored form of a token: its SHA-256, hex."""
    return hashlib.sha256(token.encode()).hexdigest()


def token_id(token: str) -> str | None:
    """The public id inside a well-formed token, or None."""
    match = _TOKEN.match(token)
    return match.group(1) if match else None


def new_key(
    name: str, role: Role, scope: Scope, now: datetime, taken: Iterable[str] = ()
) -> tuple[ApiKey, str]:
    """A new key record and its token (shown once, never stored)."""
    if not _NAME.match(name):
        raise KeyRefused("a key name is 1 to 64 characters, no control characters")
    if role is Role.ADMIN and not scope.city_wide:
        # An admin manages keys, so a limited admin could mint itself an unlimited key.
        raise KeyRefused("an admin key cannot be limited to zones or districts")
    used = set(taken)
    key_id = secrets.token_hex(6)
    while key_id in used:
        key_id = secrets.token_hex(6)
    token = f"{PREFIX}_{key_id}_{secrets.token_urlsafe(32)}"
    return ApiKey(key_id, name, role, scope, hash_token(token), now), token


class Keyring:
    """The valid keys, by id."""

    def __init__(self, keys: Iterable[ApiKey] = ()) -> None:
        self._keys = {k.id: k for k in keys}

    def __iter__(self) -> Iterator[ApiKey]:
        return iter(sorted(self._keys.values(), key=lambda k: (k.created_at, k.id)))

    def __len__(self) -> int:
        return len(self._keys)

    def holds(self, key_id: str) -> bool:
        """Whether the key with this id is (still) valid."""
        return key_id in self._keys

    def authenticate(self, token: str) -> ApiKey | None:
        """The key this token belongs to, or None."""
        key_id = token_id(token)
        found = self._keys.get(key_id) if key_id else None
        # Hash even when the id is unknown, so a miss costs the same as a wrong secret.
        presented = hash_token(token)
        expected = found.sha256 if found else "0" * 64
        if hmac.compare_digest(presented, expected) and found is not None:
            return found
        return None

    def add(self, key: ApiKey) -> Keyring:
        """A keyring with this key too."""
        if key.id in self._keys:
            raise KeyRefused(f"a key with id {key.id!r} exists")
        return Keyring([*self._keys.values(), key])

    def revoke(self, id_or_name: str) -> tuple[Keyring, list[ApiKey]]:
        """A keyring without the key of this id, or the keys of this name; and those removed."""
        gone = [k for k in self._keys.values() if id_or_name in (k.id, k.name)]
        if not gone:
            raise KeyRefused(f"no key with id or name {id_or_name!r}")
        ids = {k.id for k in gone}
        return Keyring(k for k in self._keys.values() if k.id not in ids), gone


def describe_scope(scope: Scope) -> str:
    """``city-wide``, or the zones and districts listed, for people."""
    if scope.city_wide:
        return "city-wide"
    parts = []
    for kind, ids in ((AreaKind.ZONE, scope.zones), (AreaKind.DISTRICT, scope.districts)):
        if ids:
            parts.append(f"{kind}s {','.join(sorted(ids))}")
    return "; ".join(parts) or "nothing"
