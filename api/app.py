"""Assembles the FastAPI app: routers, and the lifespan that owns the long-lived clients."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta

from fastapi import Depends, FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exception_handlers import request_validation_exception_handler
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from fastapi_offline import FastAPIOffline
from sqlalchemy import Engine
from sqlalchemy.exc import DBAPIError

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
from api.dispatch_autoplan import running_dispatch
from api.dispatch_forward import DispatchForwarder, forwarding
from api.essential_tasks import stop_if_ended
from api.heap import keep_refreezing, refreeze
from api.metrics import ApiMetrics, LiveFeedCollector, RefusalCollector, RequestMetrics
from api.payment_desk import PaymentDesk
from api.processes import ProcessRole
from api.rendered import RenderedForAWhile
from api.routes import alerts as alerts_routes
from api.routes import (
    arrears,
    driver,
    health,
    keys,
    live,
    messages,
    metrics,
    parking,
    parking_fees,
    parking_history,
    parking_sessions,
    payments,
    plates,
    reports,
    sanitation,
    sanitation_reports,
)
from api.routes import cases as case_routes
from api.routes import city as city_routes
from api.routes import dispatch as dispatch_routes
from api.routes import platform as platform_routes
from api.routes.dashboard import mount_dashboard
from api.session_bodies import SessionBodies, SessionsAnswer
from api.sessions_freshness import follow_zone_revisions
from curbside.adapters.access.roles import Permission
from curbside.adapters.alert_desk import PublishingAlertStore
from curbside.adapters.influx.alerts import AlertStore
from curbside.adapters.influx.client import InfluxClient
from curbside.adapters.influx.history import HistoryReader
from curbside.adapters.influx.latest import LatestReader
from curbside.adapters.influx.sanitation_history import SanitationHistoryReader
from curbside.adapters.intake import Intake
from curbside.adapters.mqtt.alert_publisher import alert_message, relay_alerts
from curbside.adapters.mqtt.client import BrokerAccess
from curbside.adapters.mqtt.link import MqttLink
from curbside.adapters.records.engine import is_outage, record_engine, session_factory
from curbside.adapters.records.migrate import upgrade
from curbside.city.registry import City
from curbside.config.rules import (
    alert_thresholds,
    clearance_rules,
    collection_rules,
    session_rules,
)
from curbside.config.settings import Settings
from curbside.domain.alerts.document import TOPIC_PREFIX as ALERTS_PREFIX
from curbside.readmodels.active_alerts import ActiveAlerts
from curbside.readmodels.bin_trends import FillTrends
from curbside.readmodels.live.feed import LiveFeed
from curbside.readmodels.live.state import LiveState

log = logging.getLogger(__name__)

# How long start-up waits for the live feed's subscription before the first full read.
FOLLOW_WAIT_S = 3.0
# The active alerts are read back from InfluxDB this often (curbside/readmodels/active_alerts.py).
ALERTS_RELOAD_S = 30.0
# How long a stopping API waits for its last publishes to leave.
LINK_FLUSH_S = 2.0


def create_app(settings: Settings, city: City) -> FastAPI:
    """The API for one city; clients are created when the app starts, not here.

    Who may call what is decided here, router by router (docs/security.md): every route
    needs a key except ``/health`` and the fee quote.
    """

    app_metrics = ApiMetrics()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[dict[str, Services]]:
        influx = InfluxClient.from_settings(settings)
        # One MQTT connection for the process, on the event loop: the sensor stream, alert
        # changes heard and published, and (the designated process) the trucks' routes.
        link = MqttLink(
            BrokerAccess.from_settings(settings),
            client_id=f"curbside-api-{os.getpid()}",
            keepalive_s=settings.mqtt.keepalive_s,
        )
        # The API follows the sensor stream itself (curbside/readmodels/live/state.py), through the
        # same intake.
        broker = LiveFeed(link, Intake.from_settings(settings, city))
        live = _live_state(settings, city, influx, broker)
        history = HistoryReader(
            influx, session_rules(settings), timedelta(seconds=settings.space_stale_after_s)
        )
        active_alerts = ActiveAlerts(AlertStore(influx).active)
        feed = AlertFeed(on_change=active_alerts.heard)
        link.subscribe(f"{ALERTS_PREFIX}/#", relay_alerts(feed.deliver))
        alerts = PublishingAlertStore(influx, lambda alert: link.publish(*alert_message(alert)))
        sanitation, trends = _sanitation_readers(settings, city, influx)
        # The record store (reports): migrated here too, so the API never reads an old schema.
        role = process_role(app)
        records = await _open_records(app, settings, role)
        unwatch = app_metrics.watch(LiveFeedCollector(live, broker))
        linked = asyncio.create_task(link.run())
        linked.add_done_callback(stop_if_ended("the MQTT link"))
        # Briefly wait for the subscription, so the first full read already covers everything
        # the stream will not bring (else the first connect causes a second one at once).
        await broker.wait_following(FOLLOW_WAIT_S)
        following_alerts: asyncio.Task[None] | None = None
        refreezing: asyncio.Task[None] | None = None
        following_revisions = start_following_revisions(app)
        try:
            # Ready only after a first attempt, so a healthy start serves data at once; a
            # failed one is retried at every tick while endpoints answer 503.
            if await live.refresh():
                log.info("live state loaded in %.3f s", live.last_duration_s or 0.0)
            live.start()
            await active_alerts.reload()
            following_alerts = asyncio.create_task(active_alerts.follow(ALERTS_RELOAD_S))
            refreezing = start_refreezing()
            # The plan is one per deployment: the designated process keeps it, any other
            # passes the dispatch routes on to it (api/dispatch_forward.py).
            plan_desk = (
                running_dispatch(
                    settings,
                    city,
                    live=live,
                    alerts=alerts,
                    trends=trends,
                    influx=influx,
                    link=link,
                )
                if role.designated
                else forwarding(app, role, settings.api.dispatch_time_limit_s)
            )
            async with plan_desk as desk:
                yield {
                    "services": Services(
                        live=live,
                        broker=broker,
                        history=history,
                        alerts=alerts,
                        feed=feed,
                        active_alerts=active_alerts,
                        sanitation=sanitation,
                        dispatch=desk,
                        trends=trends,
                    )
                }
        finally:
            for task in (following_revisions, following_alerts, refreezing):
                if task is not None:
                    task.cancel()
            unwatch()
            await live.stop()
            await _close_link(link, linked)
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
    _set_state(app, settings, city, app_metrics)
    app.add_exception_handler(DBAPIError, _record_store_failed)  # type: ignore[arg-type]
    app.add_exception_handler(RequestValidationError, _invalid_request)  # type: ignore[arg-type]
    app_metrics.watch(RefusalCollector(app.state.access.refused))
    app.add_middleware(RequestMetrics, metrics=app_metrics)
    app.add_middleware(DispatchForwarder)
    _include_routers(app)
    mount_dashboard(app)
    return app


async def _open_records(app: FastAPI, settings: Settings, role: ProcessRole) -> Engine:
    """The record store's engine, migrated (by the process that migrates), its sessions in
    ``app.state.records``."""
    records = record_engine(settings.records_database_url)
    if role.migrates:
        await asyncio.to_thread(upgrade, records)
    app.state.records = session_factory(records)
    return records


def start_following_revisions(app: FastAPI) -> asyncio.Task[None]:
    """A recorded change to a zone's stays shows in its sessions answers within a second
    (api/sessions_freshness.py); the API stops if that ever ends but by cancelling."""
    task = asyncio.create_task(follow_zone_revisions(app.state.records, app.state.sessions_answers))
    task.add_done_callback(stop_if_ended("following the zones' revisions"))
    return task


def start_refreezing() -> asyncio.Task[None]:
    """The live state is loaded: freeze the heap now and every few minutes (api/heap.py)."""
    refreeze()
    task = asyncio.create_task(keep_refreezing())
    task.add_done_callback(stop_if_ended("refreezing the heap"))
    return task


async def _close_link(link: MqttLink, running: asyncio.Task[None]) -> None:
    """Let what was published last (an acknowledgement, a route) go out, then disconnect."""
    await link.flush(LINK_FLUSH_S)
    running.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await running


def _sanitation_readers(
    settings: Settings, city: City, influx: InfluxClient
) -> tuple[SanitationHistoryReader, FillTrends]:
    """The bins' history, and each bin's fill trend read from it when a plan is made."""
    sanitation = SanitationHistoryReader(influx)
    return sanitation, FillTrends(
        city, sanitation, alert_thresholds(settings), collection_rules(settings)
    )


def _live_state(settings: Settings, city: City, influx: InfluxClient, feed: LiveFeed) -> LiveState:
    """The live state: read from InfluxDB, kept current from the stream."""
    return LiveState(
        city,
        LatestReader(influx, timedelta(seconds=settings.ts_max_age_s)),
        feed,
        stale_after=timedelta(seconds=settings.space_stale_after_s),
        interval_s=settings.api.refresh_s,
        full_read_s=settings.api.full_read_s,
        # Ingest stores a point within its flush interval (plus the write itself).
        settle_s=2 * settings.ingest.flush_interval_s + 2.0,
    )


def process_role(app: FastAPI) -> ProcessRole:
    """Which of the API's processes runs this app (api/processes.py); set before it serves."""
    role = app.state.role
    if not isinstance(role, ProcessRole):
        raise RuntimeError("no process role in the app state")
    return role


async def _invalid_request(request: Request, exc: RequestValidationError) -> Response:
    """FastAPI's 422, whose errors echo the input; an input with a lone surrogate (valid JSON
    text, ``"\\ud800"``, but no UTF-8) cannot be rendered as UTF-8 and became a 500. Such an
    answer is written with ASCII escapes instead, still valid JSON with the same content."""
    try:
        return await request_validation_exception_handler(request, exc)
    except UnicodeEncodeError:
        body = json.dumps({"detail": jsonable_encoder(exc.errors())}, ensure_ascii=True)
        return Response(body, status_code=422, media_type="application/json")


async def _record_store_failed(_request: Request, exc: DBAPIError) -> JSONResponse:
    """A record store that does not answer is a 503 that says so, as InfluxDB's are; any
    other database error is a fault of ours (500, logged with its trace)."""
    if is_outage(exc):
        log.warning("record store unavailable: %s", exc.orig)
        detail = f"record store unavailable: {type(exc.orig).__name__}"
        return JSONResponse({"detail": detail}, status_code=503)
    log.error("record store query failed", exc_info=exc)
    return JSONResponse({"detail": "Internal Server Error"}, status_code=500)


# Each sessions window due again between 75 and 100 % of CURBSIDE_API_SESSIONS_REFRESH_S after
# its render (api/rendered.py): with every window due at once, p99 polling was 27.6 ms against
# 14.1 ms spread (tools/bench/api.py, records unchanged, one run each, docs/performance.md).
SESSIONS_REFRESH_SPREAD = 0.25
# One background render at a time: each render thread competes with the event loop for the
# GIL, and with two the loop waited behind both after its socket calls. p99 polling 20.9 to
# 42.4 ms with two (five runs), 13.2 to 23.8 ms with one (five runs), the same CPU; one keeps
# up with the bench's ~36 renders a second of about 4 ms each.
SESSIONS_RENDERS_AT_ONCE = 1


def _set_state(app: FastAPI, settings: Settings, city: City, app_metrics: ApiMetrics) -> None:
    """What the routes read from ``app.state``: fixed for the app's life."""
    app.state.city = city
    app.state.session_bodies = SessionBodies(city)
    app.state.sessions_answers = RenderedForAWhile[SessionsAnswer](
        settings.api.sessions_refresh_s,
        settings.api.sessions_max_age_s,
        spread=SESSIONS_REFRESH_SPREAD,
        max_refreshes=SESSIONS_RENDERS_AT_ONCE,
    )
    app.state.case_channels = settings.handoff.channels  # where case steps are handed off
    app.state.inbound_secret = settings.handoff.inbound_secret  # the platform signs with it
    app.state.clearance_rules = clearance_rules(settings)
    app.state.access = Access.from_settings(settings)
    app.state.metrics = app_metrics
    # One process serving alone, until api/processes.py says otherwise.
    app.state.role = ProcessRole()
    app.state.payments = PaymentDesk.from_settings(settings, app_metrics.registry)
    app.state.limits = Limits(
        max_window=timedelta(days=settings.api.max_window_days),
        max_results=settings.api.max_results,
        raw_horizon=timedelta(days=settings.influx.raw_retention_days),
        ack_undo=timedelta(seconds=settings.api.ack_undo_s),
    )


def _include_routers(app: FastAPI) -> None:
    """Who may call what, router by router (docs/security.md)."""
    parking_read = [require(Permission.PARKING_READ), zone_in_scope]
    sanitation_read = [require(Permission.SANITATION_READ), district_in_scope]
    app.include_router(health.router)
    app.include_router(metrics.router)
    app.include_router(parking_fees.quote_router, dependencies=[public])
    app.include_router(messages.router, dependencies=[public])
    for router in (
        parking.router,
        parking_history.router,
        parking_sessions.router,
        parking_fees.router,
        reports.parking_router,
        plates.unbound_router,
    ):
        app.include_router(router, dependencies=parking_read)
    for router in (sanitation.router, sanitation_reports.router, reports.sanitation_router):
        app.include_router(router, dependencies=sanitation_read)
    app.include_router(
        alerts_routes.router,
        dependencies=[require(Permission.ALERTS_READ), zone_in_scope, district_in_scope],
    )
    app.include_router(alerts_routes.ack_router, dependencies=[require(Permission.ALERTS_ACK)])
    # Cases follow their alerts: listed and reported within the key's areas (in the handlers);
    # a zone or district asked for must be one of the key's, as for the alerts.
    app.include_router(
        case_routes.router,
        dependencies=[require(Permission.ALERTS_READ), zone_in_scope, district_in_scope],
    )
    app.include_router(case_routes.report_router, dependencies=[require(Permission.ALERTS_READ)])
    app.include_router(case_routes.work_router, dependencies=[require(Permission.CASES_WORK)])
    # The platform authenticates by signature (Standard Webhooks), not by API key.
    app.include_router(platform_routes.router)
    app.include_router(dispatch_routes.router, dependencies=sanitation_read)
    app.include_router(
        dispatch_routes.replan_router,
        dependencies=[require(Permission.SANITATION_READ), require(Permission.DISPATCH_PLAN)],
    )
    # Fee collection (docs/payments.md): channels sign their notifications instead of holding
    # a key; the driver's lookup is open and rate-limited by itself; plates need their own rights.
    app.include_router(plates.bind_router, dependencies=[require(Permission.PLATES_BIND)])
    app.include_router(
        arrears.router, dependencies=[require(Permission.PLATES_READ), zone_in_scope]
    )
    app.include_router(payments.router)
    app.include_router(driver.router)
    app.include_router(keys.whoami_router, dependencies=[Depends(authenticate)])
    app.include_router(keys.router, dependencies=[require(Permission.KEYS_MANAGE)])
    # The map's layout and the live stream serve both domains: each key gets the zones and
    # districts it may read (filtered in the handlers), and 403 if it may read none.
    some_area = [Depends(readable_areas)]
    app.include_router(city_routes.router, dependencies=some_area)
    app.include_router(live.router, dependencies=some_area)
