"""Accounts and what each may publish and read; pure, no files and no broker.

A device publishes only its own topics; a gateway publishes the topics of the devices listed
behind it; a service account gets the rights of its role and no more. Rights are by user
name: a client id is chosen by the client and proves nothing.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import Literal

import curbside.adapters.decoders.formats  # noqa: F401 - registers every payload format (ingest's topics)
from curbside.adapters.decoders.registry import subscriptions
from curbside.domain.alerts.document import TOPIC_PREFIX as ALERTS_PREFIX
from curbside.domain.cases.document import CASE_TOPIC_PREFIX
from curbside.vocabulary.topics import DEADLETTER_ROOT as DEADLETTER_PREFIX
from curbside.vocabulary.topics import overdue_topic, plate_topic, progress_topic, route_topic

OWN_NAME = "%u"
"""In a service role's topic filters, the account's own user name (filled in when the account
is made: the broker files have no ``pattern`` lines)."""

Kind = Literal["device", "gateway", "service"]
USERNAME = re.compile(r"^[A-Za-z0-9_.-]{1,64}$")


class ProvisioningError(Exception):
    """A provisioning request cannot be carried out; the message says why."""


@dataclass(frozen=True, slots=True)
class Rights:
    """Topic filters an account may publish to (``write``) and subscribe to (``read``)."""

    write: tuple[str, ...] = ()
    read: tuple[str, ...] = ()


def service_rights() -> dict[str, Rights]:
    """Each service role's rights: what its process publishes and subscribes, nothing else."""
    return {
        # Subscribes to every decoder's topics; republishes rejected messages as dead letters.
        "ingest": Rights(write=(f"{DEADLETTER_PREFIX}/#",), read=tuple(subscriptions())),
        # Publishes acknowledged alerts; hears every alert change for its event stream, and
        # follows the sensor topics ingest reads to keep its live state current.
        # Publishes each truck's route (retained) and hears the trucks' progress.
        "api": Rights(
            write=(f"{ALERTS_PREFIX}/#", route_topic("+")),
            read=(f"{ALERTS_PREFIX}/#", progress_topic("+"), *subscriptions()),
        ),
        # The recorder follows the sensor topics ingest reads, into the record store, the
        # plates the attendants' handhelds and the video poles see, and the alert changes,
        # which open cases. It announces charges gone overdue.
        "recorder": Rights(
            write=(overdue_topic("+"),),
            read=(f"{ALERTS_PREFIX}/#", *subscriptions(), plate_topic("+", "+", "+")),
        ),
        # A handheld (PDA) or a video pole: publishes plates under its own name only, reads
        # nothing (docs/payments.md).
        "plate-reader": Rights(write=(plate_topic(OWN_NAME, "+", "+"),)),
        # The hand-off publishes every case event under cases/ (docs/handoff.md).
        "handoff": Rights(write=(f"{CASE_TOPIC_PREFIX}/#",)),
        # The alert evaluator only publishes.
        "alerts": Rights(write=(f"{ALERTS_PREFIX}/#",)),
        # LoRaWAN network servers publish uplinks for every device of their applications;
        # which DevEUIs count is the registry's business (ingest rejects unknown ones).
        # ChirpStack also subscribes to its downlink topic; it gets none from Curbside.
        "chirpstack": Rights(
            write=("application/+/device/+/event/+",),
            read=("application/+/device/+/command/+",),
        ),
        # A Mosquitto bridge from The Things Stack logs in with its local_username.
        "tts-bridge": Rights(write=("v3/+/devices/+/up", "$SYS/broker/connection/+/state")),
        # People watching the broker (dead letters, alerts, $SYS); never publishes.
        "monitor": Rights(read=("#", "$SYS/#")),
        # The test suite's own account: publishes device traffic as any device.
        "test": Rights(write=("#",), read=("#", "$SYS/#")),
    }


@dataclass(frozen=True, slots=True)
class Account:
    """One broker user name with its password hash and rights."""

    username: str
    kind: Kind
    role: str
    """device: ``space``, ``bin`` or ``truck``; gateway: ``gateway``; service: its role."""
    rights: Rights
    password_hash: str = field(repr=False)
    created_at: str
    devices: tuple[str, ...] = ()
    """A gateway's devices (registry ids)."""

    def __post_init__(self) -> None:
        if not USERNAME.fullmatch(self.username):
            raise ProvisioningError(
                f"user name {self.username!r}: use 1-64 letters, digits, '_', '.' or '-'"
            )


Accounts = Mapping[str, Account]


def with_accounts(
    accounts: Accounts, new: Iterable[Account], *, replace_existing: bool = False
) -> dict[str, Account]:
    """``accounts`` plus ``new``; refuses a user name already there unless ``replace_existing``.

    A replaced account keeps its creation time: only its password (and rights) change.
    """
    result = dict(accounts)
    for account in new:
        old = result.get(account.username)
        if old is None:
            result[account.username] = account
            continue
        if not replace_existing:
            raise ProvisioningError(
                f"{account.username} is already provisioned (as a {old.kind}); "
                "use --rotate to give it a new password"
            )
        if old.kind != account.kind:
            raise ProvisioningError(
                f"{account.username} is a {old.kind}, not a {account.kind}; revoke it first"
            )
        result[account.username] = replace(account, created_at=old.created_at)
    return result


def without_accounts(
    accounts: Accounts, usernames: Iterable[str], *, kind: Kind | None = None
) -> dict[str, Account]:
    """``accounts`` without ``usernames``; each must exist (and be of ``kind``, if given)."""
    result = dict(accounts)
    for username in usernames:
        account = result.pop(username, None)
        if account is None:
            raise ProvisioningError(f"{username} is not provisioned")
        if kind is not None and account.kind != kind:
            raise ProvisioningError(f"{username} is a {account.kind}, not a {kind}")
    return result
