"""Payment-notification signatures, freshness and repeats."""

from __future__ import annotations

import hashlib
import hmac

import pytest
from hypothesis import given
from hypothesis import strategies as st

from curbside.domain.collection.ledger import Account, Movement
from curbside.domain.collection.notifications import (
    NotificationRefused,
    Refusal,
    Seen,
    Signed,
    admit,
    digest,
    signature,
    verify,
)

KEYS = {"wechat": b"s3cret-wechat", "alipay": b"s3cret-alipay"}
BODY = b'{"txn_id":"T1","type":"payment","charge_id":7,"amount_fen":500}'
NOW = 1_796_000_000


def test_the_signature_is_hmac_sha256_over_timestamp_dot_body() -> None:
    # Computed here with the standard library from the documented recipe, not by our code.
    expected = hmac.new(b"s3cret-wechat", b"1796000000." + BODY, hashlib.sha256).hexdigest()
    assert signature(KEYS["wechat"], NOW, BODY) == "v1=" + expected


def signed(channel: str = "wechat", ts: int = NOW, body: bytes = BODY) -> Signed:
    return Signed(channel, str(ts), signature(KEYS[channel], ts, body))


def test_a_correctly_signed_fresh_notification_is_accepted() -> None:
    assert verify(KEYS, signed(), BODY, NOW + 10, 300) == NOW


@pytest.mark.parametrize(
    ("headers", "reason"),
    [
        (Signed(None, None, None), Refusal.UNSIGNED),
        (Signed("wechat", str(NOW), None), Refusal.UNSIGNED),
        (Signed("wechat", None, "v1=00"), Refusal.UNSIGNED),
        (Signed("unionpay", str(NOW), "v1=00"), Refusal.UNKNOWN_CHANNEL),
        (Signed("wechat", "-5", "v1=00"), Refusal.UNSIGNED),
        (Signed("wechat", str(NOW), "v1=" + "0" * 64), Refusal.BAD_SIGNATURE),
        # signed with another channel's key
        (Signed("wechat", str(NOW), signature(KEYS["alipay"], NOW, BODY)), Refusal.BAD_SIGNATURE),
        # a signature for another timestamp
        (
            Signed("wechat", str(NOW), signature(KEYS["wechat"], NOW + 1, BODY)),
            Refusal.BAD_SIGNATURE,
        ),
    ],
)
def test_bad_headers_are_refused(headers: Signed, reason: Refusal) -> None:
    with pytest.raises(NotificationRefused) as refused:
        verify(KEYS, headers, BODY, NOW, 300)
    assert refused.value.reason is reason


def test_a_changed_body_breaks_the_signature() -> None:
    with pytest.raises(NotificationRefused) as refused:
        verify(KEYS, signed(), BODY.replace(b"500", b"5000"), NOW, 300)
    assert refused.value.reason is Refusal.BAD_SIGNATURE


@pytest.mark.parametrize("skew", [-301, 301, 86_400])
def test_a_timestamp_outside_the_window_is_stale(skew: int) -> None:
    with pytest.raises(NotificationRefused) as refused:
        verify(KEYS, signed(ts=NOW), BODY, NOW + skew, 300)
    assert refused.value.reason is Refusal.STALE


def test_the_window_edges_are_accepted() -> None:
    assert verify(KEYS, signed(), BODY, NOW + 300, 300) == NOW
    assert verify(KEYS, signed(), BODY, NOW - 300, 300) == NOW


def test_an_exact_replay_is_refused_and_a_re_signed_duplicate_changes_nothing() -> None:
    account = Account().billed(800)
    d1 = digest(NOW, BODY)
    seen, after = admit(
        account, None, d1, verified_before=False, movement=Movement.PAYMENT, amount_fen=500
    )
    assert seen is Seen.NEW and after.owed_fen == 300
    recorded = (d1, ("payment", 500, 0))
    with pytest.raises(NotificationRefused) as refused:
        admit(after, recorded, d1, verified_before=True, movement=Movement.PAYMENT, amount_fen=500)
    assert refused.value.reason is Refusal.REPLAYED
    seen, again = admit(
        after,
        recorded,
        digest(NOW + 60, BODY),
        verified_before=False,
        movement=Movement.PAYMENT,
        amount_fen=500,
    )
    assert seen is Seen.DUPLICATE and again == after
    with pytest.raises(NotificationRefused) as refused:
        admit(
            after,
            recorded,
            digest(NOW + 60, BODY),
            verified_before=False,
            movement=Movement.PAYMENT,
            amount_fen=400,
        )
    assert refused.value.reason is Refusal.CONFLICTING


def test_over_payment_is_a_refusal_code() -> None:
    with pytest.raises(NotificationRefused) as refused:
        admit(
            Account().billed(100),
            None,
            "d",
            verified_before=False,
            movement=Movement.PAYMENT,
            amount_fen=101,
        )
    assert refused.value.reason is Refusal.OVER_PAYMENT


movement = st.tuples(st.sampled_from(list(Movement)), st.integers(1, 2_000), st.integers(0, 30))


@given(st.integers(0, 10_000), st.lists(movement, max_size=25), st.data())
def test_replaying_any_notification_at_any_point_changes_nothing(
    billed: int, movements: list[tuple[Movement, int, int]], data: st.DataObject
) -> None:
    """Process a stream of notifications (with transaction ids that may repeat) once plainly and
    once with earlier notifications replayed in between: the account ends the same."""

    def run(stream: list[tuple[str, int, Movement, int]]) -> Account:
        account = Account().billed(billed)
        kept: dict[str, tuple[str, tuple[object, ...]]] = {}
        verified: set[str] = set()  # every signed digest received, accepted or refused
        for txn, ts, what, amount in stream:
            d = digest(ts, f"{txn}:{what}:{amount}".encode())
            try:
                seen, account = admit(
                    account,
                    kept.get(txn),
                    d,
                    verified_before=d in verified,
                    movement=what,
                    amount_fen=amount,
                )
            except NotificationRefused:
                continue
            finally:
                verified.add(d)
            if seen is Seen.NEW:
                kept[txn] = (d, (what.value, amount, 0))
        return account

    plain = [(f"T{i % 7}", NOW + i, what, amount) for i, (what, amount, _) in enumerate(movements)]
    replayed: list[tuple[str, int, Movement, int]] = []
    for i, item in enumerate(plain):
        replayed.append(item)
        if data.draw(st.booleans()):
            replayed.append(replayed[data.draw(st.integers(0, i))])
    assert run(replayed) == run(plain)
