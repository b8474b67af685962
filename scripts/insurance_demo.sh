#!/usr/bin/env bash
# 2025 年式的集中参保（seed 002），对着 `make run` 走一遍：职保中心的保障类型与时间 → 区局保障金额设置 →
# 基层工会会员卡参保（待确认名单、退休预警、确认画面、提交、告知书）→ 社保卡参保（获取社保卡和就业状态、
# 待提交、勾选提交）→ 另一单位提交 → 区局退回一家、该单位看到原因后重新提交 → 区局添加至待提交、在时间段内
# 提交至职保中心（区局告知书）→ 上传缴费凭证 → 职保中心确认（已完成）→ 实时监控与统计表。
# 需要 curl 和 python3。一份演示数据只能完整走一次：再次运行时说明已经演示过、怎样从头再来，不改动数据；
# 任何一步被服务拒绝时打印服务的中文答复并停下。
# 下载的告知书、凭证和统计表放在 $OUT（默认新建的临时目录）。
set -euo pipefail
PORT=${PORT:-5000}
A=http://127.0.0.1:$PORT/api/admin/v1
I=$A/insurance
J='Content-Type: application/json'
AGAIN="要从头再演示：在 make run 的终端按 Ctrl-C 停止，然后运行 make clean && make run。"
# py EXPR: print EXPR of the JSON answer on stdin (d); an empty answer (the call failed) prints nothing
py() { python3 -c "import sys,json
raw = sys.stdin.read()
if not raw.strip(): sys.exit(1)
d = json.loads(raw)
print($1)"; }
# call CURL-ARGS...: the answer on stdout; a refusal prints the server's message and fails the step
call() {
  local answer status
  answer=$(curl -s -w '\n%{http_code}' "$@") || { echo "连不上 $A：请先 make run（PORT=$PORT）" >&2; return 1; }
  status=${answer##*$'\n'}
  answer=${answer%$'\n'*}
  if [ "$status" -ge 400 ]; then
    echo "服务答复（HTTP $status）：$(printf '%s' "$answer" | py 'd.get("message", d)' 2>/dev/null || printf '%s' "$answer")" >&2
    [ "$status" != 409 ] || echo "$AGAIN" >&2
    return 1
  fi
  printf '%s' "$answer"
}
# download URL FILE CURL-ARGS...: a PDF or xlsx saved to FILE
download() {
  local url=$1 file=$2 status; shift 2
  status=$(curl -s -o "$file" -w '%{http_code}' "$url" "$@")
  [ "$status" -lt 400 ] || { echo "下载失败（HTTP $status）：$(py 'd.get("message", d)' < "$file")" >&2; return 1; }
}
login() { call $A/auth/login -H "$J" -d "{\"username\":\"$1\",\"password\":\"Demo@2026\"}" | py 'd["token"]'; }
JM="Authorization: Bearer $(login jm_operator)"
YEAR=$(($(TZ=Asia/Shanghai date +%Y) + 1))   # the insurance year: next year, Beijing time
# this demo data has been through the demo already: say so, change nothing
DONE=$(call "$I/submissions?year=$YEAR" -H "$JM" | py '", ".join(s["submission_no"] for s in d)')
if [ -n "$DONE" ]; then
  echo "这份演示数据已经演示过：建明工会已提交 $YEAR 年度集中参保（$DONE），服务不会重复参保。"
  echo "$AGAIN"
  exit 0
fi
OUT=${OUT:-$(mktemp -d "${TMPDIR:-/tmp}/unioncard-insurance-demo.XXXXXX")}
mkdir -p "$OUT"
echo "下载的文件存放在：$OUT"
CENTER="Authorization: Bearer $(login center)"
YP="Authorization: Bearer $(login yp_admin)"
YPR="Authorization: Bearer $(login yp_reviewer)"
GH="Authorization: Bearer $(login gh_operator)"

echo "== 1. 职保中心：保障类型与集中参保时间（演示数据已设好）"
PLAN=$(call "$I/plans?year=$YEAR" -H "$CENTER" | py 'd[0]["plan"]["id"]')
call "$I/plans?year=$YEAR" -H "$CENTER" | py '[(p["plan"]["name"], p["plan"]["fee"], p["shares"]) for p in d]'
call "$I/campaigns?year=$YEAR" -H "$CENTER" | py 'd[0]'

echo "== 2. 杨浦区局：保障金额设置（设置时间内；市总划拨不变，区局 10 元、基层 3 元）"
call -X PUT $I/splits -H "$YP" -H "$J" \
  -d "{\"plan_id\":$PLAN,\"district_share\":\"10.00\",\"grassroots_share\":\"3.00\"}" | py 'd["shares"]'

echo "== 3. 建明工会：会员卡集中参保"
JM_ORG=$(call $A/auth/me -H "$JM" | py 'd["org_id"]')
U=$I/unions/$JM_ORG
call "$U/collective/stats?year=$YEAR" -H "$JM" | py 'd["line"]'
call "$U/collective/to-confirm?year=$YEAR" -H "$JM" | py '[(m["name"], m["id_number"]) for m in d]'
call -X POST $U/collective/confirmations/all -H "$JM" -H "$J" -d "{\"year\":$YEAR}" | py 'd["message"]'
# 退休预警：按出生日期在保障年度前达到法定退休年龄（含 2025 年起渐进式延迟退休）的持卡会员，提交时排除
WARN=$(call "$U/collective/retirement-warnings?year=$YEAR&page_size=100" -H "$JM" \
  | py '[m["member_id"] for m in d if m["card_status"]]')
echo "退休预警（排除）：$WARN"
BODY="{\"kind\":\"会员卡参保\",\"plan_id\":$PLAN,\"year\":$YEAR,\"exclude_member_ids\":$WARN}"
call -X POST $U/collective/preview -H "$JM" -H "$J" -d "$BODY" \
  | py 'd["summary"] + "\n" + d["payment_text"] + "\n" + d["confirm_text"]'
call -X POST $U/collective/submit -H "$JM" -H "$J" -d "$BODY" \
  | py 'd["submission_no"], d["status"], d["member_count"], d["fee_total"]'

echo "== 4. 建明工会：社保卡集中参保"
call -X POST $U/social/checks -H "$JM" -H "$J" -d "{\"year\":$YEAR}" | py 'd["status"], "预计返回", d["expected_by"]'
sleep 3
call "$I/social/checks" -H "$JM" | py '[(c["status"], c["answered_count"]) for c in d][:1]'
call "$U/social/to-check?year=$YEAR&page_size=100" -H "$JM" | py '[(m["name"], m["reason"]) for m in d]'
IDS=$(call "$U/social/to-submit?year=$YEAR&page_size=100" -H "$JM" \
  | py '[m["member_id"] for m in d if not m["retirement_warning"]]')
call -X POST $U/social/submit -H "$JM" -H "$J" -d "{\"plan_id\":$PLAN,\"year\":$YEAR,\"member_ids\":$IDS}" \
  | py 'd["submission_no"], d["kind"], d["member_count"]'
NOTICE=$(call "$I/notices?year=$YEAR" -H "$JM" | py 'd[0]["id"]')
download "$I/notices/$NOTICE/pdf" "$OUT/jianming-notice.pdf" -H "$JM" && echo "告知书已下载：$OUT/jianming-notice.pdf"

echo "== 5. 国华工会：会员卡集中参保"
GH_ORG=$(call $A/auth/me -H "$GH" | py 'd["org_id"]')
call -X POST $I/unions/$GH_ORG/collective/confirmations/all -H "$GH" -H "$J" -d "{\"year\":$YEAR}" >/dev/null
call -X POST $I/unions/$GH_ORG/collective/submit -H "$GH" -H "$J" \
  -d "{\"kind\":\"会员卡参保\",\"plan_id\":$PLAN,\"year\":$YEAR}" | py 'd["submission_no"], d["member_count"]'

echo "== 6. 杨浦区局：集中参保审核，退回国华（须填原因）"
call "$I/review/pending?year=$YEAR" -H "$YPR" | py '[(s["id"], s["org_name"], s["kind"], s["member_count"]) for s in d]'
GH_SUB=$(call "$I/review/pending?year=$YEAR" -H "$YPR" | py "[s['id'] for s in d if s['org_id']==$GH_ORG][0]")
call -X POST $I/review/submissions/$GH_SUB/return -H "$YPR" -H "$J" \
  -d '{"reason":"参保费用尚未划入区局账户，请划款后重新提交"}' | py 'd["status"], d["return_reason"]'
call $I/messages -H "$GH" | py '[m["body"] for m in d]'
call -X POST $I/unions/$GH_ORG/collective/submit -H "$GH" -H "$J" \
  -d "{\"kind\":\"会员卡参保\",\"plan_id\":$PLAN,\"year\":$YEAR}" | py '"重新提交", d["submission_no"], d["status"]'

echo "== 7. 杨浦区局：添加至待提交，在时间段内提交至职保中心"
IDS=$(call "$I/review/pending?year=$YEAR" -H "$YPR" | py '[s["id"] for s in d]')
call -X POST $I/review/accept -H "$YPR" -H "$J" -d "{\"submission_ids\":$IDS}" >/dev/null
call "$I/review/accepted/totals?year=$YEAR" -H "$YPR" | py 'd'
BATCH=$(call -X POST $I/review/submit -H "$YPR" -H "$J" \
  -d "{\"year\":$YEAR,\"handler_name\":\"王芳\",\"handler_phone\":\"13812345678\",\"handler_email\":\"wangfang@example.cn\"}" \
  | py 'd["id"]')
call $I/batches/$BATCH -H "$YPR" | py 'd["batch_no"], d["status"], d["member_count"], d["payment_deadline"], d["handler_phone"]'
download $I/batches/$BATCH/notice "$OUT/district-notice.pdf" -H "$YPR" && echo "区局告知书已下载：$OUT/district-notice.pdf"

echo "== 8. 杨浦区局：上传缴费凭证（图片或 PDF，按内容校验）"
python3 - "$OUT/voucher.png" <<'EOF'
import sys
import struct, zlib
def chunk(kind, data):
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
raw = b"".join(b"\x00" + b"\xff" * 3 * 64 for _ in range(32))  # a white 64x32 image
png = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 64, 32, 8, 2, 0, 0, 0))
png += chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b"")
open(sys.argv[1], "wb").write(png)
EOF
call -X POST $I/batches/$BATCH/voucher -H "$YPR" -F "file=@$OUT/voucher.png" -F filename=杨浦区集中参保划款凭证 \
  | py 'd["status"], d["voucher_uploaded_at"]'

echo "== 9. 职保中心：确认批次（已完成），实时监控，下载统计表"
call -X POST $I/batches/$BATCH/confirm -H "$CENTER" | py 'd["status"], d["confirmed_by_name"]'
call "$I/monitor?year=$YEAR" -H "$CENTER" | py 'd["by_status"]'
download $I/batches/$BATCH/statistics "$OUT/statistics.xlsx" -H "$CENTER" && echo "统计表已下载：$OUT/statistics.xlsx"
call "$I/coverage?year=$YEAR&page_size=3" -H "$CENTER" | py '[(c["name"], c["id_number"], c["status"]) for c in d]'
