"""``python -m curbside.evaluator``: the alert evaluator. Run exactly one per deployment (see
curbside/evaluator/__init__.py for why)."""

from __future__ import annotations

import argparse
import logging
import signal
import sys
import threading
import time
from datetime import UTC, datetime, timedelta
from types import FrameType

from curbside.adapters.influx.alerts import AlertStore
from curbside.adapters.influx.client import InfluxClient, InfluxError
from curbside.adapters.influx.history import HistoryReader
from curbside.adapters.influx.latest import LatestReader
from curbside.adapters.influx.progress import newest_reading
from curbside.adapters.influx.sanitation_history import SanitationHistoryReader
from curbside.adapters.metrics_endpoint import serve_metrics
from curbside.adapters.mqtt.alert_publisher import AlertPublisher
from curbside.city.registry import CityFileError, load_city
from curbside.config.rules import alert_thresholds, clearance_rules, session_rules
from curbside.config.settings import SettingsError, load_settings
from curbside.evaluator import ConditionSource, Evaluator
from curbside.evaluator.metrics import EvaluatorMetrics
from curbside.readmodels.alert_sources import DeviceStateSource, OverstaySource, SanitationSource


def main(argv: list[str] | None = None) -> int:
    """Evaluate the alert rules every ``CURBSIDE_ALERTS_INTERVAL_S`` until SIGINT/SIGTERM."""
    argparse.ArgumentParser(
        prog="python -m curbside.evaluator",
        description=(
            "Evaluate the alert rules (overstay, full, fire, tilted, low battery, silent "
            "sensors, overflow soon, not cleared) against InfluxDB, store alert changes "
            "and publish them under alerts/{kind}/{domain}/{zone-or-district}/{device} at "
            "QoS 1. Run exactly one per deployment. "
            "Settings: CURBSIDE_* (see README)."
        ),
    ).parse_args(argv)
    try:
        settings = load_settings()
        city = load_city(settings.city_file)
    except (SettingsError, CityFileError) as exc:
        print(f"alerts: {exc}", file=sys.stderr)
        return 2
    logging.basicConfig(
        level=settings.log_level, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    logging.getLogger("httpx").setLevel(logging.WARNING)
    influx = InfluxClient.from_settings(settings)
    rules = session_rules(settings)
    history = HistoryReader(influx, rules, timedelta(seconds=settings.space_stale_after_s))
    publisher = AlertPublisher(settings)
    latest = LatestReader(influx, timedelta(seconds=settings.ts_max_age_s))
    thresholds = alert_thresholds(settings)
    sources: list[ConditionSource] = [
        OverstaySource(history, city, rules),
        DeviceStateSource(latest, city, thresholds),
        SanitationSource(
            SanitationHistoryReader(influx), city, thresholds, clearance_rules(settings)
        ),
    ]
    lookback = timedelta(seconds=settings.ts_max_age_s)
    metrics = EvaluatorMetrics()
    server = serve_metrics(
        metrics.registry, settings.alerts.metrics_host, settings.alerts.metrics_port
    )
    evaluator = Evaluator(
        AlertStore(influx),
        sources,
        publisher.publish,
        progress=lambda: newest_reading(influx, lookback),
        metrics=metrics,
    )
    stop = threading.Event()

    def _on_signal(signum: int, frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGINT, _on_signal)
    signal.signal(signal.SIGTERM, _on_signal)
    log = logging.getLogger("alerts")
    log.info(
        "evaluating alerts every %.0f s; metrics %s",
        settings.alerts.interval_s,
        f"on {settings.alerts.metrics_host}:{settings.alerts.metrics_port}" if server else "off",
    )
    while not stop.is_set():
        now = datetime.now(UTC)
        started = time.perf_counter()
        try:
            evaluator.evaluate(now)
        except InfluxError as exc:
            metrics.rounds_failed.inc()
            log.warning("alert evaluation skipped: InfluxDB: %s", exc)
        else:
            metrics.round_seconds.observe(time.perf_counter() - started)
        stop.wait(settings.alerts.interval_s)
    if server is not None:
        server.shutdown()
    publisher.close()
    influx.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
