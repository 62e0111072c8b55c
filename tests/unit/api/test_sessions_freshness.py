"""A stay the recorder records shows in a kept sessions answer within about a second, though
the answer itself is not due for a minute: the zone's revision moved (a real SQLite store)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable
from pathlib import Path

from sqlalchemy.orm import Session as DbSession

from api.deps import in_records
from api.rendered import RenderedForAWhile
from api.session_bodies import SessionBodies, SessionsAnswer
from api.sessions_freshness import follow_zone_revisions
from curbside.adapters.records.engine import record_engine, session_factory
from curbside.adapters.records.migrate import upgrade
from curbside.domain.parking.sessions import ONGOING
from tests.unit.api.test_parking_sessions_routes import NOW, at, make_city, record, stay

START, END = at(-600), at(600)


def test_a_recorded_stay_shows_within_a_second_in_its_zone_only(tmp_path: Path) -> None:
    engine = record_engine(f"sqlite:///{tmp_path / 'records.db'}")
    upgrade(engine)
    records = session_factory(engine)
    bodies = SessionBodies(make_city())
    answers = RenderedForAWhile[SessionsAnswer](60.0, 120.0)
    rendered: list[str] = []

    def asked(zone: str) -> Awaitable[SessionsAnswer]:
        async def render() -> SessionsAnswer:
            rendered.append(zone)
            return await in_records(records, lambda db: answer(db, zone))

        return answers.get_or_render((zone, None, START, END), render)

    def answer(db: DbSession, zone: str) -> SessionsAnswer:
        stays = bodies.window(db, zone, None, START, END)
        return SessionsAnswer(bodies.render(stays, NOW), NOW)

    async def spaces(zone: str) -> list[str]:
        got = await asked(zone)
        return [s["space"] for s in json.loads(got.body)]

    async def scenario() -> None:
        record(records, stay("A-1", -30, None, -1, ONGOING))
        following = asyncio.create_task(follow_zone_revisions(records, answers, every_s=0.02))
        try:
            assert await spaces("Z1") == ["A-1"]
            assert await spaces("Z2") == []
            await asyncio.sleep(0.1)  # the follower has read the revisions once
            record(records, stay("A-2", -20, None, -1, ONGOING))
            deadline = asyncio.get_running_loop().time() + 1.0
            while await spaces("Z1") != ["A-1", "A-2"]:
                assert asyncio.get_running_loop().time() < deadline, "the new stay never showed"
                await asyncio.sleep(0.02)
            assert await spaces("Z2") == []
            assert rendered.count("Z2") == 1, "a zone that did not change was rendered again"
            assert not following.done(), "the follower stopped"
        finally:
            following.cancel()

    asyncio.run(scenario())
    engine.dispose()
