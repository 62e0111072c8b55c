"""Bringing a RabbitMQ cluster's users and permissions in line with the accounts, through its
management HTTP API (as the administrator scripts/services creates).

The accounts (``accounts.json``) stay the source, as for Mosquitto; RabbitMQ keeps the users
itself (replicated to every node), so a change is applied by API calls instead of a file and a
reload. A password is only known when it is issued: a new or rotated account is created with
it; an account the cluster lacks otherwise is reported, to be rotated.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from urllib.parse import quote

import httpx

from curbside.adapters.provisioning.accounts import Account, Accounts, ProvisioningError
from curbside.adapters.provisioning.rabbitmq_rights import (
    EXCHANGE,
    VHOST_CONFIGURE,
    VHOST_READ,
    VHOST_WRITE,
    rights_pattern,
)

VHOST = "/"
TIMEOUT_S = 10.0


class ClusterUnreachable(ProvisioningError):
    """No node's management API answers."""


@dataclass(frozen=True, slots=True)
class Management:
    """A cluster's management API: the nodes' URLs, tried in turn, and the administrator."""

    urls: Sequence[str]
    user: str
    password: str = field(repr=False)


@dataclass(frozen=True, slots=True)
class Applied:
    """What one synchronisation did."""

    created: tuple[str, ...] = ()
    removed: tuple[str, ...] = ()
    missing: tuple[str, ...] = ()
    """Accounts the cluster lacks and whose password is not known here: rotate them."""


def apply_accounts(
    management: Management, accounts: Accounts, passwords: Mapping[str, str]
) -> Applied:
    """Make the cluster's users those of ``accounts`` (administrators left alone), each with
    its rights; ``passwords`` are the ones issued just now (new or rotated accounts)."""
    with _session(management) as api:
        existing = {u["name"]: u for u in api.get("/api/users").json()}
        removed = [
            name
            for name, user in sorted(existing.items())
            if name not in accounts and "administrator" not in _tags(user)
        ]
        for name in removed:
            _delete_user(api, name)
        created, missing = [], []
        for name in sorted(accounts):
            if name in passwords:
                _put(
                    api,
                    f"/api/users/{quote(name, safe='')}",
                    {"password": passwords[name], "tags": ""},
                )
                created.append(name)
            elif name not in existing:
                missing.append(name)
                continue
            _grant(api, accounts[name])
        if passwords:
            # A rotated password must not leave the old login's connections open.
            for name in passwords:
                if name in existing:
                    _close_connections(api, name)
    return Applied(tuple(created), tuple(removed), tuple(missing))


def _grant(api: httpx.Client, account: Account) -> None:
    user = quote(account.username, safe="")
    _put(
        api,
        f"/api/permissions/{quote(VHOST, safe='')}/{user}",
        {"configure": VHOST_CONFIGURE, "write": VHOST_WRITE, "read": VHOST_READ},
    )
    _put(
        api,
        f"/api/topic-permissions/{quote(VHOST, safe='')}/{user}",
        {
            "exchange": EXCHANGE,
            "write": rights_pattern(account.rights.write),
            "read": rights_pattern(account.rights.read),
        },
    )


def _delete_user(api: httpx.Client, name: str) -> None:
    reply = api.delete(f"/api/users/{quote(name, safe='')}")
    if reply.status_code not in (204, 404):
        raise ProvisioningError(f"RabbitMQ refused to delete user {name}: {_said(reply)}")
    # Deleting a user does not end its open connections: end them, as Mosquitto's reload does.
    _close_connections(api, name)


def _close_connections(api: httpx.Client, name: str) -> None:
    reply = api.get(f"/api/connections/username/{quote(name, safe='')}")
    if reply.status_code == 404:
        return
    for connection in reply.json():
        api.delete(
            f"/api/connections/{quote(connection['name'], safe='')}",
            headers={"X-Reason": "account revoked or rotated by Curbside provisioning"},
        )


def _put(api: httpx.Client, path: str, body: dict[str, str]) -> None:
    reply = api.put(path, json=body)
    if reply.status_code not in (201, 204):
        raise ProvisioningError(f"RabbitMQ refused PUT {path}: {_said(reply)}")


def _tags(user: Mapping[str, object]) -> list[str]:
    tags = user.get("tags", [])
    # 3.10 answers a list; older versions a comma-separated string.
    if isinstance(tags, str):
        return tags.split(",")
    return [str(t) for t in tags] if isinstance(tags, list) else []


def _said(reply: httpx.Response) -> str:
    return f"HTTP {reply.status_code} {reply.text[:300]}"


@contextmanager
def _session(management: Management) -> Iterator[httpx.Client]:
    """An API client on the first node that answers."""
    failures = []
    for url in management.urls:
        client = httpx.Client(
            base_url=url, auth=(management.user, management.password), timeout=TIMEOUT_S
        )
        with client:
            try:
                reply = client.get("/api/whoami")
            except httpx.HTTPError as exc:
                failures.append(f"{url}: {exc}")
                continue
            if reply.status_code == 401:
                raise ProvisioningError(
                    f"RabbitMQ's management API at {url} refuses {management.user}: check "
                    "CURBSIDE_RABBITMQ_ADMIN_USER and CURBSIDE_RABBITMQ_ADMIN_PASSWORD"
                )
            yield client
            return
    raise ClusterUnreachable(
        "no RabbitMQ management API answers (" + "; ".join(failures) + "); "
        "start the cluster with: scripts/services start rabbitmq"
    )
