#!/usr/bin/env bash
# 2025 年式的集中参保（seed 002），对着 `make run` 走一遍：职保中心的保障类型与时间 → 区局保障金额设置 →
# 基层工会会员卡参保（待确认名单、退休预警、确认画面、提交、告知书）→ 社保卡参保（获取社保卡和就业状态、
# 待提交、勾选提交）→ 另一单位提交 → 区局退回一家、该单位看到原因后重新提交 → 区局添加至待提交、在时间段内
# 提交至职保中心（区局告知书）→ 上传缴费凭证 → 职保中心确认（已完成）→ 实时监控与统计表。
# 需要 curl 和 python3；只在新载入的演示数据上运行一次（重复运行会因“已参保”被拒绝）。
set -euo pipefail
PORT=${PORT:-5000}
A=http://127.0.0.1:$PORT/api/admin/v1
I=$A/insurance
J='Content-Type: application/json'
py() { python3 -c "import sys,json;d=json.load(sys.stdin);print($1)"; }
login() { curl -s $A/auth/login -H "$J" -d "{\"username\":\"$1\",\"password\":\"Demo@2026\"}" | py 'd["token"]'; }
CENTER="Authorization: Bearer $(login center)"
YP="Authorization: Bearer $(login yp_admin)"
YPR="Authorization: Bearer $(login yp_reviewer)"
JM="Authorization: Bearer $(login jm_operator)"
GH="Authorization: Bearer $(login gh_operator)"
YEAR=$(($(date +%Y) + 1))

echo "== 1. 职保中心：保障类型与集中参保时间（演示数据已设好）"
PLAN=$(curl -s "$I/plans?year=$YEAR" -H "$CENTER" | py 'd[0]["plan"]["id"]')
curl -s "$I/plans?year=$YEAR" -H "$CENTER" | py '[(p["plan"]["name"], p["plan"]["fee"], p["shares"]) for p in d]'
curl -s "$I/campaigns?year=$YEAR" -H "$CENTER" | py 'd[0]'

echo "== 2. 杨浦区局：保障金额设置（设置时间内；市总划拨不变，区局 10 元、基层 3 元）"
curl -s -X PUT $I/splits -H "$YP" -H "$J" \
  -d "{\"plan_id\":$PLAN,\"district_share\":\"10.00\",\"grassroots_share\":\"3.00\"}" | py 'd["shares"]'

echo "== 3. 建明工会：会员卡集中参保"
JM_ORG=$(curl -s $A/auth/me -H "$JM" | py 'd["org_id"]')
U=$I/unions/$JM_ORG
curl -s "$U/collective/stats?year=$YEAR" -H "$JM" | py 'd["line"]'
curl -s "$U/collective/to-confirm?year=$YEAR" -H "$JM" | py '[(m["name"], m["id_number"]) for m in d]'
curl -s -X POST $U/collective/confirmations/all -H "$JM" -H "$J" -d "{\"year\":$YEAR}" | py 'd["message"]'
# 退休预警：按出生日期在保障年度前达到法定退休年龄（含 2025 年起渐进式延迟退休）的持卡会员，提交时排除
WARN=$(curl -s "$U/collective/retirement-warnings?year=$YEAR&page_size=100" -H "$JM" \
  | py '[m["member_id"] for m in d if m["card_status"]]')
echo "退休预警（排除）：$WARN"
BODY="{\"kind\":\"会员卡参保\",\"plan_id\":$PLAN,\"year\":$YEAR,\"exclude_member_ids\":$WARN}"
curl -s -X POST $U/collective/preview -H "$JM" -H "$J" -d "$BODY" \
  | py 'd["summary"] + "\n" + d["payment_text"] + "\n" + d["confirm_text"]'
curl -s -X POST $U/collective/submit -H "$JM" -H "$J" -d "$BODY" \
  | py 'd["submission_no"], d["status"], d["member_count"], d["fee_total"]'

echo "== 4. 建明工会：社保卡集中参保"
curl -s -X POST $U/social/checks -H "$JM" -H "$J" -d "{\"year\":$YEAR}" | py 'd["status"], "预计返回", d["expected_by"]'
sleep 3
curl -s "$I/social/checks" -H "$JM" | py '[(c["status"], c["answered_count"]) for c in d][:1]'
curl -s "$U/social/to-check?year=$YEAR&page_size=100" -H "$JM" | py '[(m["name"], m["reason"]) for m in d]'
IDS=$(curl -s "$U/social/to-submit?year=$YEAR&page_size=100" -H "$JM" \
  | py '[m["member_id"] for m in d if not m["retirement_warning"]]')
curl -s -X POST $U/social/submit -H "$JM" -H "$J" -d "{\"plan_id\":$PLAN,\"year\":$YEAR,\"member_ids\":$IDS}" \
  | py 'd["submission_no"], d["kind"], d["member_count"]'
NOTICE=$(curl -s "$I/notices?year=$YEAR" -H "$JM" | py 'd[0]["id"]')
curl -s "$I/notices/$NOTICE/pdf" -H "$JM" -o jianming-notice.pdf && echo "告知书已下载：jianming-notice.pdf"

echo "== 5. 国华工会：会员卡集中参保"
GH_ORG=$(curl -s $A/auth/me -H "$GH" | py 'd["org_id"]')
curl -s -X POST $I/unions/$GH_ORG/collective/confirmations/all -H "$GH" -H "$J" -d "{\"year\":$YEAR}" >/dev/null
curl -s -X POST $I/unions/$GH_ORG/collective/submit -H "$GH" -H "$J" \
  -d "{\"kind\":\"会员卡参保\",\"plan_id\":$PLAN,\"year\":$YEAR}" | py 'd["submission_no"], d["member_count"]'

echo "== 6. 杨浦区局：集中参保审核，退回国华（须填原因）"
curl -s "$I/review/pending?year=$YEAR" -H "$YPR" | py '[(s["id"], s["org_name"], s["kind"], s["member_count"]) for s in d]'
GH_SUB=$(curl -s "$I/review/pending?year=$YEAR" -H "$YPR" | py "[s['id'] for s in d if s['org_id']==$GH_ORG][0]")
curl -s -X POST $I/review/submissions/$GH_SUB/return -H "$YPR" -H "$J" \
  -d '{"reason":"参保费用尚未划入区局账户，请划款后重新提交"}' | py 'd["status"], d["return_reason"]'
curl -s $I/messages -H "$GH" | py '[m["body"] for m in d]'
curl -s -X POST $I/unions/$GH_ORG/collective/submit -H "$GH" -H "$J" \
  -d "{\"kind\":\"会员卡参保\",\"plan_id\":$PLAN,\"year\":$YEAR}" | py '"重新提交", d["submission_no"], d["status"]'

echo "== 7. 杨浦区局：添加至待提交，在时间段内提交至职保中心"
IDS=$(curl -s "$I/review/pending?year=$YEAR" -H "$YPR" | py '[s["id"] for s in d]')
curl -s -X POST $I/review/accept -H "$YPR" -H "$J" -d "{\"submission_ids\":$IDS}" >/dev/null
curl -s "$I/review/accepted/totals?year=$YEAR" -H "$YPR" | py 'd'
BATCH=$(curl -s -X POST $I/review/submit -H "$YPR" -H "$J" \
  -d "{\"year\":$YEAR,\"handler_name\":\"王芳\",\"handler_phone\":\"13812345678\",\"handler_email\":\"wangfang@example.cn\"}" \
  | py 'd["id"]')
curl -s $I/batches/$BATCH -H "$YPR" | py 'd["batch_no"], d["status"], d["member_count"], d["payment_deadline"], d["handler_phone"]'
curl -s $I/batches/$BATCH/notice -H "$YPR" -o district-notice.pdf && echo "区局告知书已下载：district-notice.pdf"

echo "== 8. 杨浦区局：上传缴费凭证（图片或 PDF，按内容校验）"
python3 - <<'EOF'
import struct, zlib
def chunk(kind, data):
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
raw = b"".join(b"\x00" + b"\xff" * 3 * 64 for _ in range(32))  # a white 64x32 image
png = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 64, 32, 8, 2, 0, 0, 0))
png += chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b"")
open("voucher.png", "wb").write(png)
EOF
curl -s -X POST $I/batches/$BATCH/voucher -H "$YPR" -F file=@voucher.png -F filename=杨浦区集中参保划款凭证 \
  | py 'd["status"], d["voucher_uploaded_at"]'

echo "== 9. 职保中心：确认批次（已完成），实时监控，下载统计表"
curl -s -X POST $I/batches/$BATCH/confirm -H "$CENTER" | py 'd["status"], d["confirmed_by_name"]'
curl -s "$I/monitor?year=$YEAR" -H "$CENTER" | py 'd["by_status"]'
curl -s $I/batches/$BATCH/statistics -H "$CENTER" -o statistics.xlsx && echo "统计表已下载：statistics.xlsx"
curl -s "$I/coverage?year=$YEAR&page_size=3" -H "$CENTER" | py '[(c["name"], c["id_number"], c["status"]) for c in d]'
