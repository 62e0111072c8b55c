"""What handlers depend on, as ``Annotated`` aliases; tests swap them with dependency_overrides."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, HTTPException, Request, status

from api.brokerlink import BrokerStatus
from api.livestate import LiveState, Snapshot
from city.registry import City


@dataclass(frozen=True, slots=True)
class Services:
    """The long-lived objects the lifespan starts, shared by every request."""

    live: LiveState
    broker: BrokerStatus


def get_services(request: Request) -> Services:
    """The services the lifespan put in the request state."""
    services = getattr(request.state, "services", None)
    if not isinstance(services, Services):
        raise RuntimeError("no services in the request state: the app's lifespan did not run")
    return services


def get_live_state(request: Request) -> LiveState:
    """The live-state holder (snapshot and refresh status)."""
    return get_services(request).live


def get_broker(request: Request) -> BrokerStatus:
    """The API's broker connection."""
    return get_services(request).broker


def get_city(request: Request) -> City:
    """The city registry the app was created with."""
    city = request.app.state.city
    if not isinstance(city, City):
        raise RuntimeError("no city registry in the app state")
    return city


LiveStateDep = Annotated[LiveState, Depends(get_live_state)]
BrokerDep = Annotated[BrokerStatus, Depends(get_broker)]
CityDep = Annotated[City, Depends(get_city)]


def current_snapshot(live: LiveState) -> Snapshot:
    """The current snapshot, or HTTP 503 while none could be loaded since start.

    Handlers call this after checking their parameters against the registry, so a bad or
    unknown id is reported as such even while the database is down.
    """
    snapshot = live.snapshot
    if snapshot is None:
        reason = f" (last error: {live.refresh_error})" if live.refresh_error else ""
        raise HTTPException(
            status.HTTP_503_SERVICE_UNAVAILABLE,
            "live state not loaded yet: InfluxDB has not answered since the API started" + reason,
        )
    return snapshot
