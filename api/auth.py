"""The API's access edge: one FastAPI dependency per requirement, applied per router in api.app.

- :func:`authenticate`: a valid ``Authorization: Bearer <key>`` (else 401), within the key's
  rate limit (else 429 with ``Retry-After``);
- :func:`require`: the key's role holds a permission (else 403);
- :func:`zone_in_scope`, :func:`district_in_scope`: a ``zone``/``district`` query parameter is
  one the key may read (else 403); handlers filter city-wide lists with
  :func:`readable_zones` and :func:`readable_districts`;
- :func:`readable_areas`: the zones and districts the key may read, 403 when there are none
  (the city layout and the live stream, which serve both domains at once);
- :func:`public`: routes anyone may call (the fee quote): a key if one is sent (a bad one is
  still 401), else a rate limit per client address.

What a role may do is decided in ``access``; this module only translates it to HTTP.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Annotated, Any

from fastapi import Depends, HTTPException, Request, status
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from api.deps import CityDep
from curbside.adapters.access.keyfile import KeyFileError, WatchedKeyFile
from curbside.adapters.access.keys import ApiKey
from curbside.adapters.access.policy import may_read
from curbside.adapters.access.ratelimit import RateLimiter
from curbside.adapters.access.roles import Permission, may
from curbside.adapters.access.scope import AreaKind
from curbside.city.registry import City, District, Zone
from curbside.config.settings import Settings

log = logging.getLogger(__name__)

bearer = HTTPBearer(
    auto_error=False,
    scheme_name="apiKey",
    description="An API key: `Authorization: Bearer csk_...`. Create one with "
    "`python -m curbside.cli.access keys add NAME --role ROLE` (docs/security.md).",
)


@dataclass(slots=True)
class Access:
    """Everything the access edge needs, created with the app (one per app, so per test)."""

    keys: WatchedKeyFile
    per_key: RateLimiter
    per_address: RateLimiter
    clock: Callable[[], float] = time.monotonic
    refused: dict[int, int] = field(default_factory=lambda: {401: 0, 403: 0, 429: 0})

    @classmethod
    def from_settings(cls, settings: Settings) -> Access:
        """Keys from ``api_keys_file``; limits from the ``api_*rate*`` settings."""
        return cls(
            keys=WatchedKeyFile(settings.api.keys_file),
            per_key=RateLimiter(settings.api.rate_per_s, settings.api.rate_burst),
            per_address=RateLimiter(settings.api.public_rate_per_s, settings.api.public_rate_burst),
        )

    def still_valid(self, key: ApiKey) -> bool:
        """Whether a key accepted earlier is still in the keys file (for long requests)."""
        try:
            return self.keys.current().holds(key.id)
        except KeyFileError:
            return False

    def refuse(
        self, code: int, detail: str, headers: dict[str, str] | None = None
    ) -> HTTPException:
        """The HTTP error, counted by status."""
        self.refused[code] = self.refused.get(code, 0) + 1
        return HTTPException(code, detail, headers=headers)


async def get_access(request: Request) -> Access:
    """The access state the app was created with."""
    access = request.app.state.access
    if not isinstance(access, Access):
        raise RuntimeError("no access state in the app")
    return access


AccessDep = Annotated[Access, Depends(get_access)]
CredentialsDep = Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)]
_CHALLENGE = {"WWW-Authenticate": "Bearer"}


def _limit(access: Access, limiter: RateLimiter, caller: str) -> None:
    wait_s = limiter.take(caller, access.clock())
    if wait_s > 0:
        raise access.refuse(
            status.HTTP_429_TOO_MANY_REQUESTS,
            f"rate limit: at most {limiter.rate_per_s:g} requests/s (burst {limiter.burst})",
            {"Retry-After": str(max(1, math.ceil(wait_s)))},
        )


def _key_of(access: Access, credentials: HTTPAuthorizationCredentials) -> ApiKey:
    try:
        key = access.keys.current().authenticate(credentials.credentials)
    except KeyFileError as exc:
        # Fail closed: a damaged keys file lets nobody in, and says so in the log.
        log.error("%s", exc)
        key = None
    if key is None:
        raise access.refuse(status.HTTP_401_UNAUTHORIZED, "invalid API key", _CHALLENGE)
    _limit(access, access.per_key, f"key:{key.id}")
    return key


async def authenticate(access: AccessDep, credentials: CredentialsDep) -> ApiKey:
    """The caller's key: 401 without a valid one, 429 past its rate limit."""
    if credentials is None:
        raise access.refuse(
            status.HTTP_401_UNAUTHORIZED,
            "an API key is required: Authorization: Bearer <key>",
            _CHALLENGE,
        )
    return _key_of(access, credentials)


CallerDep = Annotated[ApiKey, Depends(authenticate)]


def require(permission: Permission) -> Any:
    """A dependency: 403 unless the caller's role holds ``permission``."""

    async def check(access: AccessDep, key: CallerDep) -> None:
        if not may(key.role, permission):
            raise access.refuse(status.HTTP_403_FORBIDDEN, f"role {key.role} may not {permission}")

    return Depends(check)


def _in_scope(kind: AreaKind) -> Any:
    async def check(request: Request, access: AccessDep, key: CallerDep) -> None:
        # Read from the raw query so the parameter stays documented by the route alone.
        wanted = request.query_params.get(str(kind))
        if wanted is not None and not may_read(key, kind, wanted):
            raise access.refuse(
                status.HTTP_403_FORBIDDEN, f"key {key.name!r} may not read {kind} {wanted!r}"
            )

    return Depends(check)


zone_in_scope = _in_scope(AreaKind.ZONE)
district_in_scope = _in_scope(AreaKind.DISTRICT)


async def _public(request: Request, access: AccessDep, credentials: CredentialsDep) -> None:
    if credentials is not None:
        _key_of(access, credentials)
        return
    if "authorization" in request.headers:
        # Something was sent and it is not a bearer key: say so rather than ignore it.
        raise access.refuse(
            status.HTTP_401_UNAUTHORIZED, "expected Authorization: Bearer <key>", _CHALLENGE
        )
    address = request.client.host if request.client else "unknown"
    _limit(access, access.per_address, f"address:{address}")


public = Depends(_public)


def readable_zones(key: ApiKey, city: City) -> list[Zone]:
    """The zones whose parking data the key may read, in registry order."""
    return [z for z in city.parking_zones if may_read(key, AreaKind.ZONE, z.id)]


def readable_districts(key: ApiKey, city: City) -> list[District]:
    """The districts whose sanitation data the key may read, in registry order."""
    return [d for d in city.sanitation_districts if may_read(key, AreaKind.DISTRICT, d.id)]


@dataclass(frozen=True, slots=True)
class ReadableAreas:
    """The zones and districts a key may read (parking and sanitation data), registry order."""

    zones: list[Zone]
    districts: list[District]


async def readable_areas(access: AccessDep, key: CallerDep, city: CityDep) -> ReadableAreas:
    """What the key may read of the city; 403 if nothing (no zone and no district)."""
    areas = ReadableAreas(readable_zones(key, city), readable_districts(key, city))
    if not areas.zones and not areas.districts:
        raise access.refuse(
            status.HTTP_403_FORBIDDEN, f"key {key.name!r} may read no zone and no district"
        )
    return areas


ReadableAreasDep = Annotated[ReadableAreas, Depends(readable_areas)]


__all__ = [
    "Access",
    "CallerDep",
    "ReadableAreas",
    "ReadableAreasDep",
    "authenticate",
    "district_in_scope",
    "public",
    "readable_areas",
    "readable_districts",
    "readable_zones",
    "require",
    "zone_in_scope",
]
