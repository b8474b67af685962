"""Run the outside parties' sandboxes on loopback: the bank, the two registers and WeChat.

``start_sandboxes(...)`` serves each in a daemon thread (tests, the demo) and returns their
URLs, the bank's state and ``stop()``. From a shell, in the foreground::

    python -m integrations.sandboxes --bank-port 5101 --registers-port 5102 \\
        --callback-base-url http://127.0.0.1:5000 --client-id ... --client-secret ... \\
        --bank-id ... --bank-secret ...

Sandboxes only ever bind to a loopback address. They are test doubles: the service talks
to whatever URLs its configuration names and never imports this module.
"""

from __future__ import annotations

import argparse
import logging
import signal
import threading
from dataclasses import dataclass
from datetime import date

from flask import Flask
from werkzeug.serving import make_server

from integrations.bank.sandbox import BankSandbox, create_bank_sandbox
from integrations.sms.sandbox import SmsSandbox, create_sms_sandbox
from integrations.verification.sandbox import RegistersSandbox, create_registers_sandbox
from integrations.wechat.people import DEMO_WECHAT_PEOPLE
from integrations.wechat.sandbox import WeChatSandbox, create_wechat_sandbox
from integrations.wechatpay.sandbox import WeChatPaySandbox
from integrations.wechatpay.sandbox_app import create_wechatpay_sandbox

__all__ = ["ServerThread", "Sandboxes", "start_sandboxes"]

LOOPBACK = ("127.0.0.1", "localhost", "::1")
log = logging.getLogger(__name__)


class ServerThread:
    """A WSGI app served by werkzeug (threaded) from a daemon thread; port 0 picks one."""

    def __init__(self, app: Flask, host: str = "127.0.0.1", port: int = 0):
        if host not in LOOPBACK:
            raise ValueError(f"sandboxes bind to loopback only, not {host!r}")
        self.server = make_server(host, port, app, threaded=True)
        self.port = self.server.server_port
        self.url = f"http://{'[::1]' if host == '::1' else host}:{self.port}"
        self._thread = threading.Thread(
            target=self.server.serve_forever,
            kwargs={"poll_interval": 0.05},
            name=f"sandbox-{app.name}-{self.port}",
            daemon=True,
        )
        self._thread.start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self._thread.join(timeout=5)

    def __enter__(self) -> ServerThread:
        return self

    def __exit__(self, *exc) -> None:
        self.stop()


@dataclass
class Sandboxes:
    bank_url: str
    population_url: str
    social_security_url: str
    bank: BankSandbox
    registers: RegistersSandbox
    _servers: tuple[ServerThread, ...]
    wechat_url: str = ""  # WECHAT_API_BASE_URL
    wechat: WeChatSandbox | None = None
    wechatpay_url: str = ""  # WECHATPAY_API_BASE_URL
    wechatpay: WeChatPaySandbox | None = None
    sms_url: str = ""  # SMS_API_ENDPOINT is its host:port, SMS_API_SCHEME http
    sms: SmsSandbox | None = None

    @property
    def sms_endpoint(self) -> str:
        return self.sms_url.split("://", 1)[1]

    @property
    def oauth_url(self) -> str:
        """WECHAT_OAUTH_BASE_URL: the WeChat sandbox's authorize page."""
        return self.wechat_url + "/connect/"

    def stop(self) -> None:
        """Drop pending bank callbacks and shut both servers down."""
        self.bank.close()
        if self.wechatpay is not None:
            self.wechatpay.close()
        for server in self._servers:
            server.stop()
        self.bank.wait_idle(timeout=2)


def start_sandboxes(
    *,
    host: str = "127.0.0.1",
    bank_port: int = 0,
    registers_port: int = 0,
    callback_base_url: str,
    client_id: str,
    client_secret: str,
    bank_id: str,
    bank_secret: str,
    result_delay: float = 1.0,
    event_delay: float = 2.0,
    today: date | None = None,
    wechat_port: int = 0,
    wechat_app_id: str = "wxdemo0000000000",
    wechat_app_secret: str = "dev-wechat-secret",
    wechatpay_port: int = 0,
    wechatpay: dict | None = None,
    wechat_oa_app_id: str = "wxdemooa00000000",
    wechat_oa_app_secret: str = "dev-wechat-oa-secret",
    demo_people: tuple = (),
    sms_port: int = 0,
    sms: dict | None = None,
) -> Sandboxes:
    """Start the bank and the registers sandboxes in background threads."""
    bank_app = create_bank_sandbox(
        client_id=client_id,
        client_secret=client_secret,
        bank_id=bank_id,
        bank_secret=bank_secret,
        callback_base_url=callback_base_url,
        result_delay=result_delay,
        event_delay=event_delay,
        today=today,
    )
    registers_app = create_registers_sandbox(today=today)
    bank_server = ServerThread(bank_app, host, bank_port)
    try:
        registers_server = ServerThread(registers_app, host, registers_port)
        wechat_app = create_wechat_sandbox(
            app_id=wechat_app_id,
            app_secret=wechat_app_secret,
            oa_app_id=wechat_oa_app_id,
            oa_app_secret=wechat_oa_app_secret,
            demo_people=demo_people,
        )
        wechat_server = ServerThread(wechat_app, host, wechat_port)
        pay_settings = dev_wechatpay(wechat_app_id) | {"oa_appid": wechat_oa_app_id}
        pay_app = create_wechatpay_sandbox(**pay_settings | (wechatpay or {}))
        pay_server = ServerThread(pay_app, host, wechatpay_port)
        sms_app = create_sms_sandbox(**dev_sms() | (sms or {}))
        sms_server = ServerThread(sms_app, host, sms_port)
    except BaseException:
        bank_server.stop()
        for name in ("registers_server", "wechat_server", "pay_server"):
            if name in locals():
                locals()[name].stop()
        raise
    return Sandboxes(
        bank_url=bank_server.url,
        population_url=registers_server.url + "/population",
        social_security_url=registers_server.url + "/social-security",
        bank=bank_app.extensions["bank_sandbox"],
        registers=registers_app.extensions["registers_sandbox"],
        _servers=(bank_server, registers_server, wechat_server, pay_server, sms_server),
        wechat_url=wechat_server.url,
        wechat=wechat_app.extensions["wechat_sandbox"],
        wechatpay_url=pay_server.url,
        wechatpay=pay_app.extensions["wechatpay_sandbox"],
        sms_url=sms_server.url,
        sms=sms_app.extensions["sms_sandbox"],
    )


def dev_sms() -> dict:
    """The SMS sandbox's settings matching the development defaults of config.py."""
    from unioncard.config import Config

    return {
        "secret_id": Config.SMS_SECRET_ID,
        "secret_key": Config.SMS_SECRET_KEY,
        "sdk_app_id": Config.SMS_SDK_APP_ID,
        "sign_name": Config.SMS_SIGN_NAME,
        "template_id": Config.SMS_TEMPLATE_ID,
    }


def dev_wechatpay(appid: str) -> dict:
    """The WeChat Pay sandbox's settings matching the development defaults of config.py."""
    from unioncard.config import Config, _dev_pem

    return {
        "mch_id": Config.WECHATPAY_MCH_ID,
        "appid": appid,
        "merchant_public_key": _dev_pem("merchant_public_key.pem"),
        "merchant_serial": Config.WECHATPAY_MCH_SERIAL,
        "platform_private_key": _dev_pem("platform_private_key.pem"),
        "platform_serial": Config.WECHATPAY_PLATFORM_SERIAL,
        "apiv3_key": Config.WECHATPAY_APIV3_KEY,
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m integrations.sandboxes",
        description="银行与人口库、社保核验服务的本机沙箱（仅监听回环地址）",
    )
    parser.add_argument("--host", default="127.0.0.1", choices=LOOPBACK)
    parser.add_argument("--bank-port", type=int, default=5101)
    parser.add_argument("--registers-port", type=int, default=5102)
    parser.add_argument("--callback-base-url", default="http://127.0.0.1:5000")
    parser.add_argument("--client-id", default="UNIONCARD", help="our id at the bank")
    parser.add_argument("--client-secret", default="dev-union-secret-to-bank")
    parser.add_argument("--bank-id", default="BOC-SH", help="the bank's id in callbacks")
    parser.add_argument("--bank-secret", default="dev-bank-secret-to-union")
    parser.add_argument("--result-delay", type=float, default=1.0)
    parser.add_argument("--event-delay", type=float, default=2.0)
    parser.add_argument("--wechat-port", type=int, default=5103)
    parser.add_argument("--wechat-app-id", default="wxdemo0000000000")
    parser.add_argument("--wechat-app-secret", default="dev-wechat-secret")
    parser.add_argument("--wechatpay-port", type=int, default=5104)
    parser.add_argument("--sms-port", type=int, default=5105)
    parser.add_argument("--wechatpay-auto-pay", type=float, default=None,
                        help="pay every order this many seconds after it is placed")  # fmt: skip
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")

    sandboxes = start_sandboxes(
        host=args.host,
        bank_port=args.bank_port,
        registers_port=args.registers_port,
        callback_base_url=args.callback_base_url,
        client_id=args.client_id,
        client_secret=args.client_secret,
        bank_id=args.bank_id,
        bank_secret=args.bank_secret,
        result_delay=args.result_delay,
        event_delay=args.event_delay,
        wechat_port=args.wechat_port,
        wechat_app_id=args.wechat_app_id,
        wechat_app_secret=args.wechat_app_secret,
        wechatpay_port=args.wechatpay_port,
        wechatpay={"auto_pay_after": args.wechatpay_auto_pay},
        demo_people=DEMO_WECHAT_PEOPLE,
        sms_port=args.sms_port,
    )
    print(f"微信接口沙箱    {sandboxes.wechat_url}", flush=True)
    print(f"微信支付沙箱    {sandboxes.wechatpay_url}", flush=True)
    print(f"短信沙箱        {sandboxes.sms_url}/sandbox/sms", flush=True)
    print(f"银行沙箱        {sandboxes.bank_url}   回调 → {args.callback_base_url}", flush=True)
    print(f"人口库核验沙箱  {sandboxes.population_url}", flush=True)
    print(f"社保核验沙箱    {sandboxes.social_security_url}", flush=True)
    stopping = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stopping.set())
    try:
        while not stopping.wait(1):
            pass
    except KeyboardInterrupt:
        pass
    finally:
        sandboxes.stop()


if __name__ == "__main__":
    main()
