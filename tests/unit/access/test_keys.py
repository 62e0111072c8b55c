"""Keys: tokens, hashing, look-up, and the constant-time comparison."""

from __future__ import annotations

import hmac
from datetime import UTC, datetime

import pytest

from curbside.adapters.access.keys import KeyRefused, Keyring, hash_token, new_key, token_id
from curbside.adapters.access.roles import Role
from curbside.adapters.access.scope import Scope

NOW = datetime(2026, 11, 27, 8, 0, tzinfo=UTC)


def _ring(*roles: Role) -> tuple[Keyring, list[str]]:
    ring, tokens = Keyring(), []
    for n, role in enumerate(roles):
        key, token = new_key(f"k{n}", role, Scope(), NOW, (k.id for k in ring))
        ring = ring.add(key)
        tokens.append(token)
    return ring, tokens


def test_a_token_finds_its_key_and_only_its_key() -> None:
    ring, [viewer, admin] = _ring(Role.VIEWER, Role.ADMIN)
    found = ring.authenticate(viewer)
    assert found is not None and (found.name, found.role) == ("k0", Role.VIEWER)
    found = ring.authenticate(admin)
    assert found is not None and found.role is Role.ADMIN


@pytest.mark.parametrize(
    "change",
    [
        lambda t: t[:-1] + ("A" if t[-1] != "A" else "B"),  # wrong secret, right id
        lambda t: t.replace("csk_", "csx_"),  # wrong prefix
        lambda t: t[:-1],  # truncated
        lambda t: "csk_000000000000_" + t.split("_", 2)[2],  # unknown id
        lambda t: "",
        lambda t: t + " ",
    ],
)
def test_anything_but_the_exact_token_is_refused(change: object) -> None:
    ring, [token] = _ring(Role.ADMIN)
    assert callable(change)
    assert ring.authenticate(change(token)) is None


def test_the_stored_hash_is_sha256_of_the_token_not_the_token() -> None:
    key, token = new_key("x", Role.VIEWER, Scope(), NOW)
    assert key.sha256 == hash_token(token) and len(key.sha256) == 64
    assert token not in repr(key)
    assert token_id(token) == key.id and token.startswith(f"csk_{key.id}_")
    # 32 random bytes of secret: 43 URL-safe base64 characters.
    assert len(token.split("_", 2)[2]) == 43


def test_hashes_are_compared_in_constant_time(monkeypatch: pytest.MonkeyPatch) -> None:
    ring, [token] = _ring(Role.VIEWER)
    compared: list[tuple[str, str]] = []
    real = hmac.compare_digest

    def spy(a: str, b: str) -> bool:
        compared.append((a, b))
        return real(a, b)

    monkeypatch.setattr(hmac, "compare_digest", spy)
    assert ring.authenticate(token) is not None
    assert ring.authenticate("csk_000000000000_" + "A" * 43) is None
    # Both the hit and the miss of an unknown id went through compare_digest.
    assert len(compared) == 2 and compared[0][0] == hash_token(token)


def test_admin_keys_cannot_be_limited() -> None:
    with pytest.raises(KeyRefused, match="admin"):
        new_key("a", Role.ADMIN, Scope.limited_to(zones=["Z01"]), NOW)


@pytest.mark.parametrize("name", ["", "x" * 65, "bad\nname", "tab\there"])
def test_key_names_are_short_and_printable(name: str) -> None:
    with pytest.raises(KeyRefused):
        new_key(name, Role.VIEWER, Scope(), NOW)


def test_revoke_by_id_or_by_name() -> None:
    ring, [t0, t1, t2] = _ring(Role.VIEWER, Role.VIEWER, Role.DISPATCHER)
    by_id = ring.authenticate(t0)
    assert by_id is not None
    ring, gone = ring.revoke(by_id.id)
    assert [k.id for k in gone] == [by_id.id]
    assert ring.authenticate(t0) is None and ring.authenticate(t1) is not None
    ring, gone = ring.revoke("k2")
    assert [k.name for k in gone] == ["k2"] and ring.authenticate(t2) is None
    with pytest.raises(KeyRefused):
        ring.revoke("k2")
