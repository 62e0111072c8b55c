"""Webhook signatures as the Standard Webhooks specification defines them, and the retry rule.

Ground truth: the specification's published example (github.com/standard-webhooks/
standard-webhooks, spec/standard-webhooks.md, also Svix's "verifying webhooks manually"):
secret whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw, id msg_p5jXN8AQM9LWM0D4loKWxJek, timestamp
1614265330, body {"test": 2432232314} -> v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from curbside.adapters.handoff.webhook import signed_headers
from curbside.domain.handoff.retry import gives_up, retry_at

SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"


def test_the_headers_carry_the_specifications_example_signature() -> None:
    at = datetime.fromtimestamp(1614265330, UTC)
    headers = signed_headers(
        Webhook(SECRET), "msg_p5jXN8AQM9LWM0D4loKWxJek", "case.opened", '{"test": 2432232314}', at
    )
    assert headers["webhook-signature"] == "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
    assert headers["webhook-timestamp"] == "1614265330"
    assert headers["webhook-id"] == headers["idempotency-key"] == "msg_p5jXN8AQM9LWM0D4loKWxJek"


def test_a_changed_body_or_an_old_timestamp_does_not_verify() -> None:
    now = datetime.now(UTC)
    webhook = Webhook(SECRET)
    headers = signed_headers(webhook, "k#1", "case.opened", '{"a":1}', now)
    assert webhook.verify('{"a":1}', headers) == {"a": 1}
    with pytest.raises(WebhookVerificationError):
        webhook.verify('{"a":2}', headers)
    old = signed_headers(webhook, "k#1", "case.opened", '{"a":1}', now - timedelta(minutes=6))
    with pytest.raises(WebhookVerificationError, match="too old"):
        webhook.verify('{"a":1}', old)


T0 = datetime(2026, 3, 4, tzinfo=UTC)


@given(st.integers(1, 200), st.floats(0, 0.999))
def test_retries_wait_up_to_the_doubling_ceiling_and_never_past_the_cap(
    failures: int, jitter: float
) -> None:
    wait = (retry_at(failures, T0, 2.0, 900.0, jitter) - T0).total_seconds()
    assert 0 < wait <= min(900.0, 2.0 * 2 ** (failures - 1))


def test_the_ceiling_doubles_then_stops_and_the_last_attempt_gives_up() -> None:
    waits = [(retry_at(n, T0, 2.0, 900.0, 0.999999) - T0).total_seconds() for n in range(1, 12)]
    assert [round(w) for w in waits] == [2, 4, 8, 16, 32, 64, 128, 256, 512, 900, 900]
    assert not gives_up(11, 12)
    assert gives_up(12, 12)
