"""Payment notifications: is this one really from the channel, fresh, and not seen before?

A channel signs each notification the way payment providers sign theirs (and Stripe and
GitHub sign webhooks): HMAC-SHA256 with the channel's secret key over ``"<timestamp>." + body``,
sent as ``v1=<hex>`` with the timestamp (Unix seconds) and the channel's id. A notification is
refused when it is unsigned, its channel unknown, its signature wrong, or its timestamp outside
the window (a captured notification cannot be sent again later). Inside the window the
record's transaction id catches the replay: the exact notification again is refused as
replayed; the channel re-sending the same movement with a fresh signature is a duplicate that
is answered as accepted and changes nothing; a different movement under a used id is refused.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum

from curbside.domain.collection.ledger import Account, LedgerRefusal, Movement

SCHEME = "v1"
DEFAULT_WINDOW_S = 300


class Refusal(StrEnum):
    """Why a notification was refused: the code recorded, counted and sent back."""

    UNSIGNED = "unsigned"
    UNKNOWN_CHANNEL = "unknown_channel"
    BAD_SIGNATURE = "bad_signature"
    STALE = "stale"
    MALFORMED = "malformed"
    REPLAYED = "replayed"
    CONFLICTING = "conflicting"
    UNKNOWN_CHARGE = "unknown_charge"
    UNKNOWN_PAYMENT = "unknown_payment"
    OVER_PAYMENT = "over_payment"
    OVER_REFUND = "over_refund"
    BAD_AMOUNT = "bad_amount"


class NotificationRefused(Exception):
    """A refused notification: ``reason`` is the code, the message says what was wrong."""

    def __init__(self, reason: Refusal, message: str) -> None:
        super().__init__(message)
        self.reason = reason


@dataclass(frozen=True, slots=True)
class Signed:
    """The three headers a channel sends with a notification (None when absent)."""

    channel: str | None
    timestamp: str | None
    signature: str | None


def signature(secret: bytes, timestamp: int, body: bytes) -> str:
    """The ``v1=<hex>`` signature of ``body`` sent at ``timestamp``."""
    mac = hmac.new(secret, f"{timestamp}.".encode() + body, hashlib.sha256)
    return f"{SCHEME}={mac.hexdigest()}"


def digest(timestamp: int, body: bytes) -> str:
    """What identifies one signed notification exactly (a replay has the same digest)."""
    return hashlib.sha256(f"{timestamp}.".encode() + body).hexdigest()


def verify(
    keys: Mapping[str, bytes], signed: Signed, body: bytes, now_s: float, window_s: int
) -> int:
    """The notification's timestamp if ``signed`` proves ``body`` came from a known channel
    within ``window_s`` of ``now_s``; NotificationRefused otherwise."""
    if not signed.channel or not signed.timestamp or not signed.signature:
        raise NotificationRefused(
            Refusal.UNSIGNED, "a notification needs its channel, timestamp and signature headers"
        )
    secret = keys.get(signed.channel)
    if secret is None:
        raise NotificationRefused(Refusal.UNKNOWN_CHANNEL, "no such payment channel")
    if not signed.timestamp.isdigit() or len(signed.timestamp) > 12:
        raise NotificationRefused(Refusal.UNSIGNED, "the timestamp is whole Unix seconds")
    timestamp = int(signed.timestamp)
    expected = signature(secret, timestamp, body)
    if not hmac.compare_digest(expected.encode(), signed.signature.encode()):
        raise NotificationRefused(Refusal.BAD_SIGNATURE, "the signature does not match the body")
    if abs(now_s - timestamp) > window_s:
        raise NotificationRefused(
            Refusal.STALE, f"the timestamp is more than {window_s} s from the server's clock"
        )
    return timestamp


class Seen(StrEnum):
    """How a notification relates to what is already recorded under its transaction id."""

    NEW = "new"
    DUPLICATE = "duplicate"


def judge_repeat(
    recorded: tuple[str, tuple[object, ...]] | None,
    digest_now: str,
    content: tuple[object, ...],
    verified_before: bool,
) -> Seen:
    """NEW, DUPLICATE (the same movement freshly signed), or NotificationRefused for an exact
    replay or a different movement under a transaction id already used.

    ``recorded`` is the (digest, content) kept for the transaction id (None if unused);
    ``verified_before`` says whether a correctly signed notification with this digest came
    before, accepted or refused: a refused one replayed after the account changed (an
    over-payment after a refund) must not slip through.
    """
    if verified_before:
        raise NotificationRefused(Refusal.REPLAYED, "this notification was already received")
    if recorded is None:
        return Seen.NEW
    if recorded[1] != content:
        raise NotificationRefused(
            Refusal.CONFLICTING, "this transaction id was already used for a different movement"
        )
    return Seen.DUPLICATE


def admit(
    account: Account,
    recorded: tuple[str, tuple[object, ...]] | None,
    digest_now: str,
    *,
    verified_before: bool,
    movement: Movement,
    amount_fen: int,
    charge_id: int = 0,
) -> tuple[Seen, Account]:
    """Judge a verified notification against the stay's account and what its transaction id
    already recorded: (NEW, the account after it), (DUPLICATE, the account unchanged), or
    NotificationRefused. ``recorded`` content is (movement, amount, charge id)."""
    content = (movement.value, amount_fen, charge_id)
    seen = judge_repeat(recorded, digest_now, content, verified_before)
    if seen is Seen.DUPLICATE:
        return seen, account
    try:
        return seen, account.apply(movement, amount_fen)
    except LedgerRefusal as refusal:
        raise NotificationRefused(Refusal(refusal.reason), str(refusal)) from None
