"""Binding a plate to a stay: first binding, the same plate again, or a correction.

A stay has one plate at a time: the binding that no later binding corrects. A second, different
plate is a correction only when it says why (and, if it names the binding it corrects, that is
still the stay's current one: two people correcting at once do not overwrite each other);
anything else is refused, so two devices that disagree are seen, not silently resolved by
whichever came last.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from curbside.domain.collection.plates import Plate


class Binding(StrEnum):
    """What a plate event does to a stay."""

    NEW = "new"
    SAME = "same"  # the stay already has this plate: nothing to record
    CORRECTION = "correction"


class BindingRefused(ValueError):
    """A plate event refused; ``reason`` is a stable code for metrics and responses."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason


@dataclass(frozen=True, slots=True)
class Bound:
    """The stay's current binding."""

    id: int
    number: str
    colour: str


def judge_binding(
    current: Bound | None, plate: Plate, corrects: int | None, reason: str | None
) -> Binding:
    """What binding ``plate`` to a stay whose current binding is ``current`` means."""
    if current is None:
        if corrects is not None:
            raise BindingRefused("nothing_to_correct", "the stay has no plate to correct yet")
        return Binding.NEW
    same = (plate.number, plate.colour.value) == (current.number, current.colour)
    if corrects is None and not reason:
        if same:
            return Binding.SAME
        raise BindingRefused(
            "already_bound",
            f"the stay already has a plate (binding {current.id}); a correction gives a reason",
        )
    if corrects is not None and corrects != current.id:
        raise BindingRefused(
            "stale_correction", f"binding {corrects} is not the stay's current plate ({current.id})"
        )
    if not reason or not reason.strip():
        raise BindingRefused("no_reason", "a correction says why")
    if same:
        raise BindingRefused("no_change", "the correction binds the plate the stay already has")
    return Binding.CORRECTION
