"""OpenFeature Remote Evaluation Protocol: single and bulk flag evaluation with typed values."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import orjson

from togglr.evaluation.snapshot import Decision, FlagSnapshot, Reason
from togglr.web.sdk.http import (
    HttpError,
    Receive,
    Send,
    etag_of,
    header,
    parse_json,
    read_body,
    respond,
)

if TYPE_CHECKING:
    from togglr.web.sdk.app import SdkApp

# Our reasons in OFREP's vocabulary; the precise one travels in metadata.
_REASON = {
    Reason.DISABLED: "DISABLED",
    Reason.SCHEDULED_OFF: "DISABLED",
    Reason.EXCLUDED: "TARGETING_MATCH",
    Reason.NOT_INCLUDED: "TARGETING_MATCH",
    Reason.TARGETING_MATCH: "TARGETING_MATCH",
    Reason.ALGORITHM: "SPLIT",
    Reason.SPLIT: "SPLIT",
    Reason.DEFAULT: "STATIC",
}


def _number(text: str) -> int | float | str:
    try:
        number = float(text)
    except ValueError:
        return text
    return (
        int(number)
        if number.is_integer() and "." not in text and "e" not in text.lower()
        else number
    )


def resolve(flag: FlagSnapshot, decision: Decision) -> dict[str, Any]:
    """One OFREP evaluation success object.

    `variant` is always present (some providers, like the Python one, require it): the variant
    name, or `on` / `off` / `disabled` / `default` where the flag has no variant to name.
    """
    out: dict[str, Any] = {"key": flag.feature_key, "reason": _REASON[decision.reason]}
    meta: dict[str, Any] = {"togglr_reason": decision.reason.value}
    if decision.rule_id:
        meta["rule_id"] = decision.rule_id
    out["metadata"] = meta
    if decision.reason in (Reason.DISABLED, Reason.SCHEDULED_OFF):
        out["variant"] = "disabled"
        return out  # no value: the provider falls back to the code default
    if flag.kind == "simple":
        if decision.reason is Reason.ALGORITHM:
            out["value"] = _number(decision.value)  # an optimizer serves a number
            out["variant"] = decision.value
        else:
            out["value"] = decision.enabled
            out["variant"] = "on" if decision.enabled else "off"
        return out
    if not decision.enabled:
        out["variant"] = "off"
        return out  # excluded / not included: defer to the code default
    if decision.variant is not None:
        out["variant"] = decision.variant
        out["value"] = (
            decision.variant_value if decision.variant_value is not None else decision.variant
        )
    elif decision.value != "":
        out["variant"] = "default"
        out["value"] = decision.value
    else:
        out["variant"] = "default"
        out["reason"] = "DEFAULT"
    return out


def _context(raw: bytes) -> dict[str, Any]:
    body = parse_json(raw, allow_empty=True)
    if not isinstance(body, dict):
        raise HttpError(400, "INVALID_CONTEXT", 'body: expected {"context": {...}}')
    context = body.get("context", {})  # absent is empty; null is not an object (OFREP schema)
    if not isinstance(context, dict):
        raise HttpError(400, "INVALID_CONTEXT", "context: must be an object")
    return context


def _with_targeting_key(flag: FlagSnapshot, context: dict[str, Any]) -> dict[str, Any]:
    # OpenFeature's targetingKey stands in for the feature's rollout attribute when absent.
    key = context.get("targetingKey")
    if flag.rollout_key and key is not None and flag.rollout_key not in context:
        return {**context, flag.rollout_key: key}
    return context


async def dispatch(
    app: SdkApp, method: str, parts: list[str], scope: Any, receive: Receive, send: Send
) -> tuple[str, int]:
    # /ofrep/v1/evaluate/flags[/{key}]
    if (
        len(parts) < 4
        or parts[1] != "v1"
        or parts[2] != "evaluate"
        or parts[3] != "flags"
        or len(parts) > 5
    ):
        raise HttpError(404, "not_found", "no such endpoint")
    if method != "POST":
        raise HttpError(405, "method_not_allowed", "use POST")
    env = app.environment(scope)
    raw = await read_body(receive)
    if len(parts) == 5:
        key = parts[4]
        try:
            context = _context(raw)
        except HttpError as exc:
            body = orjson.dumps(
                {"key": key, "errorCode": "INVALID_CONTEXT", "errorDetails": exc.message}
            )
            await respond(send, 400, body)
            return "/ofrep/v1/evaluate/flags/{key}", 400
        flag = env.flags.get(key)
        if flag is None:
            body = orjson.dumps(
                {"key": key, "errorCode": "FLAG_NOT_FOUND", "errorDetails": f"flag {key} not found"}
            )
            await respond(send, 404, body)
            return "/ofrep/v1/evaluate/flags/{key}", 404
        decision = app.svc.evaluation.evaluate(env, flag, _with_targeting_key(flag, context))
        app.metrics.evaluation_counts[decision.reason] += 1
        await respond(send, 200, orjson.dumps(resolve(flag, decision)))
        return "/ofrep/v1/evaluate/flags/{key}", 200
    try:
        context = _context(raw)
    except HttpError as exc:
        await respond(
            send, 400, orjson.dumps({"errorCode": "INVALID_CONTEXT", "errorDetails": exc.message})
        )
        return "/ofrep/v1/evaluate/flags", 400
    flags = []
    for flag in sorted(env.flags.values(), key=lambda f: f.feature_key):
        decision = app.svc.evaluation.evaluate(env, flag, _with_targeting_key(flag, context))
        app.metrics.evaluation_counts[decision.reason] += 1
        flags.append(resolve(flag, decision))
    body = orjson.dumps({"flags": flags})
    etag = etag_of(body)
    if header(scope, b"if-none-match") == etag:
        await send(
            {"type": "http.response.start", "status": 304, "headers": [(b"etag", etag.encode())]}
        )
        await send({"type": "http.response.body", "body": b""})
        return "/ofrep/v1/evaluate/flags", 304
    await respond(send, 200, body, [(b"etag", etag.encode())])
    return "/ofrep/v1/evaluate/flags", 200
