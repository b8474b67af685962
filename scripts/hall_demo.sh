#!/usr/bin/env bash
# 服务大厅（公众号 H5）的登录与绑定手机（对着 `make run`）：公众号网页授权 → 短信验证码绑定手机；
# 在册会员从服务大厅进来，就是小程序里的同一个账号。需要 curl 和 python3。
set -euo pipefail
PORT=${PORT:-5000}
M=http://127.0.0.1:$PORT/api/miniapp/v1
SMS=http://127.0.0.1:${SMS_PORT:-$((PORT + 105))}
J='Content-Type: application/json'
py() { python3 -c "import sys,json;d=json.load(sys.stdin);print($1)"; }
query() { python3 -c "import sys,urllib.parse as u;print(u.parse_qs(u.urlsplit(sys.argv[1]).query)['$1'][0])" "$2"; }
JAR=$(mktemp)                        # 浏览器的 cookie：state 只对发起授权的这个浏览器有效
trap 'rm -f "$JAR"' EXIT
RUN=${RUN:-$(date +%s)}

# 登录：授权地址 → 微信授权页（沙箱，person=演示用户）跳回服务大厅，带 code 和 state → 换令牌
hall_login() {
  local url back
  url=$(curl -s -c "$JAR" "$M/auth/oauth/authorize-url?redirect=http://127.0.0.1:$PORT/hall/" | py 'd["url"].split("#")[0]')
  back=$(curl -s -o /dev/null -w '%{redirect_url}' "$url&person=$1")
  CODE=$(query code "$back"); STATE=$(query state "$back")
  LOGIN=$(curl -s -b "$JAR" -c "$JAR" "$M/auth/oauth" -H "$J" -d "{\"code\":\"$CODE\",\"state\":\"$STATE\"}")
}

# 1. 一位新用户从公众号菜单进入服务大厅（每次运行是另一个人）
hall_login "demo-hall-new-$RUN"
echo "$LOGIN" | py '"新用户：已绑定", d["bound"], "已是会员", d["is_member"]'
AUTH="Authorization: Bearer $(echo "$LOGIN" | py 'd["token"]')"

# 2. 同一个 code 再换一次：拒绝（state 只能用一次，code 在微信也只能换一次）
curl -s -b "$JAR" "$M/auth/oauth" -H "$J" -d "{\"code\":\"$CODE\",\"state\":\"$STATE\"}" | py '"再次使用：", d["message"]'

# 3. 绑定手机：发 6 位短信验证码（5 分钟有效，同一手机号每分钟 1 条、每天 10 条）
MOBILE=1391234${RUN: -4}
curl -s "$M/me/phone/sms" -H "$AUTH" -H "$J" -d "{\"mobile\":\"$MOBILE\"}"; echo
curl -s "$M/me/phone/sms" -H "$AUTH" -H "$J" -d "{\"mobile\":\"$MOBILE\"}" | py '"马上再发：", d["message"]'
#    短信沙箱记下了“发出”的短信（演示时也可以打开 $SMS/sandbox/sms 查看）
SMS_CODE=$(curl -s "$SMS/sandbox/messages?mobile=$MOBILE" | py 'd["messages"][0]["params"][0]')
curl -s "$M/me/phone" -H "$AUTH" -H "$J" -d "{\"mobile\":\"$MOBILE\",\"sms_code\":\"$SMS_CODE\"}"; echo
curl -s "$M/me/phone" -H "$AUTH" -H "$J" -d "{\"mobile\":\"$MOBILE\",\"sms_code\":\"$SMS_CODE\"}" | py '"验证码再用一次：", d["message"]'

# 4. 在册会员（演示数据里在小程序登录并实名过）从服务大厅进来：按 unionid 找到同一个账号
hall_login demo-hall-member
echo "$LOGIN" | py '"在册会员：已绑定", d["bound"], "已是会员", d["is_member"]'
curl -s "$M/me" -H "Authorization: Bearer $(echo "$LOGIN" | py 'd["token"]')" \
  | py 'd["profile"]["name"], d["profile"]["mobile"], d["membership"]["union"], d["membership"]["member_no"]'
