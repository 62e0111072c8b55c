"""Keeps the sessions answers as fresh as the records: each second, every zone's revision
(curbside/adapters/records/zone_revisions.py, one small read) is compared with the last, and
the kept answers of the zones that changed are rendered again at their next request.

So a stay the recorder changes shows within about a second, while a window whose zone did not
change is rendered again only every ``CURBSIDE_API_SESSIONS_REFRESH_S``, to price its open
stays up to then (most of what a render of an unchanged zone costs).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Hashable

from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session as DbSession
from sqlalchemy.orm import sessionmaker

from api.deps import in_records
from api.rendered import RenderedForAWhile
from api.session_bodies import SessionsAnswer
from curbside.adapters.log_throttle import Throttle
from curbside.adapters.records import zone_revisions

# How often the zones' revisions are read: how late, at most, a recorded change shows.
REVISIONS_EVERY_S = 1.0

log = logging.getLogger(__name__)
_FAILURES_LOGGED = Throttle(60.0)


async def follow_zone_revisions(
    records: sessionmaker[DbSession],
    answers: RenderedForAWhile[SessionsAnswer],
    every_s: float = REVISIONS_EVERY_S,
) -> None:
    """Until cancelled: have the answers of every zone whose revision moved rendered again.

    A record store that fails is logged (once a minute) and asked again next time; the
    answers then go on being rendered again every ``CURBSIDE_API_SESSIONS_REFRESH_S``.
    """
    known: dict[str, int] | None = None
    while True:
        try:
            now = await in_records(records, zone_revisions.all_revisions)
        except DBAPIError as exc:
            if _FAILURES_LOGGED.allow("revisions"):
                log.warning("cannot read the zones' record revisions: %s", exc.orig)
        else:
            if known is not None:
                changed = {zone for zone, revision in now.items() if known.get(zone) != revision}
                if changed:
                    answers.refresh_soon(_of_zones(changed))
            known = now
        await asyncio.sleep(every_s)


def _of_zones(zones: set[str]) -> Callable[[Hashable], bool]:
    # The sessions route keys its answers (zone, space, start, end).
    return lambda key: isinstance(key, tuple) and key[0] in zones
