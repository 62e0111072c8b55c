"""The API over a record store with a few billed stays, for the fee-collection tests."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from api.app import create_app
from api.deps import get_records
from curbside.adapters.records.engine import session_factory
from curbside.adapters.records.migrate import upgrade
from curbside.config.settings import Settings
from curbside.domain.collection.notifications import signature
from tests.records.test_parking_recorder import city

SECRET = "wechat-test-secret-0123456789abcdef"
PATH = "/api/v1/payments/notifications"


@dataclass
class Api:
    """A test client of an app with one payment channel, ``wechat``."""

    client: TestClient
    keys_file: Path
    engine: Engine

    def notify(
        self,
        body: dict[str, object] | bytes,
        *,
        ts: int | None = None,
        secret: str = SECRET,
        headers: Callable[[dict[str, str]], dict[str, str]] = lambda h: h,
    ) -> tuple[int, dict[str, object]]:
        """POST a notification signed as the channel would (``headers`` may spoil it)."""
        raw = body if isinstance(body, bytes) else json.dumps(body).encode()
        stamp = int(time.time()) if ts is None else ts
        signed = {
            "X-Curbside-Channel": "wechat",
            "X-Curbside-Timestamp": str(stamp),
            "X-Curbside-Signature": signature(secret.encode(), stamp, raw),
            "Content-Type": "application/json",
        }
        answer = self.client.post(PATH, content=raw, headers=headers(signed))
        return answer.status_code, answer.json()


def collection_api(engine: Engine, tmp_path: Path, **settings: object) -> Api:
    """The app on ``engine`` (migrated), with the wechat channel and these settings."""
    upgrade(engine)
    channels = tmp_path / "channels.json"
    channels.write_text(json.dumps({"wechat": SECRET}))
    keys = tmp_path / "keys.json"
    app = create_app(
        Settings().replace(api_keys_file=keys, payments_channels_file=channels, **settings),
        city(),
    )
    app.dependency_overrides[get_records] = lambda: session_factory(engine)
    return Api(TestClient(app), keys, engine)


def new_db(engine: Engine) -> Session:
    """A session whose objects stay readable after commit."""
    return Session(engine, expire_on_commit=False)
