"""Mosquitto's password file and ACL file, rendered from the accounts. Pure."""

from __future__ import annotations

from curbside.adapters.provisioning.accounts import Accounts

HEADER = (
    "# Written by `python -m curbside.cli.provisioning` from accounts.json;"
    " edits here are overwritten.\n"
)


def password_file(accounts: Accounts) -> str:
    """``username:$7$...`` lines, sorted by user name (Mosquitto's ``password_file``)."""
    return "".join(f"{name}:{accounts[name].password_hash}\n" for name in sorted(accounts))


def acl_file(accounts: Accounts) -> str:
    """One ``user`` block per account with explicit ``topic`` lines (Mosquitto's ``acl_file``).

    There are no ``pattern`` lines and no lines before the first ``user``: an account may do
    exactly what its block lists, and anything else is denied.
    """
    blocks = [HEADER]
    for name in sorted(accounts):
        rights = accounts[name].rights
        lines = [f"\nuser {name}\n"]
        lines += [f"topic write {topic}\n" for topic in rights.write]
        lines += [f"topic read {topic}\n" for topic in rights.read]
        blocks.append("".join(lines))
    return "".join(blocks)
