"""The ledger rule: owed = billed − paid + refunded, never negative, in integer fen."""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest
from hypothesis import given
from hypothesis import strategies as st

from curbside.domain.collection.ledger import Account, LedgerRefusal, Movement


def test_a_partial_payment_leaves_the_rest_owed() -> None:
    account = Account().billed(500).apply(Movement.PAYMENT, 200)
    assert (account.owed_fen, account.credit_fen) == (300, 0)


def test_a_refund_makes_the_amount_owed_again() -> None:
    account = Account().billed(500).apply(Movement.PAYMENT, 500).apply(Movement.REFUND, 150)
    assert account.owed_fen == 150


def test_paying_more_than_is_owed_is_refused() -> None:
    with pytest.raises(LedgerRefusal, match="501 fen paid but 500 fen owed") as refused:
        Account().billed(500).apply(Movement.PAYMENT, 501)
    assert refused.value.reason == "over_payment"


def test_refunding_more_than_was_paid_is_refused() -> None:
    with pytest.raises(LedgerRefusal) as refused:
        Account().billed(500).apply(Movement.PAYMENT, 100).apply(Movement.REFUND, 101)
    assert refused.value.reason == "over_refund"


@pytest.mark.parametrize("amount", [0, -1])
def test_an_amount_is_positive(amount: int) -> None:
    with pytest.raises(LedgerRefusal):
        Account().billed(500).apply(Movement.PAYMENT, amount)


def test_a_paid_stay_billed_lower_by_late_data_owes_nothing_and_is_due_a_credit() -> None:
    account = Account().billed(500).apply(Movement.PAYMENT, 500).billed(-500).billed(300)
    assert (account.owed_fen, account.credit_fen) == (0, 200)
    refunded = account.apply(Movement.REFUND, 200)
    assert (refunded.owed_fen, refunded.credit_fen) == (0, 0)


@dataclass
class Sums:
    """An independent tally of what was accepted: the rule's inputs summed by hand."""

    billed: int = 0
    paid: int = 0
    refunded: int = 0
    charges: list[int] = field(default_factory=list)


step = st.one_of(
    st.tuples(st.just("charge"), st.integers(0, 50_000)),
    st.tuples(st.just("reverse"), st.integers(0, 20)),
    st.tuples(st.just(Movement.PAYMENT), st.integers(-5, 60_000)),
    st.tuples(st.just(Movement.REFUND), st.integers(-5, 60_000)),
    # amounts at the edge of what the rule allows: what is owed (or refundable) +/- 2 fen
    st.tuples(st.sampled_from(["pay_edge", "refund_edge"]), st.integers(-2, 2)),
)


def edge(what: object, n: int, sums: Sums) -> tuple[object, int]:
    """An edge step as the movement it stands for, its amount next to the allowed limit."""
    if what == "pay_edge":
        return Movement.PAYMENT, sums.billed - sums.paid + sums.refunded + n
    if what == "refund_edge":
        return Movement.REFUND, sums.paid - sums.refunded + n
    return what, n


@given(st.lists(step, max_size=40))
def test_owed_is_billed_minus_paid_plus_refunded_and_never_negative(
    steps: list[tuple[object, int]],
) -> None:
    account = Account()
    sums = Sums()
    for drawn, drawn_n in steps:
        what, n = edge(drawn, drawn_n, sums)
        if what == "charge":
            account = account.billed(n)
            sums.billed += n
            sums.charges.append(n)
        elif what == "reverse":
            if not sums.charges:
                continue
            amount = sums.charges.pop(n % len(sums.charges))
            account = account.billed(-amount)
            sums.billed -= amount
        else:
            assert isinstance(what, Movement)
            balance = sums.billed - sums.paid + sums.refunded
            allowed = n > 0 and (
                n <= balance if what is Movement.PAYMENT else n <= sums.paid - sums.refunded
            )
            try:
                account = account.apply(what, n)
            except LedgerRefusal:
                assert not allowed
                continue
            assert allowed
            if what is Movement.PAYMENT:
                sums.paid += n
            else:
                sums.refunded += n
        balance = sums.billed - sums.paid + sums.refunded
        assert account.owed_fen >= 0 and account.credit_fen >= 0
        assert account.owed_fen - account.credit_fen == balance
        if sums.paid - sums.refunded <= sums.billed:
            # billing never fell below what was kept: owed is exactly the rule
            assert account.owed_fen == balance
        assert isinstance(account.owed_fen, int)
