"""POST /api/v1/platform/cases/{id}/events: the city-management platform reports the dispatch,
handling, verification and closing of a case, signed the Standard Webhooks way with
``CURBSIDE_HANDOFF_INBOUND_SECRET`` (docs/handoff.md).

Authenticated by signature, not by API key: a request with a missing or wrong signature, or a
timestamp more than 5 minutes off, is refused (401, counted as ``forged``); one whose
webhook-id was taken before is refused (409, counted as ``replayed``).
"""

from __future__ import annotations

import binascii
from typing import Any

from fastapi import APIRouter, HTTPException, Request, status
from pydantic import SecretStr, ValidationError
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from api.deps import CityDep, NowDep, RecordsDep
from api.routes.cases import (
    CaseIdPath,
    StepIn,
    StepRequest,
    in_records,
    record_step,
    step_time,
)
from api.schemas import ErrorOut

router = APIRouter(prefix="/api/v1/platform", tags=["platform"])

MAX_BODY_BYTES = 16 * 1024


@router.post(
    "/cases/{case_id}/events",
    responses={
        status.HTTP_401_UNAUTHORIZED: {"model": ErrorOut, "description": "not signed right"},
        status.HTTP_404_NOT_FOUND: {
            "model": ErrorOut,
            "description": "no such case, or the endpoint is off (no inbound secret set)",
        },
        status.HTTP_409_CONFLICT: {
            "model": ErrorOut,
            "description": "a replay, or a step that does not follow from the case's stage",
        },
    },
    summary="The platform reports a step on a case (signed)",
)
async def platform_event(
    *, request: Request, records: RecordsDep, city: CityDep, now: NowDep, case_id: CaseIdPath
) -> dict[str, Any]:
    """Body: ``{"step": "dispatched", "assignee": "crew-7", "by": "王五", "at": "..."}``
    (as ``POST /api/v1/cases/{id}/steps``); headers webhook-id, webhook-timestamp,
    webhook-signature. Answers the case and the event recorded."""
    refused = request.app.state.metrics.platform_refused
    secret: SecretStr | None = request.app.state.inbound_secret
    if secret is None:
        # Off, not broken: a deployment without the platform has no such endpoint.
        refused.labels("unconfigured").inc()
        raise HTTPException(
            status.HTTP_404_NOT_FOUND,
            "the platform endpoint is off: set CURBSIDE_HANDOFF_INBOUND_SECRET to turn it on",
        )
    raw = await request.body()
    if len(raw) > MAX_BODY_BYTES:
        raise HTTPException(status.HTTP_413_REQUEST_ENTITY_TOO_LARGE, "body over 16 KiB")
    try:
        document = Webhook(secret.get_secret_value()).verify(raw, dict(request.headers))
    except (WebhookVerificationError, ValueError, binascii.Error, UnicodeDecodeError) as exc:
        refused.labels("forged").inc()
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, f"signature refused: {exc}") from exc
    try:
        body = StepIn.model_validate(document)
    except ValidationError as exc:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_ENTITY, exc.errors()) from exc
    by = f"{body.by or 'platform'} via platform"
    wanted = StepRequest(
        case_id, body, step_time(body, now), by, now, key=None,
        request_id=request.headers["webhook-id"],
    )  # fmt: skip
    return await in_records(records, lambda db: record_step(db, request, city, wanted))
