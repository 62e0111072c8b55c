"""``python -m curbside.recorder``: turn the stream of readings into records. Run one per
deployment."""

from __future__ import annotations

import argparse
import logging
import signal
import sys
import threading
from types import FrameType

from curbside.adapters.metrics_endpoint import serve_metrics
from curbside.city.registry import CityFileError, load_city
from curbside.config.settings import SettingsError, load_settings
from curbside.recorder.service import Recorder


def main(argv: list[str] | None = None) -> int:
    """Record until SIGINT/SIGTERM; exit 1 if the worker fails, 2 on bad settings."""
    argparse.ArgumentParser(
        prog="python -m curbside.recorder",
        description=(
            "Follow the sensors' MQTT stream (QoS 1, persistent session, acknowledged after "
            "commit) and keep the records: parking sessions, charges, zone occupancy hours. "
            "Applies the record store's migrations at start-up. Several may run against one "
            "record store: one holds the lease and writes, the others wait as hot standbys "
            "and take over when it stops renewing. Settings: CURBSIDE_* (see README, "
            "docs/records.md)."
        ),
    ).parse_args(argv)
    try:
        settings = load_settings()
        city = load_city(settings.city_file)
    except (SettingsError, CityFileError) as exc:
        print(f"recorder: {exc}", file=sys.stderr)
        return 2
    logging.basicConfig(
        level=settings.log_level, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    # One line per InfluxDB query (freezing a day reads every district) would drown the log.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    recorder = Recorder(settings, city)
    host, port = settings.recorder.metrics_host, settings.recorder.metrics_port
    server = serve_metrics(recorder.metrics.registry, host, port)
    logging.getLogger("recorder").info("metrics %s", f"on {host}:{port}" if server else "off")
    stop = threading.Event()

    def _on_signal(signum: int, frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGINT, _on_signal)
    signal.signal(signal.SIGTERM, _on_signal)
    if not recorder.wait_for_lease(stop):  # stopped while a standby
        recorder.stop()
        return 0
    recorder.start()
    while not stop.is_set() and not recorder.follower.failed.is_set():
        stop.wait(1.0)
    recorder.stop()
    if server is not None:
        server.shutdown()
    return 1 if recorder.follower.failed.is_set() else 0


if __name__ == "__main__":
    sys.exit(main())
