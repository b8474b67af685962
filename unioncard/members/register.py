"""What the social-security register says about a member, written onto the member once."""

from __future__ import annotations

from datetime import date

from ..models_base import utcnow
from .idcard import today_in_china
from .models import EmploymentStatus, InsuranceStatus, Member, SocialCardStatus


def apply_social_security(member: Member, answer: dict) -> None:
    """Store a register answer (``SocialSecurityRegisterClient.status`` item) on the member."""
    member.insurance_status = InsuranceStatus(answer.get("insurance_status") or "正常")
    card = answer.get("card_status")
    member.social_card_status = SocialCardStatus(card) if card else None
    employment = answer.get("employment")
    member.employment_status = EmploymentStatus(employment) if employment else None
    retired_on = answer.get("retired_on")
    if answer.get("retired"):
        # retired, date not given (contracts.md: retired_on is optional): retired by today at
        # the latest, so never taken for someone still working (enrolment, statistics)
        member.retired_on = date.fromisoformat(retired_on) if retired_on else today_in_china()
    else:
        member.retired_on = None
    member.social_checked_at = utcnow()
