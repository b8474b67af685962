"""Celery tasks of the member import."""

from __future__ import annotations

from ..extensions import db
from ..kvstore import exclusive
from ..tasks_runtime import celery, dispatch
from . import services


@celery.task(name="imports.validate", bind=True, soft_time_limit=900, time_limit=960)
def validate_import_job(self, job_id: int) -> None:
    """Validate an uploaded workbook (re-runnable: it starts the job over)."""
    try:
        services.run_validation(job_id)
    finally:
        db.session.remove()


@celery.task(name="imports.resume_stalled")
def resume_stalled() -> int:
    """Beat: dispatch again the jobs whose dispatch was lost; give up those that stopped
    while running (see ``services.stalled_jobs``)."""
    try:
        with exclusive("imports.resume_stalled", ttl=240) as acquired:
            if not acquired:
                return 0
            job_ids = services.stalled_jobs()
            for job_id in job_ids:
                dispatch(validate_import_job, job_id)
            return len(job_ids)
    finally:
        db.session.remove()
