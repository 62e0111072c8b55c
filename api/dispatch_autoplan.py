"""The plan made again without being asked (docs/dispatch.md, "Re-planning"): a loop in the
API checks every ``CURBSIDE_API_DISPATCH_CHECK_S`` whether the cadence has come, a fire or
full bin appeared that no route reaches within the hour, or a truck runs late, and re-plans
(keeping the stop each truck is driving to). Trucks' progress reports feed it and are stored.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta

from api.dispatch_schemas import TruckRouteOut
from api.essential_tasks import stop_if_ended
from curbside.adapters.influx.alerts import AlertStore
from curbside.adapters.influx.client import InfluxClient, InfluxError
from curbside.adapters.influx.truck_positions import TruckPosition, position_line
from curbside.adapters.mqtt.link import MqttLink
from curbside.adapters.mqtt.truck_progress import ProgressReport, ProgressReports
from curbside.city.registry import City
from curbside.config.settings import Settings
from curbside.domain.dispatch.problem import URGENT_WITHIN, Plan
from curbside.domain.dispatch.triggers import TruckProgress
from curbside.domain.sanitation.worklist import Point
from curbside.readmodels.bin_trends import FillTrends
from curbside.readmodels.dispatch import DispatchDesk, bin_fills
from curbside.readmodels.live.snapshot import Snapshot
from curbside.readmodels.live.state import LiveState
from curbside.vocabulary.alerts import AlertKind, AlertStatus, Domain
from curbside.vocabulary.topics import progress_topic, route_topic

log = logging.getLogger(__name__)

_ACTIVE = (AlertStatus.OPEN, AlertStatus.ACKNOWLEDGED)
_URGENT = (AlertKind.FIRE, AlertKind.FULL)
# A bin no plan can reach (no fill reading, say) must not have the county re-planned every
# check: re-plans for a bin or a late truck come at most this often.
MIN_GAP = timedelta(minutes=5)


async def replan_from(
    city: City,
    snapshot: Snapshot,
    *,
    alerts: AlertStore,
    trends: FillTrends,
    desk: DispatchDesk,
    now: datetime,
) -> Plan:
    """A new plan from the live fill levels, each bin's fill trend and the active fire and
    full alerts (a solve takes seconds: it runs in a worker thread). Raises InfluxError when
    the alerts or the bins' history are unreadable."""
    states = [b for d in city.sanitation_districts for b in snapshot.bins[d.id]]

    def run() -> Plan:
        active = alerts.find(statuses=_ACTIVE, domain=Domain.SANITATION)
        return desk.replan(now, bin_fills(states, active, trends.read(now), now))

    return await asyncio.to_thread(run)


def progress_taker(
    desk: DispatchDesk, influx: InfluxClient, city: City
) -> Callable[[str, ProgressReport], None]:
    """What to do with a truck's report: store its position, tell the desk. Reports from
    trucks the registry does not know are dropped (the ACL should not let them through)."""
    known = {t.id for t in city.trucks}

    def take(truck: str, report: ProgressReport) -> None:
        if truck not in known:
            log.warning("progress from unknown truck %s dropped", truck[:64])
            return
        position = TruckPosition(truck, report.ts, report.lat, report.lon, len(report.done))
        where = Point(report.lat, report.lon)
        desk.report(TruckProgress(truck, report.ts, tuple(report.done), where))
        try:
            influx.write([position_line(position)])
        except InfluxError as exc:
            log.warning("%s's position not stored: %s", truck, exc)

    return take


async def autoplan(
    city: City,
    live: LiveState,
    alerts: AlertStore,
    trends: FillTrends,
    desk: DispatchDesk,
    *,
    check_s: float,
    late_after: timedelta,
    clock: Callable[[], datetime] = lambda: datetime.now(UTC),
) -> None:
    """Check every ``check_s`` seconds whether to re-plan, and do it; runs until cancelled."""
    last: datetime | None = None
    while True:
        await asyncio.sleep(check_s)
        snapshot = live.snapshot
        # The first plan is made when someone asks for one: an API nobody dispatches with
        # never spends seconds solving, nor publishes routes.
        if snapshot is None or desk.current is None:
            continue
        now = clock()
        try:
            active = await asyncio.to_thread(
                alerts.find, statuses=_ACTIVE, domain=Domain.SANITATION
            )
            urgent = [(a.subject.group, a.subject.device) for a in active if a.kind in _URGENT]
            trigger = desk.trigger(now, urgent, urgent_within=URGENT_WITHIN, late_after=late_after)
            if trigger is None:
                continue
            if trigger.reason != "cadence" and last is not None and now - last < MIN_GAP:
                continue
            log.info("re-planning (%s): %s", trigger.reason, trigger.detail)
            last = now
            await replan_from(city, snapshot, alerts=alerts, trends=trends, desk=desk, now=now)
        except InfluxError as exc:
            log.warning("automatic re-plan skipped: %s", exc)


@asynccontextmanager
async def running_dispatch(
    settings: Settings,
    city: City,
    *,
    live: LiveState,
    alerts: AlertStore,
    trends: FillTrends,
    influx: InfluxClient,
    link: MqttLink,
) -> AsyncIterator[DispatchDesk]:
    """The plan holder, publishing each route retained on its truck's topic, fed by the
    trucks' progress reports (both on the process's MQTT ``link``), and re-planning by itself
    unless ``dispatch_check_s`` is 0."""
    desk = DispatchDesk(
        city,
        time_limit_s=settings.api.dispatch_time_limit_s,
        rubbish_above_pct=settings.clearance_rubbish_above_pct,
        publish=lambda route: link.publish(
            route_topic(route.truck), TruckRouteOut.from_route(route).model_dump_json(), retain=True
        ),
    )
    link.subscribe(progress_topic("+"), ProgressReports(progress_taker(desk, influx, city)))
    task: asyncio.Task[None] | None = None
    if settings.api.dispatch_check_s > 0:
        task = asyncio.create_task(
            autoplan(
                city,
                live,
                alerts,
                trends,
                desk,
                check_s=settings.api.dispatch_check_s,
                late_after=timedelta(seconds=settings.api.dispatch_late_after_s),
            )
        )
        task.add_done_callback(stop_if_ended("automatic re-planning"))
    try:
        yield desk
    finally:
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
