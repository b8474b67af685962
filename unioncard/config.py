"""Configuration: a default class, overridden by ``UNIONCARD_*`` environment variables.

Every setting below can be set from the environment with the ``UNIONCARD_`` prefix
(``UNIONCARD_DATABASE_URL`` ...). ``DATABASE_URL``, ``REDIS_URL`` and ``PORT`` are also read
without the prefix because every hosting platform sets them that way.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

PREFIX = "UNIONCARD_"
UNPREFIXED = ("DATABASE_URL", "REDIS_URL")
ROOT = Path(__file__).resolve().parent.parent

# Development keys: fixed so that `make run` works on a fresh clone. Production refuses them.
DEV_DATA_KEYS = {"dev1": "ZGV2LWtleS0xLWRvLW5vdC11c2UtaW4tcHJvZHVjdGk="}
DEV_BLIND_INDEX_KEY = "ZGV2LWJsaW5kLWluZGV4LWtleS1ub3QtZm9yLXByb2Q="
DEV_SECRET_KEY = "dev-secret-key-not-for-production"
DEV_WECHATPAY_MCH_ID = "1900000109"
DEV_WECHATPAY_APIV3_KEY = "dev-apiv3-key-not-for-production"
_WECHATPAY_DEV_KEYS = ROOT / "integrations" / "wechatpay" / "dev_keys"


def _dev_pem(name: str) -> str:
    """A development-only WeChat Pay key committed for the sandbox (see its README)."""
    path = _WECHATPAY_DEV_KEYS / name
    return path.read_text() if path.exists() else ""


class ConfigError(RuntimeError):
    """A setting is missing or unsafe; raised at start-up."""


class Config:
    ENV = "development"  # development | testing | production
    SECRET_KEY = DEV_SECRET_KEY
    DATABASE_URL = f"sqlite:///{ROOT / 'var' / 'unioncard.db'}"
    # Empty: in-memory stores and in-process task running (embedded default).
    REDIS_URL = ""
    CELERY_BROKER_URL = ""  # defaults to REDIS_URL
    CELERY_TASK_ALWAYS_EAGER = None  # None: eager when there is no broker
    # Degrade quickly: a dependency that refuses or hangs answers 503 within ~2 s
    REDIS_CONNECT_TIMEOUT = 0.5  # seconds
    REDIS_SOCKET_TIMEOUT = 1.0  # seconds to read an answer
    DATABASE_CONNECT_TIMEOUT = 2  # seconds (PostgreSQL)
    # a pooled connection idle longer than this is pinged before use (PostgreSQL); a busy one
    # is only checked locally for a close by the server (unioncard._check_out_alive)
    DATABASE_PING_AFTER_IDLE = 10  # seconds
    # Planner settings of the app's PostgreSQL sessions: no JIT (OLTP work; it costs ~170 ms
    # on an aggregate that runs in tens of milliseconds), and random reads priced as what they
    # are when the hot data is cached or on SSD (PostgreSQL's default 4 prices a spinning
    # disk and, for a district's list counted over its 3,000 unions, chose a 124 ms sequential
    # scan over a 5 ms index scan). Empty: the server's own settings.
    DATABASE_SESSION_OPTIONS = "-c jit=off -c random_page_cost=1.1"
    # Rows an admin list counts for its total at most; beyond: "10,000+" (total_capped)
    LIST_COUNT_CAP = 10_000

    # Observability (unioncard/observability): logs, metrics, readiness, error reports
    LOG_FORMAT = ""  # json | text; empty: json in production, text otherwise
    LOG_LEVEL = "INFO"
    METRICS_TOKEN = ""  # bearer token of GET /metrics; empty: /metrics answers 404
    SENTRY_DSN = ""  # empty: no error reporting
    READY_WORKER_MAX_AGE = 30  # seconds: no worker heartbeat this recent -> not ready
    READY_OUTBOX_MAX_AGE = 1800  # seconds: a bank message waiting this long -> not ready
    READY_CHECK_WORKER = None  # None: when TASK_MODE is celery
    HSTS_SECONDS = 31536000  # production only

    # Personal data (PIPL): AES-256-GCM keys by key id, the id used for new writes,
    # and the HMAC key of the blind index. Keys are base64 of 32 bytes.
    DATA_KEYS = DEV_DATA_KEYS
    DATA_KEY_ID = "dev1"
    BLIND_INDEX_KEY = DEV_BLIND_INDEX_KEY

    # Staff sessions
    TOKEN_TTL_SECONDS = 8 * 3600
    LOGIN_MAX_FAILURES = 5
    LOGIN_LOCK_SECONDS = 15 * 60  # also the window in which failures add up
    LOGIN_CAPTCHA_AFTER = 2  # failures of one username before a captcha is required
    LOGIN_CAPTCHA_AFTER_IP = 5  # failures from one IP (any usernames) before the same
    LOGIN_IP_LIMIT = 30  # login attempts per IP per window; more get 429
    LOGIN_IP_WINDOW = 60  # seconds
    # password checks at once per process (half the cores: the rest keep answering); up to
    # LOGIN_HASH_QUEUE more wait LOGIN_HASH_WAIT_MS for one; the others get 503 at once
    LOGIN_HASH_CONCURRENCY = max(1, (os.cpu_count() or 2) // 2)
    LOGIN_HASH_QUEUE = 4
    LOGIN_HASH_WAIT_MS = 1000
    CAPTCHA_TTL_SECONDS = 300
    CAPTCHA_LIMIT = 30  # captcha images per IP per LOGIN_IP_WINDOW
    # A code every captcha accepts: tests and demos only; production refuses to start with one
    CAPTCHA_BYPASS = ""
    PASSWORD_MIN_LENGTH = 8
    ARGON2_TIME_COST = 3
    ARGON2_MEMORY_COST = 65536

    # Member import limits
    IMPORT_MAX_BYTES = 10 * 1024 * 1024
    IMPORT_MAX_UNCOMPRESSED_BYTES = 400 * 1024 * 1024
    IMPORT_MAX_RATIO = 200
    IMPORT_MAX_ROWS = 100_000
    EXPORT_MAX_ROWS = 10_000  # 导出: rows of one xlsx; above it the clerk narrows the filter

    # Card issuance: the bank's printable names, the partner bank and the registers
    CARD_NAME_CHARSET = "gbk"  # names outside it go to the special channel
    CARD_NAME_MAX_LENGTH = 15
    CARD_HANDOUT_WORKING_DAYS = 5
    # Official-calendar corrections for years the chinese-calendar package does not know yet
    EXTRA_HOLIDAYS: tuple = ()
    EXTRA_WORKDAYS: tuple = ()
    BANK_API_URL = "http://127.0.0.1:5101"
    BANK_CLIENT_ID = "UNIONCARD"  # our id and secret for calls to the bank
    BANK_CLIENT_SECRET = "dev-union-secret-to-bank"
    BANK_CALLBACK_SECRETS = {"BOC-SH": "dev-bank-secret-to-union"}  # each bank's own secret
    BANK_CALLBACK_WINDOW_SECONDS = 300
    BANK_OUTBOX_MAX_ATTEMPTS = 12
    POPULATION_API_URL = "http://127.0.0.1:5102/population"
    SOCIAL_SECURITY_API_URL = "http://127.0.0.1:5102/social-security"
    REGISTER_CHUNK_SIZE = 500

    # Insurance: the account of 职保中心 printed on the district notice (区局告知书)
    INSURANCE_CENTER_ACCOUNT_NAME = "上海市职工保障互助中心会员专享保障专户"
    INSURANCE_CENTER_ACCOUNT_NO = "316023-03002745697"
    INSURANCE_CENTER_BANK = "上海银行人民广场支行"
    INSURANCE_INSTANT_PAYMENT_WORKDAYS = 10  # 即时参保: working days to pay after approval
    INSURANCE_DISTRICT_PAYMENT_WORKDAYS = 5  # 集中参保: working days to pay after 提交至职保中心
    INSURANCE_VOUCHER_MAX_BYTES = 5 * 1024 * 1024  # 缴费凭证 upload limit

    # WeChat mini-program (小程序): login, phone number, subscribe messages
    WECHAT_APP_ID = "wxdemo0000000000"
    WECHAT_APP_SECRET = "dev-wechat-secret"
    WECHAT_API_BASE_URL = "https://api.weixin.qq.com"
    WECHAT_TIMEOUT = 10  # seconds, every call (the access token's included)
    MINIAPP_TOKEN_TTL = 7 * 24 * 3600  # member session tokens
    MINIAPP_LOGIN_LIMIT = 20  # logins per IP per window
    MINIAPP_POST_LIMIT = 30  # POSTs per member per window
    MINIAPP_RATE_WINDOW = 60  # seconds

    # WeChat Pay API v3 (微信支付), JSAPI payments of the members' personal insurance. The
    # defaults are development values for the loopback sandbox; production refuses them.
    WECHATPAY_API_BASE_URL = "https://api.mch.weixin.qq.com"
    WECHATPAY_MCH_ID = DEV_WECHATPAY_MCH_ID
    WECHATPAY_MCH_SERIAL = "DEV0MERCHANT0SERIAL0000000000000000000001"  # 商户API证书序列号
    WECHATPAY_PRIVATE_KEY = _dev_pem("merchant_private_key.pem")  # 商户API证书私钥 (PEM)
    WECHATPAY_PLATFORM_PUBLIC_KEY = _dev_pem("platform_public_key.pem")  # 微信支付公钥 (PEM)
    WECHATPAY_PLATFORM_SERIAL = "PUB_KEY_ID_DEV0000000000000000000001"  # 微信支付公钥ID
    WECHATPAY_APIV3_KEY = DEV_WECHATPAY_APIV3_KEY  # 32 characters
    WECHATPAY_NOTIFY_URL = "http://127.0.0.1:5000/api/integrations/wechatpay/v1/notify"
    WECHATPAY_REFUND_NOTIFY_URL = ""  # empty: NOTIFY_URL's sibling …/refund-notify
    WECHATPAY_TIMEOUT = 10  # seconds to read an answer
    WECHATPAY_ORDER_TTL_MINUTES = 30  # an unpaid order is closed after this
    # Subscribe-message templates (订阅消息模板ID) by topic; empty: that topic is not sent
    WECHAT_SUBSCRIBE_TEMPLATES = {"card": "dev-tmpl-card-status", "insurance": "dev-tmpl-insurance"}
    WECHAT_SUBSCRIBE_PAGES = {"card": "pages/card/index", "insurance": "pages/insurance/index"}

    # 服务大厅 (the official account's H5 pages, issue 14): web login, SMS, H5 payment
    WECHAT_OA_APP_ID = "wxdemooa00000000"  # 公众号 AppID
    WECHAT_OA_APP_SECRET = "dev-wechat-oa-secret"
    WECHAT_OAUTH_BASE_URL = "https://open.weixin.qq.com/connect/"  # where browsers authorize
    HALL_URL = "http://127.0.0.1:5000/hall/"  # the hall's public address (OAuth, pay return)
    HALL_OAUTH_STATE_TTL = 600  # seconds a login's state (bound to the browser) is valid
    # Official-account template messages (模板消息) by topic; empty: that topic is not sent
    WECHAT_OA_TEMPLATES = {"card": "dev-oa-tmpl-card", "insurance": "dev-oa-tmpl-insurance"}
    # The page that stands in for WeChat's pay sheet outside WeChat: the sandbox's, in the
    # demo and the tests only (production refuses any value)
    HALL_PAY_SHEET_URL = ""
    # SMS (腾讯云短信 SendSms, API 2021-01-11): the hall's phone binding codes
    SMS_API_ENDPOINT = "sms.tencentcloudapi.com"  # host[:port]
    SMS_API_SCHEME = "https"
    SMS_REGION = "ap-guangzhou"
    SMS_SECRET_ID = "dev-sms-secret-id"
    SMS_SECRET_KEY = "dev-sms-secret-key"
    SMS_SDK_APP_ID = "1400000000"  # 短信应用 SdkAppId
    SMS_SIGN_NAME = "申工社"  # 短信签名
    SMS_TEMPLATE_ID = "100000"  # 模板：验证码{1}，{2}分钟内有效…
    SMS_TIMEOUT = 10  # seconds
    SMS_CODE_TTL = 300  # a code is valid 5 minutes
    SMS_INTERVAL = 60  # one code a minute per mobile
    SMS_DAILY_LIMIT = 10  # codes a day per mobile (Shanghai day)
    SMS_IP_LIMIT = 20  # codes per IP per SMS_IP_WINDOW
    SMS_IP_WINDOW = 3600
    SMS_MAX_WRONG = 5  # wrong tries of one code; then it is void

    # API docs, served with local assets (intranets often have no internet)
    API_TITLE = "工会会员服务卡平台 API"
    API_VERSION = "v1"
    OPENAPI_VERSION = "3.0.3"
    OPENAPI_URL_PREFIX = "/"
    OPENAPI_JSON_PATH = "openapi.json"
    OPENAPI_SWAGGER_UI_PATH = "docs"
    OPENAPI_SWAGGER_UI_URL = "/static/swagger-ui/"
    # no online validator badge (validator.swagger.io): everything the docs load is local
    OPENAPI_SWAGGER_UI_CONFIG = {"validatorUrl": None}
    API_SPEC_OPTIONS = {
        "info": {
            "description": "工会会员服务卡平台：管理端与小程序接口。错误统一为 {code,status,message,errors}。"
        },
    }
    MAX_CONTENT_LENGTH = 12 * 1024 * 1024
    JSON_AS_ASCII = False

    # Demo
    DEMO_PASSWORD = "Demo@2026"


def _coerce(current, raw: str):
    if isinstance(current, bool) or current is None and raw.lower() in ("true", "false"):
        return raw.strip().lower() in ("1", "true", "yes", "on")
    if isinstance(current, int) and not isinstance(current, bool):
        return int(raw)
    if isinstance(current, float):
        return float(raw)
    if isinstance(current, dict):
        return json.loads(raw)
    if isinstance(current, tuple):  # comma-separated list, e.g. 2027-01-01,2027-02-16
        return tuple(part.strip() for part in raw.split(",") if part.strip())
    return raw


def load_config(overrides: dict | None = None, environ: dict | None = None) -> dict:
    """Default class, then the environment, then explicit overrides (tests)."""
    environ = os.environ if environ is None else environ
    values = {k: getattr(Config, k) for k in dir(Config) if k.isupper()}
    for key, current in list(values.items()):
        raw = environ.get(PREFIX + key)
        if raw is None and key in UNPREFIXED:
            raw = environ.get(key)
        if raw is not None:
            values[key] = _coerce(current, raw)
    values.update(overrides or {})
    if values["DATABASE_URL"].startswith("postgres://"):
        values["DATABASE_URL"] = "postgresql://" + values["DATABASE_URL"][len("postgres://") :]
    if values["DATABASE_URL"].startswith("postgresql://"):
        values["DATABASE_URL"] = (
            "postgresql+psycopg://" + values["DATABASE_URL"][len("postgresql://") :]
        )
    values["SQLALCHEMY_DATABASE_URI"] = values["DATABASE_URL"]
    if not values["CELERY_BROKER_URL"]:
        values["CELERY_BROKER_URL"] = values["REDIS_URL"]
    if values["CELERY_TASK_ALWAYS_EAGER"] is None:
        values["CELERY_TASK_ALWAYS_EAGER"] = not values["CELERY_BROKER_URL"]
    check_production(values)
    return values


def check_production(values: dict) -> None:
    """Fail fast: production must not run on development secrets or embedded stores."""
    if values["ENV"] != "production":
        return
    problems = []
    if values["SECRET_KEY"] == DEV_SECRET_KEY:
        problems.append("UNIONCARD_SECRET_KEY")
    if values["DATA_KEYS"] == DEV_DATA_KEYS or values["DATA_KEY_ID"] not in values["DATA_KEYS"]:
        problems.append("UNIONCARD_DATA_KEYS / UNIONCARD_DATA_KEY_ID")
    if values["BANK_CLIENT_SECRET"] == Config.BANK_CLIENT_SECRET:
        problems.append("UNIONCARD_BANK_CLIENT_SECRET")
    if values["BANK_CALLBACK_SECRETS"] == Config.BANK_CALLBACK_SECRETS:
        problems.append("UNIONCARD_BANK_CALLBACK_SECRETS")
    if values["WECHAT_APP_SECRET"] == Config.WECHAT_APP_SECRET:
        problems.append("UNIONCARD_WECHAT_APP_ID / UNIONCARD_WECHAT_APP_SECRET")
    if values["BLIND_INDEX_KEY"] == DEV_BLIND_INDEX_KEY:
        problems.append("UNIONCARD_BLIND_INDEX_KEY")
    for key, dev in (
        ("WECHATPAY_MCH_ID", DEV_WECHATPAY_MCH_ID),
        ("WECHATPAY_APIV3_KEY", DEV_WECHATPAY_APIV3_KEY),
        ("WECHATPAY_PRIVATE_KEY", Config.WECHATPAY_PRIVATE_KEY),
        ("WECHATPAY_PLATFORM_PUBLIC_KEY", Config.WECHATPAY_PLATFORM_PUBLIC_KEY),
    ):
        if not values[key] or values[key] == dev:
            problems.append("UNIONCARD_" + key)
    if not values["WECHATPAY_NOTIFY_URL"].startswith("https://"):
        problems.append("UNIONCARD_WECHATPAY_NOTIFY_URL (https)")
    if values["DATABASE_URL"].startswith("sqlite"):
        problems.append("DATABASE_URL (PostgreSQL)")
    if not values["REDIS_URL"]:
        problems.append("REDIS_URL")
    if values["WECHAT_OA_APP_SECRET"] == Config.WECHAT_OA_APP_SECRET:
        problems.append("UNIONCARD_WECHAT_OA_APP_ID / UNIONCARD_WECHAT_OA_APP_SECRET")
    if values["SMS_SECRET_KEY"] == Config.SMS_SECRET_KEY:
        problems.append("UNIONCARD_SMS_SECRET_ID / UNIONCARD_SMS_SECRET_KEY")
    if values["HALL_PAY_SHEET_URL"]:
        problems.append("UNIONCARD_HALL_PAY_SHEET_URL（沙箱收银台，生产环境不得设置）")
    if not values["HALL_URL"].startswith("https://"):
        problems.append("UNIONCARD_HALL_URL (https)")
    if values["CAPTCHA_BYPASS"]:
        problems.append("UNIONCARD_CAPTCHA_BYPASS（生产环境不得设置验证码万能码）")
    if problems:
        raise ConfigError("生产环境缺少或使用了开发用配置：" + "、".join(problems))
