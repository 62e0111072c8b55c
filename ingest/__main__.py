"""``python -m ingest``: consume sensor messages from MQTT into InfluxDB until stopped."""

from __future__ import annotations

import argparse
import logging
import signal
import sys
import threading
from types import FrameType

from curbside.adapters.influx.client import InfluxError
from curbside.city.registry import CityFileError
from curbside.config.settings import SettingsError, load_settings
from ingest.service import Ingester
from ingest.spool import SpoolLocked

WATCH_INTERVAL_S = 0.5
EXIT_THREAD_DIED = 70  # EX_SOFTWARE: an internal error; a supervisor restarts the process


def _parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m ingest",
        description=(
            "Consume parking and bin sensor messages from MQTT (QoS 1, persistent session) "
            "into InfluxDB, acknowledging each message only once it is stored. Settings come "
            "from CURBSIDE_* environment variables and the settings file (see README)."
        ),
    )
    parser.add_argument("--client-id", help="MQTT client id (CURBSIDE_MQTT_CLIENT_ID)")
    parser.add_argument("--city", help="city registry file (CURBSIDE_CITY_FILE)")
    parser.add_argument("--metrics-port", type=int, help="Prometheus port, 0 = off")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    """Run an ingester until SIGINT or SIGTERM; returns the exit status."""
    args = _parse_args(argv)
    overrides = {
        key: value
        for key, value in {
            "mqtt_client_id": args.client_id,
            "city_file": args.city,
            "ingest_metrics_port": args.metrics_port,
        }.items()
        if value is not None
    }
    try:
        settings = load_settings(**overrides)
        logging.basicConfig(
            level=settings.log_level,
            format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        )
        # One line per HTTP request would drown the summaries.
        logging.getLogger("httpx").setLevel(logging.WARNING)
        ingester = Ingester(settings)
    except (SettingsError, CityFileError, SpoolLocked) as exc:
        print(f"ingest: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:  # the spool folder cannot be created or opened
        print(f"ingest: CURBSIDE_INGEST_SPOOL_DIR: {exc}", file=sys.stderr)
        return 2
    stop = threading.Event()

    def _on_signal(signum: int, frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGINT, _on_signal)
    signal.signal(signal.SIGTERM, _on_signal)
    try:
        ingester.start()
    except InfluxError as exc:
        print(f"ingest: InfluxDB at {settings.influx.url} refused us: {exc}", file=sys.stderr)
        return 2
    while not stop.wait(WATCH_INTERVAL_S):
        if not ingester.alive():
            # A dead thread leaves nothing worth flushing: what is unacknowledged is
            # redelivered to the restarted process.
            print(f"ingest: {ingester.liveness.reason}; exiting", file=sys.stderr)
            return EXIT_THREAD_DIED
    ingester.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
