"""``python -m curbside.handoff``: deliver case events to the platform (``run``, the default),
list the dead letters (``dead``), put dead letters back in the queue (``redeliver``), or
delete the delivered messages past the retention now (``prune``; ``run`` does it by itself)."""

from __future__ import annotations

import argparse
import logging
import signal
import sys
import threading
from datetime import UTC, datetime, timedelta
from types import FrameType

from sqlalchemy.orm import Session, sessionmaker

from curbside.adapters.handoff.delivery import Sender
from curbside.adapters.handoff.mqtt import MqttSender
from curbside.adapters.handoff.webhook import WebhookSender
from curbside.adapters.metrics_endpoint import serve_metrics
from curbside.adapters.records import outbox_store as outbox
from curbside.adapters.records.engine import record_engine, session_factory
from curbside.adapters.records.migrate import upgrade
from curbside.config.settings import Settings, SettingsError, load_settings
from curbside.handoff.deliverer import Deliverer
from curbside.handoff.pruner import OutboxPruner
from curbside.vocabulary.outbox import CHANNELS, Channel


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m curbside.handoff",
        description=(
            "Hand case events to the city-management platform: signed webhooks "
            "(CURBSIDE_HANDOFF_WEBHOOK_URL/_SECRET) and MQTT under cases/..., at least once, "
            "with retries and backoff; events given up on go to the dead-letter list. Run "
            "exactly one per deployment. Settings: CURBSIDE_* (see README, docs/handoff.md)."
        ),
    )
    commands = parser.add_subparsers(dest="command")
    commands.add_parser("run", help="deliver until SIGINT/SIGTERM (the default)")
    dead = commands.add_parser("dead", help="list the dead letters")
    dead.add_argument("--channel", choices=CHANNELS)
    again = commands.add_parser("redeliver", help="put dead letters back in the queue")
    again.add_argument("keys", nargs="*", help="idempotency keys (case-id#seq)")
    again.add_argument("--all", action="store_true", help="every dead letter")
    again.add_argument("--channel", choices=CHANNELS)
    commands.add_parser(
        "prune",
        help="delete delivered messages older than CURBSIDE_HANDOFF_RETENTION_DAYS now "
        "(run does it every 10 minutes); dead letters are kept",
    )
    return parser


def main(argv: list[str] | None = None) -> int:
    """Exit 0, or 2 on bad settings or arguments."""
    parser = _parser()
    args = parser.parse_args(argv)
    try:
        settings = load_settings()
    except SettingsError as exc:
        print(f"handoff: {exc}", file=sys.stderr)
        return 2
    logging.basicConfig(
        level=settings.log_level, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    logging.getLogger("httpx").setLevel(logging.WARNING)
    engine = record_engine(settings.records_database_url)
    upgrade(engine)
    sessions = session_factory(engine)
    try:
        if args.command == "dead":
            with sessions() as db:
                for row in outbox.dead_letters(db, args.channel):
                    print(f"{row.channel}\t{row.key}\t{row.kind}\t{row.attempts}\t{row.last_error}")
            return 0
        if args.command == "redeliver":
            if not args.all and not args.keys:
                parser.error("redeliver: give keys, or --all")
            keys = None if args.all else args.keys
            with sessions.begin() as db:
                moved = outbox.redeliver(db, datetime.now(UTC), keys, args.channel)
            print(f"{moved} message(s) queued again")
            return 0
        if args.command == "prune":
            print(f"{_pruner(settings, sessions).prune()} delivered message(s) pruned")
            return 0
        return _run(settings, sessions)
    finally:
        engine.dispose()


def _pruner(settings: Settings, sessions: sessionmaker[Session]) -> OutboxPruner:
    days = settings.handoff.retention_days
    retention = timedelta(days=days) if days else None  # 0: kept forever
    return OutboxPruner(sessions, retention, settings.handoff.prune_batch)


def _run(settings: Settings, sessions: sessionmaker[Session]) -> int:
    senders: dict[Channel, Sender] = {}
    handoff = settings.handoff
    if handoff.webhook_url is not None and handoff.webhook_secret is not None:
        secret = handoff.webhook_secret.get_secret_value()
        senders["webhook"] = WebhookSender(handoff.webhook_url, secret, handoff.timeout_s)
    if handoff.mqtt:
        senders["mqtt"] = MqttSender(settings, handoff.timeout_s)
    deliverer = Deliverer(sessions, senders, handoff, pruner=_pruner(settings, sessions))
    server = serve_metrics(deliverer.metrics.registry, handoff.metrics_host, handoff.metrics_port)
    log = logging.getLogger("handoff")
    log.info("delivering on %s", ", ".join(senders) or "no channel (nothing configured)")
    stop = threading.Event()

    def _on_signal(signum: int, frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGINT, _on_signal)
    signal.signal(signal.SIGTERM, _on_signal)
    try:
        deliverer.run(stop)
    finally:
        deliverer.close()
        if server is not None:
            server.shutdown()
    return 0


if __name__ == "__main__":
    sys.exit(main())
