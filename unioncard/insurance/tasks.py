"""Celery tasks of the insurance: the social-security register check (获取社保卡和就业状态)."""

from __future__ import annotations

from ..cards import gateways
from ..extensions import db
from ..kvstore import exclusive
from ..tasks_runtime import celery
from . import social


@celery.task(name="insurance.social_check", soft_time_limit=1800, time_limit=1900)
def social_check_task(check_id: int, year: int) -> str:
    """Ask the social-security register about a union's members; 查询失败 on an outage."""
    try:
        with exclusive(f"insurance.social_check.run:{check_id}", ttl=1900) as acquired:
            if not acquired:
                return "busy"
            check = social.run_check(check_id, year, gateways.social_security_register())
            return check.status.value if check else "missing"
    finally:
        db.session.remove()
