"""The batch roster (办卡清册): a printable PDF, available before the bank's feedback."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from sqlalchemy import select

from ..accounts.scope import Scope
from ..audit import services as audit
from ..extensions import db
from ..members.models import Member
from ..pdf import table_document
from ..security.masking import mask_id_number, mask_mobile
from .batches import get_batch, org_name
from .models import CardBatchMember

SHANGHAI = ZoneInfo("Asia/Shanghai")


def roster_pdf(scope: Scope, batch_id: int, *, ip=None) -> tuple[str, bytes]:
    batch = get_batch(scope, batch_id)
    rows = (
        db.session.execute(
            select(Member)
            .join(CardBatchMember, CardBatchMember.member_id == Member.id)
            .where(CardBatchMember.batch_id == batch.id)
            .order_by(CardBatchMember.id)
        )
        .scalars()
        .all()
    )
    submitted = batch.submitted_at.astimezone(SHANGHAI)
    meta = [
        f"批次编号：{batch.batch_no}　　办理通道：{batch.channel.value}　　"
        f"提交时间：{submitted:%Y-%m-%d %H:%M}　　共 {batch.total} 人",
        f"工会名称：{org_name(batch.org_id)}",
        f"领卡网点：{batch.branch_name}（{batch.branch_code}）　　网点地址：{batch.branch_address}",
    ]
    body = [
        [
            i,
            m.member_no,
            m.name,
            m.id_type,
            mask_id_number(m.id_number),
            m.id_expiry.isoformat() if m.id_expiry else "",
            mask_mobile(m.mobile or ""),
            "",
        ]
        for i, m in enumerate(rows, 1)
    ]
    pdf = table_document(
        "工会会员服务卡办卡清册",
        meta,
        ["序号", "会员编号", "姓名", "证件类型", "证件号码", "证件到期日", "手机号码", "会员签名"],
        body,
        [12, 28, 40, 40, 40, 26, 28, 50],
        [
            "经办人签字：＿＿＿＿＿＿　　工会盖章：＿＿＿＿＿＿　　日期：＿＿＿＿年＿＿月＿＿日",
            "说明：请经办人凭本清册收集会员办卡材料；证件号码、手机号码已脱敏，完整信息以系统为准。",
        ],
    )
    audit.record(
        scope,
        "card.roster_download",
        target_type="card_batch",
        target_ids=[batch.id],
        detail={"batch_no": batch.batch_no},
        ip=ip,
    )
    return f"办卡清册-{batch.batch_no}.pdf", pdf
