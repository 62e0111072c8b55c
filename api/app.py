"""Assembles the FastAPI app: routers, and the lifespan that owns the long-lived clients."""

from __future__ import annotations

import asyncio
import logging
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta

from fastapi import Depends, FastAPI
from fastapi_offline import FastAPIOffline

from api.alertfeed import AlertFeed
from api.auth import (
    Access,
    authenticate,
    district_in_scope,
    public,
    readable_areas,
    require,
    zone_in_scope,
)
from api.deps import Limits, Services
from api.dispatch_schemas import TruckRouteOut
from api.metrics import ApiMetrics, LiveFeedCollector, RefusalCollector, RequestMetrics
from api.routes import alerts as alerts_routes
from api.routes import city as city_routes
from api.routes import dispatch as dispatch_routes
from api.routes import (
    health,
    keys,
    live,
    metrics,
    parking,
    parking_fees,
    parking_history,
    parking_sessions,
    reports,
    sanitation,
    sanitation_reports,
)
from api.routes.dashboard import mount_dashboard
from curbside.adapters.access.roles import Permission
from curbside.adapters.alert_desk import PublishingAlertStore
from curbside.adapters.influx.client import InfluxClient
from curbside.adapters.influx.history import HistoryReader
from curbside.adapters.influx.latest import LatestReader
from curbside.adapters.influx.sanitation_history import SanitationHistoryReader
from curbside.adapters.intake import Intake
from curbside.adapters.mqtt.alert_publisher import AlertPublisher
from curbside.adapters.records.engine import record_engine, session_factory
from curbside.adapters.records.migrate import upgrade
from curbside.city.registry import City
from curbside.config.rules import clearance_rules, session_rules
from curbside.config.settings import Settings
from curbside.readmodels.dispatch import DispatchDesk
from curbside.readmodels.live.feed import LiveFeed
from curbside.readmodels.live.state import LiveState
from curbside.vocabulary.topics import route_topic

log = logging.getLogger(__name__)

# How long start-up waits for the live feed's subscription before the first full read.
FOLLOW_WAIT_S = 3.0


def create_app(settings: Settings, city: City) -> FastAPI:
    """The API for one city; clients are created when the app starts, not here.

    Who may call what is decided here, router by router (docs/security.md): every route
    needs a key except ``/health`` and the fee quote.
    """

    app_metrics = ApiMetrics()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[dict[str, Services]]:
        influx = InfluxClient.from_settings(settings)
        # The API follows the sensor stream itself (curbside/readmodels/live/state.py), through the
        # same intake.
        broker = LiveFeed.from_settings(settings, Intake.from_settings(settings, city))
        reader = LatestReader(influx, timedelta(seconds=settings.ts_max_age_s))
        stale_after = timedelta(seconds=settings.space_stale_after_s)
        live = LiveState(
            city,
            reader,
            broker,
            stale_after=stale_after,
            interval_s=settings.api.refresh_s,
            full_read_s=settings.api.full_read_s,
            # Ingest stores a point within its flush interval (plus the write itself).
            settle_s=2 * settings.ingest.flush_interval_s + 2.0,
        )
        rules = session_rules(settings)
        history = HistoryReader(influx, rules, stale_after)
        feed = AlertFeed()
        alert_publisher = AlertPublisher(
            settings, client_id=f"curbside-api-alerts-{os.getpid()}", on_alert=feed.deliver
        )
        alerts = PublishingAlertStore(influx, alert_publisher.publish)
        # The record store (reports): migrated here too, so the API never reads an old schema.
        records = record_engine(settings.records_database_url)
        await asyncio.to_thread(upgrade, records)
        app.state.records = session_factory(records)
        unwatch = app_metrics.watch(LiveFeedCollector(live, broker))
        broker.start()
        # Briefly wait for the subscription, so the first full read already covers everything
        # the stream will not bring (else the first connect causes a second one at once).
        await broker.wait_following(FOLLOW_WAIT_S)
        try:
            # Ready only after a first attempt, so a healthy start serves data at once; a
            # failed one is retried at every tick while endpoints answer 503.
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
                    dispatch=DispatchDesk(
                        city,
                        time_limit_s=settings.api.dispatch_time_limit_s,
                        rubbish_above_pct=settings.clearance_rubbish_above_pct,
                        publish=lambda route: alert_publisher.publish_retained(
                            route_topic(route.truck),
                            TruckRouteOut.from_route(route).model_dump_json(),
                        ),
                    ),
                )
            }
        finally:
            unwatch()
            await live.stop()
            broker.stop()
            alert_publisher.close()
            influx.close()
            records.dispose()

    # /docs and /redoc with their scripts served by the API itself (fastapi-offline ships
    # them): city networks are often offline, and a CDN is one more thing to be down.
    app = FastAPIOffline(
        title="Curbside API",
        summary="Live parking occupancy and waste-bin fill levels for the county.",
        version="0.1.0",
        lifespan=lifespan,
    )
    app.state.city = city
    app.state.clearance_rules = clearance_rules(settings)
    app.state.access = Access.from_settings(settings)
    app.state.metrics = app_metrics
    app_metrics.watch(RefusalCollector(app.state.access.refused))
    app.add_middleware(RequestMetrics, metrics=app_metrics)
    app.state.limits = Limits(
        max_window=timedelta(days=settings.api.max_window_days),
        max_results=settings.api.max_results,
        raw_horizon=timedelta(days=settings.influx.raw_retention_days),
    )
    _include_routers(app)
    mount_dashboard(app)
    return app


def _include_routers(app: FastAPI) -> None:
    """Who may call what, router by router (docs/security.md)."""
    parking_read = [require(Permission.PARKING_READ), zone_in_scope]
    sanitation_read = [require(Permission.SANITATION_READ), district_in_scope]
    app.include_router(health.router)
    app.include_router(metrics.router)
    app.include_router(parking_fees.quote_router, dependencies=[public])
    for router in (
        parking.router,
        parking_history.router,
        parking_sessions.router,
        parking_fees.router,
        reports.parking_router,
    ):
        app.include_router(router, dependencies=parking_read)
    for router in (sanitation.router, sanitation_reports.router, reports.sanitation_router):
        app.include_router(router, dependencies=sanitation_read)
    app.include_router(
        alerts_routes.router,
        dependencies=[require(Permission.ALERTS_READ), zone_in_scope, district_in_scope],
    )
    app.include_router(alerts_routes.ack_router, dependencies=[require(Permission.ALERTS_ACK)])
    app.include_router(dispatch_routes.router, dependencies=sanitation_read)
    app.include_router(
        dispatch_routes.replan_router,
        dependencies=[require(Permission.SANITATION_READ), require(Permission.DISPATCH_PLAN)],
    )
    app.include_router(keys.whoami_router, dependencies=[Depends(authenticate)])
    app.include_router(keys.router, dependencies=[require(Permission.KEYS_MANAGE)])
    # The map's layout and the live stream serve both domains: each key gets the zones and
    # districts it may read (filtered in the handlers), and 403 if it may read none.
    some_area = [Depends(readable_areas)]
    app.include_router(city_routes.router, dependencies=some_area)
    app.include_router(live.router, dependencies=some_area)
