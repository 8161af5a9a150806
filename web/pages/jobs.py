"""Job progress for pages: a fragment, its live stream, and cancellation."""

from __future__ import annotations

from typing import Any

from litestar import Request, Response, get, post
from litestar.params import FromPath

from web.forms import payload
from web.live import live_fragments
from web.operations import query, run_operation
from web.render import page_context, render, render_fragment

TEMPLATE = "components/job_progress.html"


@get("/jobs/{job_id:str}", name="job")
async def job_fragment(request: Request[Any, Any, Any], job_id: FromPath[str]) -> Response[Any]:
    data = await query(request, "JobStatus", {"id": job_id})
    return await render(request, TEMPLATE, job=data["job"], block="job")


@get("/jobs/{job_id:str}/live", name="job_live", media_type="text/event-stream")
async def job_live(request: Request[Any, Any, Any], job_id: FromPath[str]) -> Any:
    page = await page_context(request)

    def draw(result: Any) -> str:
        return render_fragment(TEMPLATE, "bar", job=result.data["jobProgress"], page=page)

    return live_fragments(
        request, "JobProgress", {"id": job_id}, draw, finished=lambda r: bool(r.data["jobProgress"]["done"])
    )


@post("/jobs/{job_id:str}/cancel", name="job_cancel")
async def job_cancel(request: Request[Any, Any, Any], job_id: FromPath[str]) -> Response[Any]:
    payload(await run_operation(request, "CancelJob", {"id": job_id}), "cancelJob")
    data = await query(request, "JobStatus", {"id": job_id})
    return await render(request, TEMPLATE, job=data["job"], block="job")


route_handlers = [job_fragment, job_live, job_cancel]
