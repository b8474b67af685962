#!/usr/bin/env bash
# `make run`: migrate, load the demo, start the loopback sandboxes (bank, registers, WeChat),
# then serve the app on 127.0.0.1:$PORT. Ctrl-C stops everything.
set -euo pipefail
PORT=${PORT:-5000}
BANK_PORT=${BANK_PORT:-$((PORT + 101))}
REGISTERS_PORT=${REGISTERS_PORT:-$((PORT + 102))}
WECHAT_PORT=${WECHAT_PORT:-$((PORT + 103))}
WECHATPAY_PORT=${WECHATPAY_PORT:-$((PORT + 104))}
SMS_PORT=${SMS_PORT:-$((PORT + 105))}
export FLASK_APP=wsgi.py
export UNIONCARD_BANK_API_URL=http://127.0.0.1:$BANK_PORT
export UNIONCARD_POPULATION_API_URL=http://127.0.0.1:$REGISTERS_PORT/population
export UNIONCARD_SOCIAL_SECURITY_API_URL=http://127.0.0.1:$REGISTERS_PORT/social-security
export UNIONCARD_WECHAT_API_BASE_URL=http://127.0.0.1:$WECHAT_PORT
export UNIONCARD_WECHATPAY_API_BASE_URL=http://127.0.0.1:$WECHATPAY_PORT
export UNIONCARD_WECHATPAY_NOTIFY_URL=http://127.0.0.1:$PORT/api/integrations/wechatpay/v1/notify
# 服务大厅: web authorization, SMS and the pay sheet on their sandboxes
export UNIONCARD_HALL_URL=http://127.0.0.1:$PORT/hall/
export UNIONCARD_WECHAT_OAUTH_BASE_URL=http://127.0.0.1:$WECHAT_PORT/connect/
export UNIONCARD_SMS_API_ENDPOINT=127.0.0.1:$SMS_PORT
export UNIONCARD_SMS_API_SCHEME=http
export UNIONCARD_HALL_PAY_SHEET_URL=http://127.0.0.1:$WECHATPAY_PORT/sandbox/pay-sheet

.venv/bin/flask db upgrade
.venv/bin/flask demo seed
.venv/bin/python -m integrations.sandboxes --bank-port "$BANK_PORT" \
  --registers-port "$REGISTERS_PORT" --wechat-port "$WECHAT_PORT" --wechatpay-port "$WECHATPAY_PORT" --sms-port "$SMS_PORT" --callback-base-url "http://127.0.0.1:$PORT" \
  --result-delay "${BANK_RESULT_DELAY:-20}" --event-delay "${BANK_EVENT_DELAY:-10}" &
SANDBOXES=$!
trap 'kill $SANDBOXES 2>/dev/null || true' EXIT INT TERM
.venv/bin/flask demo banner --port "$PORT"
echo "  银行沙箱    $UNIONCARD_BANK_API_URL"
echo "  核验沙箱    http://127.0.0.1:$REGISTERS_PORT （人口库 /population，人保库 /social-security）"
echo "  微信沙箱    $UNIONCARD_WECHAT_API_BASE_URL （登录 code 用 demo-任意字符，手机号 code 用 phone-13812345678）"
echo "  微信支付沙箱 $UNIONCARD_WECHATPAY_API_BASE_URL （付款：POST /sandbox/pay/<out_trade_no>）"
echo "  短信沙箱    http://127.0.0.1:$SMS_PORT/sandbox/sms （服务大厅绑定手机的验证码在此查看）"
echo "  服务大厅    $UNIONCARD_HALL_URL （微信授权页为沙箱页面，可选演示用户）"
echo
echo "演示脚本（另开终端）：PORT=$PORT bash scripts/insurance_demo.sh   集中参保全流程"
echo "                      PORT=$PORT bash scripts/miniapp_demo.sh     会员在小程序里的完整路径"
echo
.venv/bin/flask run --host 127.0.0.1 --port "$PORT" --no-reload
