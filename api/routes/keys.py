"""/api/v1/keys (admin: list, create, revoke API keys) and /api/v1/auth/whoami (any key)."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Path, Response, status

from api.auth import AccessDep, CallerDep
from api.deps import CityDep
from api.schemas import ErrorOut, KeyIn, KeyOut, NewKeyOut, WhoAmIOut
from curbside.adapters.access.keyfile import add_key, revoke_key
from curbside.adapters.access.keys import ApiKey, KeyRefused
from curbside.adapters.access.roles import PERMISSIONS, Role
from curbside.adapters.access.scope import Scope, unknown_areas

router = APIRouter(prefix="/api/v1/keys", tags=["keys"])
whoami_router = APIRouter(prefix="/api/v1/auth", tags=["keys"])


def _fields(key: ApiKey) -> dict[str, Any]:
    zones, districts = key.scope.zones, key.scope.districts
    return {
        "id": key.id,
        "name": key.name,
        "role": str(key.role),
        "zones": None if zones is None else sorted(zones),
        "districts": None if districts is None else sorted(districts),
        "created_at": key.created_at,
    }


@whoami_router.get("/whoami", summary="The calling key: name, role, zones, districts")
async def whoami(key: CallerDep) -> WhoAmIOut:
    """Who the caller is and what it may do, so a client can show only what works."""
    return WhoAmIOut(**_fields(key), permissions=sorted(PERMISSIONS[key.role]))


@router.get("", summary="Every API key (never the tokens)")
async def list_keys(access: AccessDep) -> list[KeyOut]:
    """The keys in the keys file, oldest first."""
    return [KeyOut(**_fields(k)) for k in access.keys.current()]


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    responses={status.HTTP_422_UNPROCESSABLE_CONTENT: {"description": "a bad key request"}},
    summary="Make a key; its token is in this answer only",
)
async def create_key(access: AccessDep, city: CityDep, body: KeyIn) -> NewKeyOut:
    """A new key of this role and scope; store the token now, it cannot be shown again."""
    scope = Scope.limited_to(body.zones, body.districts)
    unknown = unknown_areas(scope, city)
    if unknown:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, f"unknown {', '.join(unknown)}")
    role, now = Role(body.role), datetime.now(UTC)
    try:
        key, token = await asyncio.to_thread(add_key, access.keys.path, body.name, role, scope, now)
    except KeyRefused as exc:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, str(exc)) from exc
    return NewKeyOut(**_fields(key), token=token)


@router.delete(
    "/{key_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    responses={status.HTTP_404_NOT_FOUND: {"model": ErrorOut, "description": "no such key"}},
    summary="Revoke a key at once",
)
async def revoke(
    access: AccessDep,
    key_id: Annotated[str, Path(pattern=r"^[0-9a-f]{12}$", description="the key's id")],
) -> Response:
    """The key stops working with the next request."""

    # The path pattern admits only ids, so no key is revoked by name here.
    try:
        await asyncio.to_thread(revoke_key, access.keys.path, key_id)
    except KeyRefused as exc:
        raise HTTPException(status.HTTP_404_NOT_FOUND, str(exc)) from exc
    return Response(status_code=status.HTTP_204_NO_CONTENT)
