"""Provisioning changes: add or revoke accounts in a broker's files (not yet reloaded).

Each change loads the accounts, applies one pure step, and saves them with freshly rendered
password and ACL files, all under the broker's lock. New passwords are returned once and
never stored.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

from curbside.adapters.provisioning.accounts import (
    OWN_NAME,
    Account,
    Kind,
    ProvisioningError,
    Rights,
    service_rights,
    with_accounts,
    without_accounts,
)
from curbside.adapters.provisioning.devices import Device, gateway_rights
from curbside.adapters.provisioning.passwords import hash_password, new_password
from curbside.adapters.provisioning.rabbitmq_rights import refuse_dotted_levels
from curbside.adapters.provisioning.store import BrokerFiles, load_accounts, locked, save_accounts


@dataclass(frozen=True, slots=True)
class Issued:
    """A user name with its new password, to hand to the device or service (shown once)."""

    username: str
    password: str = field(repr=False)


def add_devices(files: BrokerFiles, devices: Sequence[Device], *, rotate: bool) -> list[Issued]:
    """Provision each device with its own password; ``rotate`` replaces existing ones."""
    issued = [Issued(d.id, new_password()) for d in devices]
    now = _now()
    accounts = [
        Account(d.id, "device", d.role, d.rights, hash_password(i.password), now)
        for d, i in zip(devices, issued, strict=True)
    ]
    _add(files, accounts, rotate)
    return issued


def add_gateway(
    files: BrokerFiles, name: str, devices: Sequence[Device], *, rotate: bool
) -> Issued:
    """A gateway account that publishes for ``devices``, and only for them."""
    if not devices:
        raise ProvisioningError(f"gateway {name}: no devices behind it")
    issued = Issued(name, new_password())
    account = Account(
        name,
        "gateway",
        "gateway",
        gateway_rights(devices),
        hash_password(issued.password),
        _now(),
        devices=tuple(d.id for d in devices),
    )
    _add(files, [account], rotate)
    return issued


def add_service(files: BrokerFiles, role: str, name: str, *, rotate: bool) -> Issued:
    """A service account with its role's rights (see :func:`service_rights`)."""
    rights = service_rights().get(role)
    if rights is None:
        raise ProvisioningError(
            f"unknown service role {role!r}: one of {', '.join(service_rights())}"
        )
    issued = Issued(name, new_password())
    rights = Rights(
        tuple(t.replace(OWN_NAME, name) for t in rights.write),
        tuple(t.replace(OWN_NAME, name) for t in rights.read),
    )
    _add(
        files,
        [Account(name, "service", role, rights, hash_password(issued.password), _now())],
        rotate,
    )
    return issued


def revoke(files: BrokerFiles, usernames: Iterable[str], *, kind: Kind | None = None) -> None:
    """Remove accounts: their passwords and ACL entries go with them."""
    with locked(files):
        save_accounts(files, without_accounts(load_accounts(files), usernames, kind=kind))


def list_accounts(files: BrokerFiles, *, kind: Kind | None = None) -> list[Account]:
    """The provisioned accounts (of ``kind``, if given), by user name."""
    accounts = load_accounts(files)
    return [accounts[n] for n in sorted(accounts) if kind is None or accounts[n].kind == kind]


def _add(files: BrokerFiles, accounts: Sequence[Account], rotate: bool) -> None:
    if files.broker == "rabbitmq":
        for account in accounts:
            refuse_dotted_levels(account)
    with locked(files):
        current = load_accounts(files)
        save_accounts(files, with_accounts(current, accounts, replace_existing=rotate))


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")
