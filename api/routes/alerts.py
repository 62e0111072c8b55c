"""GET /api/v1/alerts, POST /api/v1/alerts/{id}/ack and .../unacknowledge (an undo within a few
seconds): dispatchers' and operators' alerts."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncGenerator, Callable
from dataclasses import asdict
from typing import Annotated, Any, Literal

from fastapi import APIRouter, HTTPException, Path, Query, status
from fastapi.responses import Response, StreamingResponse
from pydantic import TypeAdapter, ValidationError

from api.auth import AccessDep, CallerDep, readable_districts, readable_zones
from api.deps import (
    ActiveAlertsDep,
    AlertsDep,
    CityDep,
    FeedDep,
    LimitsDep,
    NowDep,
    check_results,
    database_unavailable,
    query_error,
)
from api.eventstream import CONNECTED, KEEPALIVE, KEEPALIVE_S, event, keyed_stream
from api.eventstream import openapi_responses as stream_responses
from api.rendered import RenderedPerSnapshot
from api.schemas import ID_PATTERN, AckIn, AckOut, AlertOut, ErrorOut
from curbside.adapters.access.keys import ApiKey
from curbside.adapters.access.policy import may_read
from curbside.adapters.access.roles import Role
from curbside.adapters.access.scope import AreaKind
from curbside.adapters.influx.client import InfluxError
from curbside.city.registry import City
from curbside.domain.alerts.document import alert_document
from curbside.domain.alerts.lifecycle import (
    AlertResolved,
    UndoRefused,
    acknowledge,
    unacknowledge,
    undo_until,
)
from curbside.readmodels.active_alerts import find_alerts
from curbside.readmodels.alert_list import AlertFilter, count_active
from curbside.vocabulary.alerts import Alert, AlertKind, AlertStatus, Domain

log = logging.getLogger(__name__)

_ROUTER: dict[str, Any] = {
    "prefix": "/api/v1/alerts",
    "tags": ["alerts"],
    "responses": {status.HTTP_503_SERVICE_UNAVAILABLE: {"model": ErrorOut}},
}
# Reading and acknowledging need different permissions (api.app), hence two routers.
router = APIRouter(**_ROUTER)
ack_router = APIRouter(**_ROUTER)

StatusFilter = Literal["open", "acknowledged", "resolved", "active"]
_STATUSES: dict[str, tuple[AlertStatus, ...]] = {
    "open": (AlertStatus.OPEN,),
    "acknowledged": (AlertStatus.ACKNOWLEDGED,),
    "resolved": (AlertStatus.RESOLVED,),
    "active": (AlertStatus.OPEN, AlertStatus.ACKNOWLEDGED),
}
_NOT_FOUND: dict[int | str, dict[str, Any]] = {
    status.HTTP_404_NOT_FOUND: {"model": ErrorOut, "description": "unknown zone, district or alert"}
}


_AREA = {Domain.PARKING: AreaKind.ZONE, Domain.SANITATION: AreaKind.DISTRICT}
AlertIdPath = Annotated[str, Path(max_length=200, description="the alert's id")]
_ALERT_LIST = TypeAdapter(list[AlertOut])
_RENDERED = RenderedPerSnapshot()


def _frozen(areas: list[tuple[Domain, str]] | None) -> tuple[tuple[Domain, str], ...] | None:
    return None if areas is None else tuple(areas)


def _out(alert: Alert) -> AlertOut:
    return AlertOut.model_validate(alert_document(alert))


def _may_see(key: ApiKey, domain: Domain, group: str) -> bool:
    # An alert belongs to its zone or district, and is read with that area's data.
    return may_read(key, _AREA[domain], group)


def _areas(key: ApiKey, city: City) -> list[tuple[Domain, str]] | None:
    """The zones and districts whose alerts the key may list; None for all of them."""
    if key.scope.city_wide and key.role in (Role.VIEWER, Role.ADMIN):
        return None
    return [(Domain.PARKING, z.id) for z in readable_zones(key, city)] + [
        (Domain.SANITATION, d.id) for d in readable_districts(key, city)
    ]


def area_domain(city: City, zone: str | None, district: str | None) -> Domain | None:
    """The domain of the one area asked for (None: none asked); 422 for both, 404 unknown.
    Alerts and their cases are filtered by area alike."""
    if zone is not None and district is not None:
        raise query_error("district", "give zone or district, not both", district)
    if zone is not None and city.zone(zone) is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"unknown zone {zone!r}")
    if district is not None and city.district(district) is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"unknown district {district!r}")
    return Domain.PARKING if zone else Domain.SANITATION if district else None


@router.get("", responses=_NOT_FOUND, summary="Alerts, newest first")
async def list_alerts(
    city: CityDep,
    desk: AlertsDep,
    active: ActiveAlertsDep,
    key: CallerDep,
    limits: LimitsDep,
    *,
    status_: Annotated[
        StatusFilter | None,
        Query(alias="status", description="open, acknowledged, resolved, or active (both first)"),
    ] = None,
    kind: Annotated[AlertKind | None, Query(description="only this kind")] = None,
    zone: Annotated[str | None, Query(pattern=ID_PATTERN, description="a parking zone")] = None,
    district: Annotated[
        str | None, Query(pattern=ID_PATTERN, description="a sanitation district")
    ] = None,
    limit: Annotated[
        int, Query(ge=1, description="at most this many (up to the api_max_results setting)")
    ] = 200,
) -> list[AlertOut]:
    """Alerts of the zones and districts the key may read, matching every filter given;
    without ``status``, all of them."""
    check_results("limit", limit, limits, limit)
    domain = area_domain(city, zone, district)
    statuses = _STATUSES[status_] if status_ else ()
    areas = _areas(key, city)
    if active.answers(statuses):
        # Polled by every dispatcher's screen: rendered once per change of the view.
        def render() -> bytes:
            found = active.find(
                statuses=statuses, kind=kind, domain=domain, group=zone or district,
                areas=areas, limit=limit,
            )  # fmt: skip
            return _ALERT_LIST.dump_json([_out(a) for a in found])

        wanted = (statuses, kind, domain, zone or district, _frozen(areas), limit)
        body = _RENDERED.get(active.version, wanted, render)
        return Response(body, media_type="application/json")  # type: ignore[return-value]
    try:
        found = await find_alerts(
            active,
            desk,
            statuses=statuses,
            kind=kind,
            domain=domain,
            group=zone or district,
            areas=areas,
            limit=limit,
        )
    except InfluxError as exc:
        raise database_unavailable(exc) from exc
    return [_out(a) for a in found]


@router.get("/counts", responses=_NOT_FOUND, summary="Active alerts counted, for the filters")
async def count_alerts(
    city: CityDep,
    desk: AlertsDep,
    active: ActiveAlertsDep,
    key: CallerDep,
    *,
    zone: Annotated[str | None, Query(pattern=ID_PATTERN, description="a parking zone")] = None,
    district: Annotated[
        str | None, Query(pattern=ID_PATTERN, description="a sanitation district")
    ] = None,
    domain: Annotated[
        Domain | None, Query(description="only parking or only sanitation alerts")
    ] = None,
) -> dict[str, Any]:
    """Active alerts (open and acknowledged) of the key's zones and districts (or the one
    given, or the one domain), by status, kind and area: the numbers beside a list's
    filters."""
    of_area = area_domain(city, zone, district)
    if domain is not None and of_area not in (None, domain):
        raise HTTPException(
            status.HTTP_422_UNPROCESSABLE_CONTENT, f"a {of_area} area is not in {domain}"
        )
    scope = AlertFilter(domain=of_area or domain, group=zone or district, areas=_areas(key, city))
    if active.loaded:  # polled beside every list: answered from memory, like the lists
        return asdict(count_active(active.all(), scope))
    try:
        alerts = await asyncio.to_thread(desk.active)
    except InfluxError as exc:
        raise database_unavailable(exc) from exc
    return asdict(count_active(alerts, scope))


def _stream_json(document: dict[str, Any]) -> str | None:
    """The change as the REST endpoints render an alert (times in milliseconds, Z), or None
    (logged) for a document heard on MQTT that is not one."""
    try:
        return AlertOut.model_validate(document).model_dump_json()
    except ValidationError as exc:
        log.error("alert stream: skipped a document that is not an alert: %s", exc)
        return None


def _wanted(document: dict[str, Any], wanted: dict[str, Any]) -> bool:
    return all(document.get(name) == value for name, value in wanted.items())


def _visible(key: ApiKey, document: dict[str, Any]) -> bool:
    domain = Domain(document["domain"])
    group = document["zone"] if domain is Domain.PARKING else document["district"]
    return _may_see(key, domain, str(group))


@router.get(
    "/stream",
    response_class=StreamingResponse,
    responses=stream_responses("alert changes"),
    summary="New and changed alerts as server-sent events",
)
async def stream_alerts(
    *,
    city: CityDep,
    feed: FeedDep,
    key: CallerDep,
    access: AccessDep,
    kind: Annotated[AlertKind | None, Query(description="only this kind")] = None,
    zone: Annotated[str | None, Query(pattern=ID_PATTERN, description="a parking zone")] = None,
    district: Annotated[
        str | None, Query(pattern=ID_PATTERN, description="a sanitation district")
    ] = None,
) -> StreamingResponse:
    """Each change (opened, acknowledged, resolved) of an alert the key may read, as an
    ``alert`` event with the same JSON as the list; a comment line every 15 s keeps proxies
    from closing an idle stream. The stream ends within 15 s of its key being revoked."""
    if zone is not None and city.zone(zone) is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"unknown zone {zone!r}")
    if district is not None and city.district(district) is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"unknown district {district!r}")
    wanted = {
        name: value
        for name, value in {"kind": kind, "zone": zone, "district": district}.items()
        if value is not None
    }

    async def events() -> AsyncGenerator[str, None]:
        loop = asyncio.get_running_loop()
        async with feed.listen() as queue:
            yield CONNECTED
            # Quiet means nothing sent, even while changes the key may not see arrive.
            quiet_since = loop.time()
            while True:
                try:
                    wait_s = max(0.0, quiet_since + KEEPALIVE_S - loop.time())
                    document = await asyncio.wait_for(queue.get(), wait_s)
                except TimeoutError:
                    quiet_since = loop.time()
                    yield KEEPALIVE
                    continue
                if _wanted(document, wanted) and _visible(key, document):
                    data = _stream_json(document)
                    if data is None:
                        continue
                    quiet_since = loop.time()
                    yield event("alert", data, str(document.get("id", "")))

    return keyed_stream(events(), access, key)


@ack_router.post(
    "/{alert_id}/ack",
    responses={
        **_NOT_FOUND,
        status.HTTP_409_CONFLICT: {"model": ErrorOut, "description": "already resolved"},
    },
    summary="Acknowledge an alert",
)
async def acknowledge_alert(
    *,
    desk: AlertsDep,
    active: ActiveAlertsDep,
    now: NowDep,
    key: CallerDep,
    limits: LimitsDep,
    alert_id: AlertIdPath,
    body: AckIn | None = None,
) -> AckOut:
    """Record who took the alert on (the key's name, and the person named in the body if
    any), and when; acknowledging again changes nothing. ``undo_until`` says until when
    ``POST .../unacknowledge`` can take it back."""
    by = key.name if body is None or body.by is None else f"{body.by} via {key.name}"

    def change(alert: Alert) -> Alert:
        return acknowledge(alert, by, now)

    acked = await _change_alert(desk, active, key, alert_id, change)
    return AckOut(**_out(acked).model_dump(), undo_until=undo_until(acked, now, limits.ack_undo))


@ack_router.post(
    "/{alert_id}/unacknowledge",
    responses={
        **_NOT_FOUND,
        status.HTTP_409_CONFLICT: {
            "model": ErrorOut,
            "description": "resolved, not acknowledged, or the undo window has passed",
        },
    },
    summary="Undo an acknowledge, within a few seconds of it",
)
async def unacknowledge_alert(
    *,
    desk: AlertsDep,
    active: ActiveAlertsDep,
    now: NowDep,
    key: CallerDep,
    limits: LimitsDep,
    alert_id: AlertIdPath,
) -> AlertOut:
    """The alert open again, as if the acknowledge had not happened: for the slip noticed at
    once. Any key that may acknowledge the alert may undo, until ``CURBSIDE_API_ACK_UNDO_S``
    (default 10 s) after the acknowledge; after that, 409."""

    def change(alert: Alert) -> Alert:
        return unacknowledge(alert, now, limits.ack_undo)

    return _out(await _change_alert(desk, active, key, alert_id, change))


async def _change_alert(
    desk: AlertsDep,
    active: ActiveAlertsDep,
    key: ApiKey,
    alert_id: str,
    change: Callable[[Alert], Alert],
) -> Alert:
    """The alert changed by a person: read, checked against the key's areas, changed by the
    domain rule (409 when it refuses), saved, applied to the view and published."""
    try:
        alert = await asyncio.to_thread(desk.get, alert_id)
        if alert is None:
            raise HTTPException(status.HTTP_404_NOT_FOUND, f"unknown alert {alert_id!r}")
        if not _may_see(key, alert.subject.domain, alert.subject.group):
            raise HTTPException(
                status.HTTP_403_FORBIDDEN, f"key {key.name!r} may not acknowledge this alert"
            )
        try:
            changed = change(alert)
        except (AlertResolved, UndoRefused) as exc:
            raise HTTPException(status.HTTP_409_CONFLICT, str(exc)) from exc
        if changed is not alert:
            await asyncio.to_thread(desk.save, [changed])
            active.apply(changed)  # at once for the next list; the published change follows
            desk.publish(changed)
    except InfluxError as exc:
        raise database_unavailable(exc) from exc
    return changed
