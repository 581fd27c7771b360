"""Background job status."""

from __future__ import annotations

from typing import Any

from apiflask import APIBlueprint

from backend.api import schemas
from backend.api.components import components
from backend.api.serialize import JobOut, job_out

bp = APIBlueprint("jobs", __name__, url_prefix="/api/jobs", tag="Jobs")


@bp.get("")
@bp.input(schemas.JobsQuery, location="query", arg_name="query")
@bp.output(schemas.JobList)
def list_jobs(query: dict[str, Any]) -> dict[str, Any]:
    return {"items": [job_out(j) for j in components().jobs.recent(query["limit"])]}


@bp.get("/<job_id>")
@bp.output(schemas.Job)
@bp.doc(responses={404: "Unknown job id"})
def get_job(job_id: str) -> JobOut:
    return job_out(components().jobs.get(job_id))
