"""GET /api/v1/alerts and POST /api/v1/alerts/{id}/ack: dispatchers' and operators' alerts."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Annotated, Any, Literal

from fastapi import APIRouter, HTTPException, Path, Query, status
from fastapi.responses import StreamingResponse

from alerts.document import alert_document
from alerts.lifecycle import AlertResolved, acknowledge
from alerts.model import Alert, AlertKind, AlertStatus, Domain
from api.deps import AlertsDep, CityDep, FeedDep, NowDep, database_unavailable, query_error
from api.schemas import ID_PATTERN, AckIn, AlertOut, ErrorOut
from store.influx import InfluxError

router = APIRouter(
    prefix="/api/v1/alerts",
    tags=["alerts"],
    responses={status.HTTP_503_SERVICE_UNAVAILABLE: {"model": ErrorOut}},
)

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


def _out(alert: Alert) -> AlertOut:
    return AlertOut.model_validate(alert_document(alert))


@router.get("", responses=_NOT_FOUND, summary="Alerts, newest first")
async def list_alerts(
    city: CityDep,
    desk: AlertsDep,
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
    limit: Annotated[int, Query(ge=1, le=1000, description="at most this many")] = 200,
) -> list[AlertOut]:
    """Alerts matching every filter given; without ``status``, all of them."""
    if zone is not None and district is not None:
        raise query_error("district", "give zone or district, not both", district)
    if zone is not None and city.zone(zone) is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"unknown zone {zone!r}")
    if district is not None and city.district(district) is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"unknown district {district!r}")
    domain = Domain.PARKING if zone else Domain.SANITATION if district else None
    try:
        found = await asyncio.to_thread(
            desk.find,
            statuses=_STATUSES[status_] if status_ else (),
            kind=kind,
            domain=domain,
            group=zone or district,
            limit=limit,
        )
    except InfluxError as exc:
        raise database_unavailable(exc) from exc
    return [_out(a) for a in found]


KEEPALIVE_S = 15.0


@router.get(
    "/stream",
    response_class=StreamingResponse,
    responses={200: {"content": {"text/event-stream": {}}, "description": "alert changes"}},
    summary="New and changed alerts as server-sent events",
)
async def stream_alerts(
    city: CityDep,
    feed: FeedDep,
    kind: Annotated[AlertKind | None, Query(description="only this kind")] = None,
    zone: Annotated[str | None, Query(pattern=ID_PATTERN, description="a parking zone")] = None,
    district: Annotated[
        str | None, Query(pattern=ID_PATTERN, description="a sanitation district")
    ] = None,
) -> StreamingResponse:
    """Each change (opened, acknowledged, resolved) as an ``alert`` event with the same JSON
    as the list; a comment line every 15 s keeps proxies from closing an idle stream."""
    if zone is not None and city.zone(zone) is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"unknown zone {zone!r}")
    if district is not None and city.district(district) is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"unknown district {district!r}")
    wanted = {
        key: value
        for key, value in {"kind": kind, "zone": zone, "district": district}.items()
        if value is not None
    }

    async def events() -> AsyncIterator[str]:
        async with feed.listen() as queue:
            yield ": connected\n\n"
            while True:
                try:
                    document = await asyncio.wait_for(queue.get(), KEEPALIVE_S)
                except TimeoutError:
                    yield ": keepalive\n\n"
                    continue
                if all(document.get(key) == value for key, value in wanted.items()):
                    data = json.dumps(document, ensure_ascii=False)
                    yield f"id: {document.get('id', '')}\nevent: alert\ndata: {data}\n\n"

    return StreamingResponse(
        events(), media_type="text/event-stream", headers={"Cache-Control": "no-cache"}
    )


@router.post(
    "/{alert_id}/ack",
    responses={
        **_NOT_FOUND,
        status.HTTP_409_CONFLICT: {"model": ErrorOut, "description": "already resolved"},
    },
    summary="Acknowledge an alert",
)
async def acknowledge_alert(
    desk: AlertsDep,
    now: NowDep,
    body: AckIn,
    alert_id: Annotated[str, Path(max_length=200, description="the alert's id")],
) -> AlertOut:
    """Record who took the alert on, and when; acknowledging again changes nothing."""
    try:
        alert = await asyncio.to_thread(desk.get, alert_id)
        if alert is None:
            raise HTTPException(status.HTTP_404_NOT_FOUND, f"unknown alert {alert_id!r}")
        try:
            acked = acknowledge(alert, body.by, now)
        except AlertResolved as exc:
            raise HTTPException(status.HTTP_409_CONFLICT, str(exc)) from exc
        if acked is not alert:
            await asyncio.to_thread(desk.save, [acked])
            desk.publish(acked)
    except InfluxError as exc:
        raise database_unavailable(exc) from exc
    return _out(acked)
