"""One card per bin when several kinds say the same thing (pure).

A bin already full needs emptying now; a prediction that it will overflow adds nothing but a
second card, and is usually hours stale by then. So a ``full`` condition supersedes an
``overflow_soon`` one for the same bin: the prediction is not raised, and an open one is
resolved (withdrawn) by the evaluator as any ended condition is.
"""

from __future__ import annotations

from collections.abc import Iterable

from curbside.vocabulary.alerts import AlertKind, Condition

SUPERSEDES: dict[AlertKind, frozenset[AlertKind]] = {
    AlertKind.FULL: frozenset({AlertKind.OVERFLOW_SOON}),
}
"""Each kind, and the kinds it makes redundant for the same subject."""


def without_superseded(conditions: Iterable[Condition]) -> list[Condition]:
    """The conditions minus those another condition of the same subject supersedes."""
    found = list(conditions)
    present = {(c.subject, c.kind) for c in found}
    return [
        c
        for c in found
        if not any(
            (c.subject, stronger) in present
            for stronger, weaker in SUPERSEDES.items()
            if c.kind in weaker
        )
    ]
