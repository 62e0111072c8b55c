"""The ``$7$`` hash: our verify accepts mosquitto_passwd's hashes, and our hashes round-trip.

(That the broker accepts *our* hashes is proven by every integration test: each logs in with
an account hashed here.)
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from curbside.adapters.provisioning.passwords import hash_password, new_password, verify_password


def _mosquitto_passwd() -> str:
    for candidate in ("mosquitto_passwd", "/usr/bin/mosquitto_passwd"):
        found = shutil.which(candidate)
        if found:
            return found
    pytest.fail("mosquitto_passwd is missing; scripts/bootstrap installs it (package mosquitto)")


def test_verify_accepts_what_mosquitto_passwd_writes(tmp_path: Path) -> None:
    password = new_password()
    passwd = tmp_path / "passwd"
    passwd.touch()
    subprocess.run(
        [_mosquitto_passwd(), "-b", str(passwd), "dev-1", password], check=True, timeout=30
    )
    user, hashed = passwd.read_text().strip().split(":", 1)
    assert user == "dev-1"
    assert hashed.startswith("$7$")
    assert verify_password(password, hashed)
    assert not verify_password(password + "x", hashed)


@given(st.text(min_size=1, max_size=40))
def test_a_hash_verifies_its_password_only(password: str) -> None:
    hashed = hash_password(password)
    assert verify_password(password, hashed)
    assert not verify_password(password + "!", hashed)


def test_the_same_password_hashes_differently_each_time() -> None:
    password = new_password()
    assert hash_password(password) != hash_password(password)


@pytest.mark.parametrize("bad", ["", "plain", "$6$101$abc$def", "$7$x$abc$def", "$7$101$@@$@@"])
def test_malformed_hashes_never_verify(bad: str) -> None:
    assert not verify_password("anything", bad)


def test_generated_passwords_are_long_and_distinct() -> None:
    passwords = {new_password() for _ in range(100)}
    assert len(passwords) == 100
    assert all(len(p) >= 32 for p in passwords)
