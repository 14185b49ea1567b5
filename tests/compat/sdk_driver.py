"""Drive the published `togglr-sdk` against a running server; print what it saw as JSON.

Run by tests/compat/test_python_sdk.py in a subprocess with PYTHONPATH set to a directory holding
`togglr-sdk` and the `togglr_client` package generated from spec/sdk-compat/togglr-sdk-v1.yaml, so
that `import togglr` is the SDK and not this repository's server package. Nothing here imports the
server: only the SDK's public API (and, for one wire check, the generated client under it).

Usage: python sdk_driver.py SDK_DIR BASE_URL SDK_KEY
"""

from __future__ import annotations

import json
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any


def outcome(call: Any) -> dict[str, Any]:
    """The value a call returned, or the class of the exception it raised."""
    try:
        return {"ok": call()}
    except Exception as exc:
        return {"raised": type(exc).__name__, "message": str(exc)}


def health_of(h: Any) -> dict[str, Any]:
    return {
        "type": type(h).__name__,
        "feature_key": h.feature_key,
        "environment_key": h.environment_key,
        "enabled": h.enabled,
        "auto_disabled": h.auto_disabled,
        "error_rate": h.error_rate,
        "threshold": h.threshold,
        "last_error_at": h.last_error_at.isoformat() if h.last_error_at else None,
        "last_error_at_type": type(h.last_error_at).__name__,
    }


def main() -> None:
    sdk_dir, base_url, key = Path(sys.argv[1]).resolve(), sys.argv[2], sys.argv[3]

    import togglr_client
    from togglr.track_event import EventType

    import togglr
    from togglr import RequestContext, TrackEvent

    # The SDK and its generated client come from SDK_DIR, never from this repository.
    for module in (togglr, togglr_client):
        assert Path(module.__file__).resolve().is_relative_to(sdk_dir), module.__file__

    out: dict[str, Any] = {
        "modules": {"togglr": togglr.__file__, "togglr_client": togglr_client.__file__}
    }
    client = togglr.new_client(key, base_url=base_url)
    ctx = RequestContext.new().with_user_id("user-1")
    german = RequestContext.new().with_user_id("user-1").with_country("DE").with_age(30)
    blocked = RequestContext.new().with_user_id("blocked")

    out["health_check"] = outcome(client.health_check)
    out["evaluate"] = {
        "checkout": outcome(lambda: client.evaluate("checkout", ctx)),
        "checkout_de": outcome(lambda: client.evaluate("checkout", german)),
        "checkout_blocked": outcome(lambda: client.evaluate("checkout", blocked)),
        "dark_mode": outcome(lambda: client.evaluate("dark_mode", ctx)),
        "off_flag": outcome(lambda: client.evaluate("off_flag", ctx)),
        "ghost": outcome(lambda: client.evaluate("ghost", ctx)),
        "bandit": outcome(lambda: client.evaluate("bandit", ctx)),
    }
    out["is_enabled"] = {
        "dark_mode": outcome(lambda: client.is_enabled("dark_mode", ctx)),
        "off_flag": outcome(lambda: client.is_enabled("off_flag", ctx)),
        "ghost": outcome(lambda: client.is_enabled("ghost", ctx)),
        "ghost_or_default": outcome(lambda: client.is_enabled_or_default("ghost", ctx, True)),
    }

    when = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
    success = (
        TrackEvent.new("a", EventType.SUCCESS)
        .with_reward(2.0)
        .with_context("user.id", "user-1")
        .with_created_at(when)
        .with_dedup_key("evt-1")
    )
    failure = TrackEvent.new("b", "failure", reward=1.0, context=german)
    out["track"] = {
        "success": outcome(lambda: client.track_event("bandit", success)),
        "success_retried": outcome(lambda: client.track_event("bandit", success)),
        "failure": outcome(lambda: client.track_event("bandit", failure)),
        "ghost": outcome(lambda: client.track_event("ghost", failure)),
    }

    out["health_before"] = outcome(lambda: health_of(client.get_feature_health("dark_mode")))
    out["report_error"] = outcome(
        lambda: client.report_error(
            "dark_mode", "timeout", "upstream took 5s", {"user.id": "user-1", "attempt": 2}
        )
    )
    out["health_after"] = outcome(lambda: health_of(client.get_feature_health("dark_mode")))
    out["health_off"] = outcome(lambda: health_of(client.get_feature_health("off_flag")))
    out["health_ghost"] = outcome(lambda: client.get_feature_health("ghost"))
    out["is_feature_healthy"] = outcome(lambda: client.is_feature_healthy("dark_mode"))
    out["is_feature_healthy_off"] = outcome(lambda: client.is_feature_healthy("off_flag"))
    out["report_error_ghost"] = outcome(
        lambda: client.report_error("ghost", "timeout", "a feature this environment lacks")
    )

    bad = togglr.new_client("00000000-0000-0000-0000-000000000000", base_url=base_url)
    out["bad_key"] = {
        "health_check": outcome(bad.health_check),
        "evaluate": outcome(lambda: bad.evaluate("dark_mode", ctx)),
        "track": outcome(lambda: bad.track_event("bandit", failure)),
        "report_error": outcome(lambda: bad.report_error("dark_mode", "t", "m")),
        "health": outcome(lambda: bad.get_feature_health("dark_mode")),
    }

    # One wire check under the SDK: an error body parses as the contract's Error model.
    from togglr_client.api.default_api import DefaultApi
    from togglr_client.exceptions import ApiException

    api = DefaultApi(
        togglr_client.ApiClient(
            togglr_client.Configuration(host=base_url, api_key={"ApiKeyAuth": key})
        )
    )
    try:
        api.sdk_v1_features_feature_key_evaluate_post(feature_key="ghost", request_body={})
        out["raw_404"] = {"raised": None}
    except ApiException as exc:
        out["raw_404"] = {
            "status": exc.status,
            "data_type": type(exc.data).__name__,
            "message": exc.data.error.message if exc.data is not None else None,
            "content_type": (exc.headers or {}).get("content-type"),
        }
    client.close()
    bad.close()
    print(json.dumps(out, default=str))


if __name__ == "__main__":
    main()
