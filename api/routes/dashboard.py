"""The dashboard: a static page at ``/`` and its assets under ``/dashboard/``.

The page is plain HTML, CSS and ES modules shipped in the package (``api/dashboard/``), with
no build step and nothing from a CDN; it reads the same public API as any client. Serving
these files needs no API key: the page asks for one and sends it with each API request.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, FastAPI
from fastapi.responses import FileResponse
from fastapi.staticfiles import StaticFiles

ASSETS = Path(__file__).parents[1] / "dashboard"

router = APIRouter(include_in_schema=False)


@router.get("/")
async def page() -> FileResponse:
    """The dashboard's single page."""
    return FileResponse(ASSETS / "index.html", headers={"Cache-Control": "no-cache"})


def mount_dashboard(app: FastAPI) -> None:
    """Serve the page at ``/`` and its assets under ``/dashboard/``."""
    app.include_router(router)
    app.mount("/dashboard", StaticFiles(directory=ASSETS), name="dashboard")
