"""GET /health: whether the live feed from the broker and the database reads are working."""

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
    """200 when the live feed follows the broker and the database answers, else 503."""
    # Reachable means the latest read worked, not merely that some snapshot exists:
    # a snapshot kept from before an outage is served, but the outage is still reported.
    reachable = live.snapshot is not None and live.refresh_error is None
    connected = broker.connected
    following = broker.following
    healthy = reachable and connected and following
    if not healthy:
        response.status_code = status.HTTP_503_SERVICE_UNAVAILABLE
    return HealthOut(
        status="ok" if healthy else "degraded",
        broker=BrokerHealth(
            connected=connected,
            following=following,
            received=broker.received,
            rejected=dict(broker.rejected),
        ),
        database=DatabaseHealth(
            reachable=reachable,
            last_refresh=live.last_refresh,
            refresh_error=live.refresh_error,
        ),
    )
