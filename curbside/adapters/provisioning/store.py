"""The accounts on disk, next to the broker they are for.

``<broker dir>/auth/`` holds ``accounts.json`` (the state: hashes, never passwords) and the
``passwd`` and ``acl`` files rendered from it for Mosquitto. Every change happens under a lock
and each file is replaced atomically, so the broker never reads half a file.
"""

from __future__ import annotations

import fcntl
import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Literal

from curbside.adapters.provisioning.accounts import Account, Accounts, ProvisioningError, Rights
from curbside.adapters.provisioning.mosquitto_files import acl_file, password_file
from curbside.config.settings import Settings

FORMAT_VERSION = 1


@dataclass(frozen=True, slots=True)
class BrokerFiles:
    """The files of one broker instance (scripts/services' ``mosquitto-<port>/`` folder, or a
    RabbitMQ cluster's ``rabbitmq-<port base>/``, which keeps only ``accounts.json``: RabbitMQ
    holds users and rights itself)."""

    broker_dir: Path
    broker: Literal["mosquitto", "rabbitmq"] = "mosquitto"

    @property
    def auth_dir(self) -> Path:
        """Where the accounts, password file and ACL file are."""
        return self.broker_dir / "auth"

    @property
    def accounts(self) -> Path:
        """The state: every account with its hash and rights."""
        return self.auth_dir / "accounts.json"

    @property
    def passwd(self) -> Path:
        """Mosquitto's ``password_file``."""
        return self.auth_dir / "passwd"

    @property
    def acl(self) -> Path:
        """Mosquitto's ``acl_file``."""
        return self.auth_dir / "acl"

    @property
    def pid_file(self) -> Path:
        """The running broker's pid (written by scripts/services)."""
        return self.broker_dir / "mosquitto.pid"


def broker_dir(settings: Settings) -> Path:
    """The folder scripts/services gives the broker of these settings."""
    if settings.mqtt.broker == "rabbitmq":
        return settings.run_dir / f"rabbitmq-{settings.rabbitmq.port_base}"
    return settings.run_dir / f"mosquitto-{settings.mqtt.port}"


def broker_files(settings: Settings, directory: Path | None = None) -> BrokerFiles:
    """The account files of the broker of these settings (in ``directory``, if given)."""
    return BrokerFiles(directory or broker_dir(settings), settings.mqtt.broker)


def load_accounts(files: BrokerFiles) -> dict[str, Account]:
    """The accounts in ``accounts.json``; none if it does not exist yet."""
    try:
        data = json.loads(files.accounts.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    except (OSError, ValueError) as exc:
        raise ProvisioningError(f"{files.accounts}: cannot read the accounts: {exc}") from exc
    if data.get("version") != FORMAT_VERSION:
        raise ProvisioningError(f"{files.accounts}: unknown format {data.get('version')!r}")
    return {item["username"]: _account(item) for item in data["accounts"]}


def save_accounts(files: BrokerFiles, accounts: Accounts) -> None:
    """Write the state, then the password and ACL files rendered from it."""
    state = {
        "version": FORMAT_VERSION,
        "accounts": [asdict(accounts[name]) for name in sorted(accounts)],
    }
    _replace(files.accounts, json.dumps(state, indent=1, ensure_ascii=False) + "\n")
    if files.broker == "mosquitto":
        _replace(files.passwd, password_file(accounts))
        _replace(files.acl, acl_file(accounts))


@contextmanager
def locked(files: BrokerFiles) -> Iterator[None]:
    """Hold the auth folder's lock: one provisioning change at a time per broker."""
    files.auth_dir.mkdir(parents=True, exist_ok=True)
    with (files.auth_dir / ".lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        yield


def _account(item: dict[str, Any]) -> Account:
    rights = item["rights"]
    return Account(
        username=item["username"],
        kind=item["kind"],
        role=item["role"],
        rights=Rights(write=tuple(rights["write"]), read=tuple(rights["read"])),
        password_hash=item["password_hash"],
        created_at=item["created_at"],
        devices=tuple(item.get("devices", ())),
    )


def _replace(path: Path, text: str) -> None:
    # Owner-only: the hashes are not passwords, but need not be handed out either.
    tmp = path.with_name(f".{path.name}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as out:
        out.write(text)
    os.replace(tmp, path)
