"""Assembles the FastAPI app: routers, and the lifespan that owns the long-lived clients."""

from __future__ import annotations

import logging
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta

from fastapi import FastAPI
from fastapi.responses import RedirectResponse

from alerts.desk import PublishingAlertStore
from alerts.mqtt_publisher import AlertPublisher
from api.alertfeed import AlertFeed
from api.brokerlink import BrokerLink
from api.deps import Services
from api.livestate import LiveState, snapshot_loader
from api.routes import alerts as alerts_routes
from api.routes import (
    health,
    parking,
    parking_fees,
    parking_history,
    parking_sessions,
    sanitation,
    sanitation_reports,
)
from city.registry import City
from config.rules import clearance_rules, session_rules
from config.settings import Settings
from store.history import HistoryReader
from store.influx import InfluxClient
from store.latest import LatestReader
from store.sanitation_history import SanitationHistoryReader

log = logging.getLogger(__name__)


def create_app(settings: Settings, city: City) -> FastAPI:
    """The API for one city; clients are created when the app starts, not here."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[dict[str, Services]]:
        influx = InfluxClient.from_settings(settings)
        broker = BrokerLink.from_settings(settings)
        # Between full reads, only the last few refresh intervals: cost follows what changed,
        # not the size of the city (store/latest.py).
        reader = LatestReader(
            influx,
            timedelta(seconds=settings.ts_max_age_s),
            recent=timedelta(seconds=max(120.0, 10 * settings.api_refresh_s)),
        )
        stale_after = timedelta(seconds=settings.space_stale_after_s)
        live = LiveState(snapshot_loader(reader, city, stale_after), settings.api_refresh_s)
        rules = session_rules(settings)
        history = HistoryReader(influx, rules, stale_after)
        feed = AlertFeed()
        alert_publisher = AlertPublisher(
            settings, client_id=f"curbside-api-alerts-{os.getpid()}", on_alert=feed.deliver
        )
        alerts = PublishingAlertStore(influx, alert_publisher.publish)
        broker.start()
        try:
            # Ready only after a first attempt, so a healthy start serves data at once; a
            # failed one is retried by the refresher while endpoints answer 503.
            if await live.refresh():
                log.info("live state loaded in %.3f s", live.last_duration_s or 0.0)
            live.start()
            yield {
                "services": Services(
                    live=live,
                    broker=broker,
                    history=history,
                    alerts=alerts,
                    feed=feed,
                    sanitation=SanitationHistoryReader(influx),
                )
            }
        finally:
            await live.stop()
            broker.stop()
            alert_publisher.close()
            influx.close()

    app = FastAPI(
        title="Curbside API",
        summary="Live parking occupancy and waste-bin fill levels for the county.",
        version="0.1.0",
        lifespan=lifespan,
    )
    app.state.city = city
    app.state.clearance_rules = clearance_rules(settings)
    app.include_router(health.router)
    app.include_router(parking.router)
    app.include_router(parking_history.router)
    app.include_router(parking_sessions.router)
    app.include_router(parking_fees.router)
    app.include_router(sanitation.router)
    app.include_router(sanitation_reports.router)
    app.include_router(alerts_routes.router)

    @app.get("/", include_in_schema=False)
    async def root() -> RedirectResponse:
        return RedirectResponse("/docs")

    return app
