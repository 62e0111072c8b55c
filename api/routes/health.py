"""GET /health: whether the broker connection and the live-state refresh are working."""

from __future__ import annotations

from fastapi import APIRouter, Response, status

from api.deps import BrokerDep, LiveStateDep
from api.schemas import BrokerHealth, DatabaseHealth, HealthOut

router = APIRouter(tags=["health"])


@router.get(
    "/health",
    responses={status.HTTP_503_SERVICE_UNAVAILABLE: {"model": HealthOut}},
    summary="Service health",
)
async def health(live: LiveStateDep, broker: BrokerDep, response: Response) -> HealthOut:
    """200 when the broker is connected and the latest refresh succeeded, else 503."""
    # Reachable means the latest refresh worked, not merely that some snapshot exists:
    # a snapshot kept from before an outage is served, but the outage is still reported.
    reachable = live.snapshot is not None and live.refresh_error is None
    connected = broker.connected
    healthy = reachable and connected
    if not healthy:
        response.status_code = status.HTTP_503_SERVICE_UNAVAILABLE
    return HealthOut(
        status="ok" if healthy else "degraded",
        broker=BrokerHealth(connected=connected),
        database=DatabaseHealth(
            reachable=reachable,
            last_refresh=live.last_refresh,
            refresh_error=live.refresh_error,
        ),
    )
