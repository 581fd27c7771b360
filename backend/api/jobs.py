"""Background job status."""

from __future__ import annotations

from typing import Any

from apiflask import APIBlueprint

from backend import schemas
from backend.api import services
from backend.serialize import job_out

bp = APIBlueprint("jobs", __name__, url_prefix="/api/jobs", tag="Jobs")


@bp.get("")
@bp.input(schemas.JobsQuery, location="query", arg_name="query")
@bp.output(schemas.JobList)
def list_jobs(query: dict[str, Any]) -> dict[str, Any]:
    return {"items": [job_out(j) for j in services().jobs.recent(query["limit"])]}


@bp.get("/<job_id>")
@bp.output(schemas.Job)
@bp.doc(responses={404: "Unknown job id"})
def get_job(job_id: str) -> dict[str, Any]:
    return job_out(services().jobs.get(job_id))
