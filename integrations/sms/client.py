"""Tencent Cloud SMS (腾讯云短信, API 2021-01-11 ``SendSms``), outbound, on the official SDK
``tencentcloud-sdk-python-sms``.

``SmsClient.from_app()`` builds it from ``SMS_API_ENDPOINT`` (host[:port]; the sandbox's on
loopback in the demo and the tests), ``SMS_API_SCHEME``, ``SMS_REGION``, ``SMS_SECRET_ID`` /
``SMS_SECRET_KEY`` (TC3-HMAC-SHA256 signatures, made by the SDK), ``SMS_SDK_APP_ID``,
``SMS_SIGN_NAME``, ``SMS_TEMPLATE_ID`` and ``SMS_TIMEOUT``.

``send_code(mobile, code, minutes)`` sends the verification template (参数: code, minutes)
to one mainland mobile and returns Tencent's serial number. Failures, each its own
``SmsError``: ``SmsUnavailable`` (network, timeout, 5xx, InternalError, the provider's own
frequency limits), ``SmsRejected`` (the number or the request refused), ``SmsConfigError``
(keys, SdkAppId, sign or template wrong: an administrator must act). Nothing is retried
here: a code that may have been sent is never sent twice by the client.
"""

from __future__ import annotations

from tencentcloud.common import credential
from tencentcloud.common.exception.tencent_cloud_sdk_exception import TencentCloudSDKException
from tencentcloud.common.profile.client_profile import ClientProfile
from tencentcloud.common.profile.http_profile import HttpProfile
from tencentcloud.sms.v20210111 import models, sms_client

from ..http import IntegrationError


class SmsError(IntegrationError):
    default_message = "短信发送失败"

    def __init__(self, message: str | None = None, *, code: str | None = None):
        self.code = code
        super().__init__(message)


class SmsUnavailable(SmsError):
    default_message = "短信服务暂时无法访问，请稍后重试"


class SmsRejected(SmsError):
    default_message = "短信服务拒绝发送到该号码"


class SmsConfigError(SmsError):
    default_message = "短信服务的密钥、应用、签名或模板配置有误，请联系管理员"


def _error_for(code: str | None, message: str | None) -> SmsError:
    code = code or ""
    text = f"（{code}：{message}）" if code else ""
    if code.startswith("LimitExceeded.PhoneNumber"):  # this number's own limits at Tencent
        return SmsRejected(SmsRejected.default_message + text, code=code)
    if code in ("ClientNetworkError", "InternalError", "RequestLimitExceeded") or code.startswith(
        ("InternalError.", "LimitExceeded.", "ServerError", "ServiceUnavailable")
    ):
        return SmsUnavailable(SmsUnavailable.default_message + text, code=code)
    if code.startswith(("AuthFailure", "UnauthorizedOperation", "FailedOperation.Sign",
                        "FailedOperation.Template", "InvalidParameterValue.TemplateParameter",
                        "UnsupportedOperation.ContainDomestic")):  # fmt: skip
        return SmsConfigError(SmsConfigError.default_message + text, code=code)
    return SmsRejected(SmsRejected.default_message + text, code=code)


class SmsClient:
    def __init__(self, *, endpoint: str, scheme: str, region: str, secret_id: str,
                 secret_key: str, sdk_app_id: str, sign_name: str, template_id: str,
                 timeout: float = 10):  # fmt: skip
        if not (secret_id and secret_key and sdk_app_id and template_id):
            raise SmsConfigError("未配置短信服务的密钥、SdkAppId 或模板")
        http = HttpProfile(endpoint=endpoint, reqTimeout=int(max(1, timeout)))
        http.scheme = http.protocol = scheme
        profile = ClientProfile(httpProfile=http)
        self._client = sms_client.SmsClient(
            credential.Credential(secret_id, secret_key), region, profile
        )
        self.sdk_app_id, self.sign_name, self.template_id = sdk_app_id, sign_name, template_id

    @classmethod
    def from_app(cls, app=None) -> SmsClient:
        if app is None:
            from flask import current_app

            app = current_app._get_current_object()
        cfg = app.config
        return cls(
            endpoint=cfg["SMS_API_ENDPOINT"],
            scheme=cfg["SMS_API_SCHEME"],
            region=cfg["SMS_REGION"],
            secret_id=cfg["SMS_SECRET_ID"],
            secret_key=cfg["SMS_SECRET_KEY"],
            sdk_app_id=cfg["SMS_SDK_APP_ID"],
            sign_name=cfg["SMS_SIGN_NAME"],
            template_id=cfg["SMS_TEMPLATE_ID"],
            timeout=float(cfg["SMS_TIMEOUT"]),
        )

    def send_code(self, mobile: str, code: str, minutes: int) -> str:
        """Send the verification template to ``mobile`` (11 digits); the serial number."""
        request = models.SendSmsRequest()
        request.PhoneNumberSet = ["+86" + mobile]
        request.SmsSdkAppId = self.sdk_app_id
        request.SignName = self.sign_name
        request.TemplateId = self.template_id
        request.TemplateParamSet = [code, str(minutes)]
        try:
            response = self._client.SendSms(request)
        except TencentCloudSDKException as exc:
            raise _error_for(exc.get_code(), exc.get_message()) from exc
        except ValueError as exc:
            raise SmsUnavailable("短信服务返回的数据无法识别") from exc
        statuses = response.SendStatusSet or []
        if len(statuses) != 1:
            raise SmsUnavailable("短信服务的答复缺少发送状态")
        status = statuses[0]
        if status.Code != "Ok":
            raise _error_for(status.Code, status.Message)
        return status.SerialNo or ""
