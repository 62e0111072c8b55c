"""GET /api/v1/messages: the text of every code an alert detail, fee item or case step
carries, in Chinese and English, for the dashboard and for integrators to render them."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from curbside.vocabulary.messages import catalogue_document

router = APIRouter(prefix="/api/v1", tags=["messages"])
_CATALOGUE = catalogue_document()  # fixed at build time: made once


@router.get("/messages", summary="Every message code with its parameters and its zh/en text")
async def messages() -> dict[str, Any]:
    """Per code: its parameters' kinds (``time`` RFC 3339 UTC, ``duration_s`` seconds,
    ``fen`` integer money, ``minutes``, ``number``, ``id``, or a choice of values with their
    own text) and its ``zh`` and ``en`` text with ``{name}`` placeholders (docs/api.md)."""
    return _CATALOGUE
