#!/usr/bin/env bash
# 会员在小程序里的一条完整路径（对着 `make run`）：登录 → 绑定手机 → 实名 → 申请入会 →
# 工会审核（管理端）→ 申请办卡 → 银行反馈。需要 curl 和 python3。
set -euo pipefail
PORT=${PORT:-5000}
M=http://127.0.0.1:$PORT/api/miniapp/v1
A=http://127.0.0.1:$PORT/api/admin/v1
J='Content-Type: application/json'
py() { python3 -c "import sys,json;d=json.load(sys.stdin);print($1)"; }
# 每次运行是一位新会员：微信 code、手机号和身份证号（顺序码 100-899，按 GB 11643 算校验位）都不同
RUN=${RUN:-$(date +%s)}
ID_NUMBER=$(python3 -c "
s='310110199001'+'01'+str(100+int('$RUN')%800)
w=[7,9,10,5,8,4,2,1,6,3,7,9,10,5,8,4,2]
print(s+'10X98765432'[sum(int(c)*x for c,x in zip(s,w))%11])")

# 1. 微信登录：沙箱里 code 写 demo-任意字符（同一个 code 就是同一个微信用户）
TOKEN=$(curl -s $M/auth/login -H "$J" -d "{\"code\":\"demo-$RUN\"}" | py 'd["token"]')
AUTH="Authorization: Bearer $TOKEN"

# 2. 绑定手机号：沙箱里手机号 code 写 phone-手机号
curl -s $M/me/phone -H "$AUTH" -H "$J" -d "{\"phone_code\":\"phone-1381234${RUN: -4}\"}"; echo

# 3. 实名认证（须先绑定手机号；身份证号按 GB 11643 校验；与会员库姓名、证件一致且会员库手机号为空或与绑定的一致时直接关联会员）
curl -s $M/me/identity -H "$AUTH" -H "$J" \
  -d "{\"name\":\"王小明\",\"id_type\":\"身份证\",\"id_number\":\"$ID_NUMBER\",\"id_expiry\":\"2036-01-01\"}"; echo

# 4. 找一个接收个人入会的工会（杨浦区代码 007），申请入会；带 Idempotency-Key 重复提交只算一次
UNION=$(curl -s -G $M/unions --data-urlencode q=新就业 -d district=007 -H "$AUTH" | py 'd[0]["id"]')
curl -s $M/membership/applications -H "$AUTH" -H "$J" -H "Idempotency-Key: join-$RUN" \
  -d "{\"union_id\":$UNION,\"source\":\"灵活就业\",\"work_unit_address\":\"上海市杨浦区控江路1号\"}"; echo

# 5. 工会经办人审核通过（管理端）：生成会员编号
STAFF=$(curl -s $A/auth/login -H "$J" -d '{"username":"flex_operator","password":"Demo@2026"}' | py 'd["token"]')
APP=$(curl -s -G $A/join-applications --data-urlencode status=待审核 -H "Authorization: Bearer $STAFF" | py 'd[0]["id"]')
curl -s -X POST $A/join-applications/$APP/approve -H "Authorization: Bearer $STAFF" | py 'd["status"], d["member_no"]'
curl -s $M/membership/applications/current -H "$AUTH"; echo

# 6. 申请办卡：选领卡网点，填邮寄地址和证件到期日；普通通道先做系统校验，通过后单独成批发往银行
BRANCH=$(curl -s "$M/branches?district=007" -H "$AUTH" | py 'd[0]["code"]')
curl -s $M/card/applications -H "$AUTH" -H "$J" -H "Idempotency-Key: card-$RUN" \
  -d "{\"branch_code\":\"$BRANCH\",\"mailing_address\":\"上海市杨浦区控江路1号\",\"id_expiry\":\"2036-01-01\"}" \
  | py 'd["status"], d["channel"], d["verification"], d["batch_status"]'

# 7. 银行沙箱约 20 秒后反馈（BANK_RESULT_DELAY）；在此之前（批次“待发送”时）可以取消：
#    curl -s -X POST $M/card/application/cancel -H "$AUTH"
for _ in $(seq 1 40); do
  STATUS=$(curl -s $M/card/application -H "$AUTH" | py 'd["card_status"]')
  echo "办卡状态：$STATUS"
  [ "$STATUS" != "办理中" ] && break
  sleep 2
done
curl -s $M/card/application -H "$AUTH" | py '[(e["action"], e["detail"]) for e in d["log"]]'
curl -s $M/me -H "$AUTH"; echo

# 8. 参加本年度会员专享保障（即时参保：明天起至 12 月 31 日），看到本人应缴金额
PAY=http://127.0.0.1:${WECHATPAY_PORT:-$((PORT + 104))}
YEAR=$(TZ=Asia/Shanghai date +%Y)   # this year, Beijing time
curl -s "$M/insurance/plans?year=$YEAR" -H "$AUTH" \
  | py '[(p["name"], "本人缴费", p["payable"], p["coverage_start"], p["coverage_end"]) for p in d["plans"]]'
PLAN=$(curl -s "$M/insurance/plans?year=$YEAR" -H "$AUTH" | py 'd["plans"][0]["id"]')
ENROL=$(curl -s $M/insurance/enrolments -H "$AUTH" -H "$J" -H "Idempotency-Key: enrol-$RUN" \
  -d "{\"plan_id\":$PLAN,\"year\":$YEAR}")
echo "$ENROL" | py 'd["status"], d["order"]["amount"], d["payment"]["package"]'
TRADE=$(echo "$ENROL" | py 'd["order"]["out_trade_no"]')

# 9. 在微信支付沙箱里“付款”（相当于会员在微信里确认支付）；沙箱随即发来签名加密的支付通知
curl -s -X POST "$PAY/sandbox/pay/$TRADE"; echo
sleep 2
curl -s $M/insurance/enrolments -H "$AUTH" | py '[(e["status"], e["payment_status"], e["covered"]) for e in d]'

# 10. 区局审核员在“即时参保审核”中审核通过 → 已完成，保障生效
RV=$(curl -s $A/auth/login -H "$J" -d '{"username":"yp_reviewer","password":"Demo@2026"}' | py 'd["token"]')
SUB=$(curl -s -G $A/insurance/review/instant -H "Authorization: Bearer $RV" | py '[s["id"] for s in d if s["kind"]=="个人参保"][0]')
curl -s $A/insurance/review/instant/approve -H "Authorization: Bearer $RV" -H "$J" \
  -d "{\"submission_ids\":[$SUB]}" | py '[(b["batch_no"], b["status"]) for b in d]'
curl -s $M/insurance/enrolments -H "$AUTH" | py '[(e["status"], e["start_date"], e["end_date"], e["covered"], e["in_force"]) for e in d]'
curl -s $M/insurance/payouts -H "$AUTH"; echo
curl -s $M/me -H "$AUTH" | py 'd["coverage"]'
