"""``python -m api``: serve the Curbside API with the configured settings and city file."""

from __future__ import annotations

import argparse
import gc
import logging
import sys
from collections.abc import Sequence
from typing import Any

import uvicorn

from api.app import create_app
from api.processes import serve_processes
from curbside.adapters.records.engine import record_engine
from curbside.adapters.records.migrate import upgrade
from curbside.city.registry import CityFileError, load_city
from curbside.config.settings import Settings, SettingsError, load_settings

EXIT_CONFIG_ERROR = 2
GIL_SWITCH_INTERVAL_S = 0.0005


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m api",
        description="Serve the Curbside HTTP API (OpenAPI at /docs). Settings come from "
        "CURBSIDE_* environment variables and the settings file; see curbside/config/settings.py.",
    )
    parser.add_argument("--host", help="address to listen on (overrides CURBSIDE_API_HOST)")
    parser.add_argument("--port", type=int, help="port to listen on (overrides CURBSIDE_API_PORT)")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Parse arguments, load settings and city, and run the server until stopped."""
    args = _parser().parse_args(argv)
    overrides: dict[str, Any] = {}
    if args.host is not None:
        overrides["api_host"] = args.host
    if args.port is not None:
        overrides["api_port"] = args.port
    try:
        settings = load_settings(**overrides)
        city = load_city(settings.city_file)
    except (SettingsError, CityFileError) as exc:
        print(exc, file=sys.stderr)
        return EXIT_CONFIG_ERROR
    logging.basicConfig(
        level=settings.log_level, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    # httpx logs every request at INFO: one line per refresh drowns everything else.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    # The registry (hundreds of thousands of objects at 100,000 devices) lives as long as the
    # process: keep the garbage collector from walking it on every full collection, which
    # showed as request latency spikes under load (tools/bench/api.py, side by side).
    gc.freeze()
    # A full read of the city from InfluxDB (at start, after a reconnect, every
    # api_full_read_s) decodes in a worker thread holding the GIL. Each time the event loop
    # gives the GIL up for a socket write or a poll, it waits up to the switch interval
    # (5 ms by default) to get it back, several times per request: a convoy that showed as
    # 300 ms stalls in tools/bench/api.py when a read ran every 2 s (py-spy: 20 % of the loop's
    # samples in socket writes). A shorter interval bounds each wait. It stays now that the
    # MQTT link runs on the event loop (issue 19): the worker threads it guards against (full
    # reads, the active alerts' reload, history and record queries) remain; measured with
    # and without, docs/performance.md.
    sys.setswitchinterval(GIL_SWITCH_INTERVAL_S)
    app = create_app(settings, city)
    if settings.api.processes == 1:
        options = _server_options(settings)
        uvicorn.run(app, host=settings.api.host, port=settings.api.port, **options)
        return 0
    # Once for the deployment, before any process reads the records.
    migrate(settings.records_database_url)
    return serve_processes(
        app,
        settings.api.processes,
        settings.api.host,
        settings.api.port,
        lambda served: uvicorn.Config(served, **_server_options(settings)),
    )


def _server_options(settings: Settings) -> dict[str, Any]:
    return {
        "log_level": settings.log_level.lower(),
        # Named rather than "auto", so a missing parser fails at start instead of silently
        # costing about 15 % more CPU per request. The default asyncio loop stays: uvloop served
        # more requests but let some connections wait up to a second under saturation.
        "http": "httptools",
    }


def migrate(url: str) -> None:
    """Bring the record store to the current schema (then let go of its connections: the
    processes forked next must not share them)."""
    engine = record_engine(url)
    try:
        upgrade(engine)
    finally:
        engine.dispose()


if __name__ == "__main__":
    sys.exit(main())
