"""One plate per stay; a different plate only as a correction with who and why."""

from __future__ import annotations

import pytest

from curbside.domain.collection.binding import Binding, BindingRefused, Bound, judge_binding
from curbside.domain.collection.plates import Plate, parse_plate

A = parse_plate("粤B12345", "blue")
B = parse_plate("粤B54321", "blue")
CURRENT = Bound(7, "粤B12345", "blue")


def test_the_first_plate_binds() -> None:
    assert judge_binding(None, A, None, None) is Binding.NEW


def test_the_same_plate_again_records_nothing() -> None:
    assert judge_binding(CURRENT, A, None, None) is Binding.SAME


def test_a_correction_gives_a_reason_and_may_name_the_current_binding() -> None:
    assert judge_binding(CURRENT, B, 7, "PDA misread 5 as 3") is Binding.CORRECTION
    assert judge_binding(CURRENT, B, None, "PDA misread 5 as 3") is Binding.CORRECTION


@pytest.mark.parametrize(
    ("current", "plate", "corrects", "reason", "code"),
    [
        (CURRENT, B, None, None, "already_bound"),
        (CURRENT, B, 6, "typo", "stale_correction"),
        (CURRENT, B, 7, "  ", "no_reason"),
        (CURRENT, B, 7, None, "no_reason"),
        (CURRENT, A, None, "typo", "no_change"),
        (CURRENT, A, 7, "typo", "no_change"),
        (CURRENT, parse_plate("粤B12345", "yellow"), None, None, "already_bound"),
        (None, A, 7, "typo", "nothing_to_correct"),
    ],
)
def test_anything_else_is_refused(
    current: Bound | None, plate: Plate, corrects: int | None, reason: str | None, code: str
) -> None:
    with pytest.raises(BindingRefused) as refused:
        judge_binding(current, plate, corrects, reason)
    assert refused.value.reason == code
