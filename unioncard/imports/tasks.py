"""Celery tasks of the member import."""

from __future__ import annotations

from ..extensions import db
from ..tasks_runtime import celery
from . import services


@celery.task(name="imports.validate", bind=True, max_retries=3, soft_time_limit=900)
def validate_import_job(self, job_id: int) -> None:
    """Validate an uploaded workbook (re-runnable: it starts the job over)."""
    try:
        services.run_validation(job_id)
    finally:
        db.session.remove()


@celery.task(name="imports.drop_staged_rows")
def drop_staged_rows(job_id: int) -> None:
    """Clear a finished job's scratch rows (not needed once the members are in)."""
    try:
        services.drop_staged(job_id)
        db.session.commit()
    finally:
        db.session.remove()
