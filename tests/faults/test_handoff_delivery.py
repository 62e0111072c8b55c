"""The hand-off against a receiver that fails, times out and answers out of order: every case
event still ends up taken exactly once per idempotency key, in order per case, each signed.

The receiver is a real HTTP server on a local port that verifies every request with the
standardwebhooks library (as the platform would), keeps each key the first time and answers
duplicates 200 without keeping them again (what an idempotency key is for). Per key, on its
first attempt, it either answers 500, or takes the event and then stalls past the sender's
timeout (so the sender must try again and the receiver sees a duplicate), or answers after a
random delay (so answers come back out of order under concurrency).
"""

from __future__ import annotations

import random
import threading
import time
from collections import Counter, defaultdict
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session, sessionmaker
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from curbside.adapters.handoff.webhook import WebhookSender
from curbside.adapters.records import outbox_store
from curbside.adapters.records.case_store import open_cases, save_steps
from curbside.adapters.records.engine import record_engine, session_factory
from curbside.adapters.records.migrate import upgrade
from curbside.adapters.records.models import OutboxMessage
from curbside.config.settings import Settings
from curbside.domain.cases.workflow import take_step
from curbside.handoff.deliverer import Deliverer
from curbside.recorder.cases import CaseRecorder
from curbside.vocabulary.alerts import AlertKind, Domain, Subject
from curbside.vocabulary.cases import CaseEventKind
from curbside.vocabulary.outbox import Channel
from tests.records.test_case_records import CITY, T0, message
from tests.support import wait_for
from tools.harness.ports import free_port

SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"  # the Standard Webhooks spec's example secret
TIMEOUT_S = 0.5
MIN = timedelta(minutes=1)
WEBHOOK: tuple[Channel, ...] = ("webhook",)


class Receiver(ThreadingHTTPServer):
    """The platform's side: verifies, deduplicates by key, misbehaves on first attempts."""

    daemon_threads = True

    def __init__(self, port: int, seed: int, always_fail: frozenset[str] = frozenset()) -> None:
        super().__init__(("127.0.0.1", port), _Handler)
        self.rng = random.Random(seed)
        self.lock = threading.Lock()
        self.webhook = Webhook(SECRET)
        self.attempts: Counter[str] = Counter()
        self.taken: list[dict[str, object]] = []
        self.taken_keys: Counter[str] = Counter()
        self.forged = 0
        self.always_fail = set(always_fail)


class _Handler(BaseHTTPRequestHandler):
    server: Receiver

    def log_message(self, format: str, *args: object) -> None:
        pass

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["content-length"]))
        server = self.server
        try:
            payload = server.webhook.verify(body, dict(self.headers.items()))
        except WebhookVerificationError:
            with server.lock:
                server.forged += 1
            self._answer(401)
            return
        key = self.headers["webhook-id"]
        assert payload["key"] == key
        with server.lock:
            server.attempts[key] += 1
            first = server.attempts[key] == 1
            behaviour = server.rng.choice(["fail", "stall", "slow"]) if first else "ok"
            if key in server.always_fail:
                behaviour = "fail"
            delay = server.rng.uniform(0, 0.2)
        if behaviour == "fail":
            self._answer(500)
            return
        with server.lock:
            if key not in server.taken_keys:
                server.taken.append(payload)
            server.taken_keys[key] += 1
        time.sleep(TIMEOUT_S * 2 if behaviour == "stall" else delay)
        self._answer(200)

    def _answer(self, code: int) -> None:
        try:
            self.send_response(code)
            self.send_header("content-length", "0")
            self.end_headers()
        except OSError:
            pass  # the sender gave up waiting (its timeout): that is the point


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    server = Receiver(free_port(), seed=16)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


def _cases_with_steps(sessions: sessionmaker[Session], n_cases: int) -> int:
    """Open cases and take each through 0, 1 or 2 steps, queueing every event for the webhook;
    how many messages were queued."""
    recorder = CaseRecorder(CITY, channels=WEBHOOK)
    bins = [(d.id, b.id) for d in CITY.sanitation_districts for b in d.bins][:n_cases]
    with sessions.begin() as db:
        alerts = [
            recorder.alert_of(message(AlertKind.TILTED, Subject(Domain.SANITATION, d, b)))
            for d, b in bins
        ]
        recorder.open_for(db, alerts, T0)
    with sessions.begin() as db:
        for n, opened in enumerate(open_cases(db)):
            case = opened
            steps = [CaseEventKind.DISPATCHED, CaseEventKind.HANDLED][: n % 3]
            for k, kind in enumerate(steps, 1):
                step = take_step(case, kind, T0 + k * MIN, "desk", "T01")
                save_steps(db, case, [step], CITY.tz, T0, channels=WEBHOOK)
                case = step[0]
    with sessions() as db:
        return int(db.scalar(select(func.count()).select_from(OutboxMessage)) or 0)


def _settings(**changes: object) -> Settings:
    return Settings().replace(
        handoff_webhook_url="http://127.0.0.1:1/",
        handoff_webhook_secret=SECRET,
        handoff_backoff_s=0.05,
        handoff_backoff_max_s=0.2,
        handoff_timeout_s=TIMEOUT_S,
        handoff_concurrency=4,
        **changes,
    )


@pytest.fixture
def engine(tmp_path: Path) -> Iterator[Engine]:
    """An SQLite record store of this test's own, migrated."""
    created = record_engine(f"sqlite:///{tmp_path / 'records.sqlite3'}")
    upgrade(created)
    yield created
    created.dispose()


def test_every_event_is_taken_exactly_once_in_order_per_case(
    receiver: Receiver, engine: Engine
) -> None:
    sessions = session_factory(engine)
    queued = _cases_with_steps(sessions, 12)
    assert queued > 12  # openings plus steps
    url = f"http://127.0.0.1:{receiver.server_address[1]}/events"
    settings = _settings(handoff_max_attempts=50).handoff
    sender = WebhookSender(url, SECRET, TIMEOUT_S)
    deliverer = Deliverer(sessions, {"webhook": sender}, settings, jitter=random.Random(1).random)

    def all_delivered() -> bool:
        deliverer.run_once()
        with Session(engine) as db:
            pending = db.scalar(select(func.count()).where(OutboxMessage.delivered_at.is_(None)))
        return pending == 0

    try:
        wait_for(all_delivered, 120, "every event delivered", interval_s=0.05)
    finally:
        deliverer.close()
    with Session(engine) as db:
        keys = set(db.scalars(select(OutboxMessage.key)))
        dead = outbox_store.dead_letters(db)
    assert dead == []
    # Exactly once per idempotency key, every key, no forgery needed to get there.
    taken = [str(p["key"]) for p in receiver.taken]
    assert sorted(taken) == sorted(keys)
    assert receiver.forged == 0
    # The faults really happened: retried keys, and duplicates the receiver had to ignore.
    assert sum(1 for n in receiver.attempts.values() if n > 1) >= len(keys) // 3
    assert any(n > 1 for n in receiver.taken_keys.values())
    # In order per case: each case's events were taken by increasing seq.
    by_case: dict[str, list[int]] = defaultdict(list)
    for payload in receiver.taken:
        event = payload["event"]
        assert isinstance(event, dict)
        by_case[str(event["case_id"])].append(int(event["seq"]))
    assert all(seqs == sorted(seqs) for seqs in by_case.values())
    assert {len(s) for s in by_case.values()} == {1, 2, 3}


def test_given_up_events_go_to_the_dead_letters_and_redeliver_brings_them_back(
    receiver: Receiver, engine: Engine
) -> None:
    sessions = session_factory(engine)
    _cases_with_steps(sessions, 2)
    with Session(engine) as db:
        doomed = db.scalars(select(OutboxMessage.key).order_by(OutboxMessage.id)).first()
    assert doomed is not None
    receiver.always_fail.add(doomed)
    url = f"http://127.0.0.1:{receiver.server_address[1]}/events"
    settings = _settings(handoff_max_attempts=3).handoff
    deliverer = Deliverer(sessions, {"webhook": WebhookSender(url, SECRET, TIMEOUT_S)}, settings)
    try:

        def settled() -> bool:
            deliverer.run_once()
            with Session(engine) as db:
                return bool(outbox_store.dead_letters(db))

        wait_for(settled, 60, "the doomed event to be dead-lettered", interval_s=0.05)
        with Session(engine) as db:
            (dead,) = outbox_store.dead_letters(db)
            assert (dead.key, dead.attempts) == (doomed, 3)
            assert dead.last_error is not None and "HTTP 500" in dead.last_error
        assert receiver.attempts[doomed] == 3
        receiver.always_fail.clear()
        with sessions.begin() as db:
            assert outbox_store.redeliver(db, datetime.now(UTC), [doomed]) == 1
        wait_for(
            lambda: deliverer.run_once() >= 0 and doomed in receiver.taken_keys,
            60,
            "the redelivered event",
            interval_s=0.05,
        )
    finally:
        deliverer.close()
    # Given up on, the event no longer held back its case's later events: it came last.
    assert receiver.taken[-1]["key"] == doomed
