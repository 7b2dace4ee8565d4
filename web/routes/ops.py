"""/healthz for load balancers and the daemon's watchers, /metrics for Prometheus."""

from __future__ import annotations

import logging

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response
from sqlalchemy import text
from starlette.concurrency import run_in_threadpool

from web.metrics import CONTENT_TYPE, exposition
from web.resources import resources

log = logging.getLogger(__name__)
router = APIRouter()


@router.get("/healthz")
def healthz(request: Request) -> JSONResponse:
    """200 when the database answers (and the scheduler is alive, when there is one); else 503."""
    found = resources(request)
    checks: dict[str, bool] = {}
    try:
        with found.sessions() as session:
            session.execute(text("SELECT 1"))
        checks["database"] = True
    except Exception as exc:
        log.warning("health check: database unreachable: %s", exc)
        checks["database"] = False
    if found.scheduler_status is not None:
        try:
            checks["scheduler"] = bool(found.scheduler_status())
        except Exception as exc:
            log.warning("health check: scheduler status failed: %s", exc)
            checks["scheduler"] = False
    healthy = all(checks.values())
    body = {"status": "ok" if healthy else "unhealthy", **checks}
    return JSONResponse(
        body, status_code=200 if healthy else 503, headers={"Cache-Control": "no-store"}
    )


@router.get("/metrics")
async def metrics(request: Request) -> Response:
    registry = request.app.state.metrics_registry
    body = await run_in_threadpool(exposition, registry)
    return Response(body, media_type=CONTENT_TYPE, headers={"Cache-Control": "no-store"})
