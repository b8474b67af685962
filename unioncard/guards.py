"""The request guard every API endpoint passes before its view (and its schema) runs.

One place, so that a new endpoint is covered without thinking:

- a JSON body is parsed once here with a nesting limit (a deeply nested body used to be a
  RecursionError, i.e. a 500, even unauthenticated); malformed JSON is a 400;
- no string anywhere in the JSON body (keys too), the query string or a form holds control
  characters (``webfields.text_problem``: the same rule as the ``Text`` field);
- a query parameter the OpenAPI document does not list for the operation is refused with
  422 naming it (``/cards?status=`` used to be ignored silently: the parameter is
  ``card_status``). The document is the list, so it stays true.

Every refusal is the one error shape with a Chinese message (``web.error_response``).
"""

from __future__ import annotations

import re

from flask import Flask, current_app, request
from flask_smorest.spec.plugins import FlaskPlugin

from .errors import DomainError, ValidationFailed
from .webfields import clean_filename, text_problem

MAX_JSON_DEPTH = 32
METHODS = ("get", "post", "put", "patch", "delete")


class BadJson(DomainError):
    status = 400
    default_message = "请求体不是有效的 JSON，请检查格式后重试"


def register_request_guard(app: Flask) -> None:
    app.before_request(guard_request)


# personal numbers a client may try to put in a URL (and so in every access log on the way)
PERSONAL_QUERY_NAMES = {"id_number", "id_no", "mobile", "phone", "card_no"}


def _refuse_personal_numbers(unknown: list[str]) -> None:
    found = [name for name in unknown if name in PERSONAL_QUERY_NAMES]
    if not found:
        return
    search = f"{request.path.rstrip('/')}/search"
    adapter = current_app.url_map.bind("")
    where = (
        f"请改用 POST {search}，在请求体中提交查询条件"
        if adapter.test(search, method="POST")
        else "请在请求体中提交查询条件"
    )
    message = f"证件号码、手机号码等个人号码不能放在网址中查询（网址会记入访问日志），{where}"
    raise DomainError(message, {name: [message] for name in found})


def guard_request() -> None:
    req = request._get_current_object()  # one context lookup, not one a use
    allowed = _query_parameters().get(req.endpoint, {})
    method = "get" if req.method == "HEAD" else req.method.lower()
    if method in allowed:
        unknown = sorted(set(req.args) - allowed[method])
        _refuse_personal_numbers(unknown)
        if unknown:
            names = "、".join(sorted(allowed[method])) or "无"
            raise ValidationFailed(
                f"不支持的查询参数：{'、'.join(unknown)}。此接口可用的查询参数：{names}",
                {
                    "query": {
                        name: ["不支持的查询参数，请删除或改用接口文档中的参数名"]
                        for name in unknown
                    }
                },
            )
    _refuse_control_chars("query", req.args.items(multi=True))
    if not (req.content_length or "Transfer-Encoding" in req.headers):
        return  # no body: no form, no upload, no JSON to look at
    if request.form:
        _refuse_control_chars("form", request.form.items(multi=True))
    for _, storage in request.files.items(
        multi=True
    ):  # every upload's name, before anyone reads it
        storage.filename = clean_filename(storage.filename, default="upload")
    if request.is_json and request.get_data(cache=True):
        _check_json_body()


def _refuse_control_chars(location: str, items) -> None:
    items = list(items)
    errors = {name: [text_problem(value)] for name, value in items if text_problem(value)}
    errors.update({name: [text_problem(name)] for name, _ in items if text_problem(name)})
    if errors:
        raise ValidationFailed(errors={location: errors})


def _check_json_body() -> None:
    too_deep = BadJson(f"JSON 嵌套层级过深（最多 {MAX_JSON_DEPTH} 层），请检查后重试")
    try:
        body = request.get_json()  # cached: the schema reads this same parse
    except RecursionError:
        raise too_deep from None
    raw = request.get_data(cache=True)
    if _depth(raw) > MAX_JSON_DEPTH:
        raise too_deep
    text = raw.decode("utf-8", "replace")
    if _ESCAPED_CONTROL.search(text) or text_problem(text):  # rare: find and name the fields
        errors = dict(_bad_strings(body))
        if errors:
            raise ValidationFailed(errors={"json": errors})


# a JSON string (the body parsed, so every quote pairs) and an escaped control character
_STRING = re.compile(rb'"(?:[^"\\]++|\\.)*+"')
_BRACKET = re.compile(rb"[\[\]{}]")
_ESCAPED_CONTROL = re.compile(
    r"\\u(?:00[01][0-9a-fA-F]|007[fF]|00[89][0-9a-fA-F]|[dD][89a-fA-F][0-9a-fA-F]{2}|[fF]{3}[eEfF])"
)


def _depth(raw: bytes) -> int:
    """The deepest nesting of arrays and objects, read from the text (no recursion)."""
    depth = deepest = 0
    for bracket in _BRACKET.findall(_STRING.sub(b"", raw)):
        depth += 1 if bracket in b"[{" else -1
        deepest = max(deepest, depth)
    return deepest


def _bad_strings(value, path=""):
    """(dotted path, message) of every string (key or value) holding a control character."""
    if isinstance(value, str):
        if text_problem(value):
            yield path or "body", [text_problem(value)]
    elif isinstance(value, dict):
        for key, item in value.items():
            child = f"{path}.{key}" if path else str(key)
            if text_problem(key):
                yield child, [text_problem(key)]
            yield from _bad_strings(item, child)
    elif isinstance(value, list):
        for i, item in enumerate(value):
            yield from _bad_strings(item, f"{path}.{i}" if path else str(i))


def _query_parameters() -> dict[str, dict[str, set[str]]]:
    """endpoint -> method -> the query parameter names the OpenAPI document lists."""
    cached = current_app.extensions.get("unioncard.query_parameters")
    if cached is None:
        paths = current_app.extensions["unioncard.api"].spec.to_dict()["paths"]
        cached = {}
        for rule in current_app.url_map.iter_rules():
            operations = paths.get(FlaskPlugin.flaskpath2openapi(rule.rule))
            if operations is None:
                continue
            shared = operations.get("parameters", [])
            cached[rule.endpoint] = {
                method: {
                    p["name"]
                    for p in shared + operations[method].get("parameters", [])
                    if p.get("in") == "query"
                }
                for method in METHODS
                if method in operations
            }
        current_app.extensions["unioncard.query_parameters"] = cached
    return cached
