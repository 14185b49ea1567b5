"""The approval guarantee, checked over the whole management API (issue 10).

Every mutating operation (POST, PUT, PATCH, DELETE) of the served OpenAPI document is either
called here, against a project with a guarded feature in a guarded prod environment, or listed
in EXEMPT with the reason it cannot change what is served nor the guard. A call that answers 2xx
without a pending change must leave the guarded feature serving exactly what it served (its
served snapshot, rebuilt from the database, and SDK answers for several contexts) and must not
weaken the guard (project and environment approval, required approvals, approvers, the
`guarded` tag, the project and environment themselves). A new mutating endpoint that is in
neither table fails the test.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from tests.api.governance_support import member, module_api, unique
from tests.conftest import Api

pytestmark = pytest.mark.asyncio(loop_scope="module")
api = module_api()

PRO = {"condition": {"attribute": "plan", "operator": "eq", "value": "pro"}}
ENTERPRISE = {"condition": {"attribute": "plan", "operator": "eq", "value": "enterprise"}}
FREE = {"condition": {"attribute": "plan", "operator": "eq", "value": "free"}}
CONTEXTS = [
    {"user": {"id": "u1"}, "plan": "pro"},
    {"user": {"id": "u2"}, "plan": "enterprise"},
    {"user": {"id": "u3"}, "plan": "free"},
    {"user": {"id": "u4"}},
    {},
]

_ACCOUNT = "a user's own account, session or sign-in: no project configuration"
_USERS = (
    "user administration (superusers only): accounts, not a project's flags or approval settings"
)
_DIRECTORY = "directory and single sign-on configuration (superusers only): who signs in"
_APPROVAL = (
    "the approval workflow itself (approve, reject, cancel, edit a pending change): "
    "covered by test_governance_changes and test_governance_guard_bypass"
)
_CHANNELS = "notification channels only send messages about changes; they change no flag"
EXEMPT: dict[tuple[str, str], str] = {
    ("POST", "/api/v1/auth/2fa/verify"): _ACCOUNT,
    ("POST", "/api/v1/auth/forgot-password"): _ACCOUNT,
    ("POST", "/api/v1/auth/login"): _ACCOUNT,
    ("POST", "/api/v1/auth/logout"): _ACCOUNT,
    ("POST", "/api/v1/auth/refresh"): _ACCOUNT,
    ("POST", "/api/v1/auth/reset-password"): _ACCOUNT,
    ("POST", "/api/v1/auth/sso/{provider}/acs"): _ACCOUNT,
    ("POST", "/api/v1/users/me/2fa/confirm"): _ACCOUNT,
    ("POST", "/api/v1/users/me/2fa/disable"): _ACCOUNT,
    ("POST", "/api/v1/users/me/2fa/recovery-codes"): _ACCOUNT,
    ("POST", "/api/v1/users/me/2fa/send-code"): _ACCOUNT,
    ("POST", "/api/v1/users/me/2fa/setup"): _ACCOUNT,
    ("POST", "/api/v1/users/me/change-password"): _ACCOUNT,
    ("POST", "/api/v1/users/me/notifications/read-all"): _ACCOUNT,
    ("POST", "/api/v1/users/me/notifications/{notification_id}/read"): _ACCOUNT,
    ("DELETE", "/api/v1/users/me/sessions"): _ACCOUNT,
    ("DELETE", "/api/v1/users/me/sessions/{session_id}"): _ACCOUNT,
    ("POST", "/api/v1/users/me/tokens"): _ACCOUNT,
    ("DELETE", "/api/v1/users/me/tokens/{token_id}"): _ACCOUNT,
    ("POST", "/api/v1/users"): _USERS,
    ("PATCH", "/api/v1/users/{user_id}"): _USERS,
    ("DELETE", "/api/v1/users/{user_id}"): _USERS,
    ("POST", "/api/v1/users/{user_id}/2fa/reset"): _USERS,
    ("POST", "/api/v1/users/{user_id}/reset-password"): _USERS,
    ("PUT", "/api/v1/ldap/config"): _DIRECTORY,
    ("POST", "/api/v1/ldap/sync"): _DIRECTORY,
    ("POST", "/api/v1/ldap/test"): _DIRECTORY,
    ("PUT", "/api/v1/sso/providers/{name}"): _DIRECTORY,
    ("DELETE", "/api/v1/sso/providers/{name}"): _DIRECTORY,
    ("PATCH", "/api/v1/pending-changes/{change_id}"): _APPROVAL,
    ("POST", "/api/v1/pending-changes/{change_id}/approve"): _APPROVAL,
    ("POST", "/api/v1/pending-changes/{change_id}/cancel"): _APPROVAL,
    ("POST", "/api/v1/pending-changes/{change_id}/reject"): _APPROVAL,
    ("POST", "/api/v1/projects/{project_id}/notification-channels"): _CHANNELS,
    ("PATCH", "/api/v1/projects/{project_id}/notification-channels/{channel_id}"): _CHANNELS,
    ("DELETE", "/api/v1/projects/{project_id}/notification-channels/{channel_id}"): _CHANNELS,
    ("POST", "/api/v1/projects/{project_id}/notification-channels/{channel_id}/test"): _CHANNELS,
}


@dataclass
class World:
    admin: dict[str, str]
    pid: str
    fid: str
    key: str
    prod_id: str
    ids: dict[str, str]  # path parameter -> value


Body = Callable[[World], Any]
_STATE = {
    "enabled": False,
    "default_value": "",
    "variants": [{"name": "a", "rollout_percent": 100}, {"name": "b", "rollout_percent": 0}],
    "rules": [],
}
_SCHEDULE = {
    "action": "disable",
    "starts_at": "2031-03-01T00:00:00Z",
    "ends_at": "2031-03-02T00:00:00Z",
}

# In order: what is created or changed first, what is removed last (the project at the very end).
# Each operation lists one or more plausible valid bodies; every call must answer 2xx.
CALLED: list[tuple[str, str, list[Body]]] = [
    ("POST", "/api/v1/projects", [lambda w: {"name": unique("other")}]),
    ("POST", "/api/v1/categories", [lambda w: {"name": unique("cat")}]),
    (
        "POST",
        "/api/v1/rule-attributes",
        [lambda w: {"name": f"tier_{uuid.uuid4().hex[:6]}", "description": "tier"}],
    ),
    ("POST", "/api/v1/projects/{project_id}/tags", [lambda w: {"name": unique("tag")}]),
    (
        "PATCH",
        "/api/v1/tags/{tag_id}",
        [lambda w: {"name": "Guarded!", "color": "#123456", "description": "renamed"}],
    ),
    (
        "POST",
        "/api/v1/projects/{project_id}/features",
        [lambda w: {"key": unique("new"), "name": "New", "kind": "simple"}],
    ),
    (
        "POST",
        "/api/v1/projects/{project_id}/segments",
        [lambda w: {"name": unique("seg"), "condition": FREE}],
    ),
    (
        "POST",
        "/api/v1/projects/{project_id}/environments",
        [lambda w: {"key": "qa", "name": "QA", "requires_approval": False}],
    ),
    (
        "POST",
        "/api/v1/projects/{project_id}/environments/{env_key}/evaluate/{feature_key}",
        [lambda w: {"context": CONTEXTS[0]}],
    ),
    (
        "POST",
        "/api/v1/projects/{project_id}/environments/{env_key}/rotate-key",
        [lambda w: None],
    ),
    (
        "POST",
        "/api/v1/projects/{project_id}/memberships",
        [lambda w: {"user_id": w.ids["new_user_id"], "role_id": "manager"}],
    ),
    (
        "PUT",
        "/api/v1/projects/{project_id}/memberships/{membership_id}",
        [lambda w: {"role_id": "member"}],
    ),
    (
        "PATCH",
        "/api/v1/features/{feature_id}",
        [lambda w: {"name": "Renamed"}, lambda w: {"tags": []}, lambda w: {"rollout_key": "x"}],
    ),
    (
        "PUT",
        "/api/v1/features/{feature_id}/environments/{env_key}",
        [lambda w: _STATE],
    ),
    (
        "PUT",
        "/api/v1/features/{feature_id}/environments/{env_key}/toggle",
        [lambda w: {"enabled": False}],
    ),
    (
        "POST",
        "/api/v1/features/{feature_id}/environments/{env_key}/schedules",
        [lambda w: _SCHEDULE],
    ),
    (
        "PATCH",
        "/api/v1/features/{feature_id}/environments/{env_key}/schedules/{schedule_id}",
        [lambda w: {"ends_at": "2031-05-01T18:00:00Z"}],
    ),
    (
        "POST",
        "/api/v1/features/{feature_id}/environments/{env_key}/timeline/what-if",
        [lambda w: {"schedules": [_SCHEDULE]}],
    ),
    (
        "PUT",
        "/api/v1/features/{feature_id}/environments/{env_key}/algorithm",
        [lambda w: {"algorithm": "epsilon-greedy", "enabled": True}],
    ),
    ("PATCH", "/api/v1/segments/{segment_id}", [lambda w: {"condition": FREE}]),
    ("POST", "/api/v1/segments/{segment_id}/rules/{rule_id}/sync", [lambda w: None]),
    (
        "PATCH",
        "/api/v1/projects/{project_id}/environments/{env_key}",
        [lambda w: {"requires_approval": False}, lambda w: {"name": "Production!"}],
    ),
    (
        "PUT",
        "/api/v1/projects/{project_id}/governance",
        [
            lambda w: {"requires_approval": False},
            lambda w: {"approver_ids": [w.ids["manager_id"]]},
            lambda w: {"stale_after_days": 9, "auto_disable_min_volume": 5},
        ],
    ),
    (
        "PUT",
        "/api/v1/projects/{project_id}/settings",
        [
            lambda w: {"required_approvals": 1},
            lambda w: {"auto_disable_enabled": True, "auto_disable_requires_approval": False},
        ],
    ),
    (
        "PATCH",
        "/api/v1/projects/{project_id}",
        [lambda w: {"name": "Renamed project"}, lambda w: {"archived": True}],
    ),
    (
        "DELETE",
        "/api/v1/features/{feature_id}/environments/{env_key}/schedules/{schedule_id}",
        [lambda w: None],
    ),
    ("DELETE", "/api/v1/features/{feature_id}/environments/{env_key}/algorithm", [lambda w: None]),
    ("DELETE", "/api/v1/projects/{project_id}/memberships/{membership_id}", [lambda w: None]),
    ("DELETE", "/api/v1/tags/{tag_id}", [lambda w: None]),
    ("DELETE", "/api/v1/categories/{category_id}", [lambda w: None]),
    ("DELETE", "/api/v1/rule-attributes/{name}", [lambda w: None]),
    ("DELETE", "/api/v1/segments/{segment_id}", [lambda w: None]),
    ("DELETE", "/api/v1/features/{feature_id}", [lambda w: None]),
    ("DELETE", "/api/v1/projects/{project_id}/environments/{env_key}", [lambda w: None]),
    ("DELETE", "/api/v1/projects/{project_id}", [lambda w: None]),
]
# Which value a path parameter takes for one operation, where it is not the world's default.
PATH_OVERRIDES: dict[tuple[str, str], dict[str, str]] = {
    ("DELETE", "/api/v1/tags/{tag_id}"): {"tag_id": "team_tag_id"},
}


def _mutating(spec: dict[str, Any]) -> set[tuple[str, str]]:
    return {
        (method.upper(), path)
        for path, ops in spec["paths"].items()
        for method in ops
        if method in ("post", "put", "patch", "delete")
    }


async def test_every_mutating_endpoint_is_called_or_exempt_with_a_reason(api: Api) -> None:
    mutating = _mutating(api.app.api.app.openapi())  # the served admin document
    called = {(m, p) for m, p, _ in CALLED}
    assert not called & set(EXEMPT), "an operation is both called and exempt"
    missing = mutating - called - set(EXEMPT)
    assert not missing, (
        f"mutating endpoints neither called nor exempt (add them): {sorted(missing)}"
    )
    assert not (called | set(EXEMPT)) - mutating, (
        "the tables name operations the API does not serve"
    )


async def _world(api: Api) -> World:
    """A project whose `checkout` is guarded (tag) in prod (environment requires approval, the
    project requires approval, two approvals), with a segment rule, a customised segment rule,
    a schedule, an attached (disabled) algorithm, a custom tag and a category."""
    admin = await api.admin()
    pid = (await api.project(admin))["id"]
    c = api.client

    async def ok(method: str, url: str, body: Any = None) -> Any:
        r = await c.request(method, url, json=body, headers=admin)
        assert r.status_code < 300, (method, url, r.text)
        return r.json() if r.content else None

    segment = await ok(
        "POST", f"/api/v1/projects/{pid}/segments", {"name": "Paying", "condition": PRO}
    )
    team = await ok("POST", f"/api/v1/projects/{pid}/tags", {"name": unique("team")})
    category = await ok("POST", "/api/v1/categories", {"name": unique("cat")})
    await ok("POST", "/api/v1/rule-attributes", {"name": "tier_x", "description": ""})
    feature = await api.feature(
        admin,
        pid,
        key="checkout",
        kind="multivariant",
        rollout_key="user.id",
        tags=[team["slug"]],
        category_id=category["id"],
    )
    fid = feature["id"]
    rules = [
        {
            "action": "assign",
            "priority": 1,
            "variant": "b",
            "segment_id": segment["id"],
            "condition": ENTERPRISE,
        },
        {"action": "assign", "priority": 2, "variant": "a", "segment_id": segment["id"]},
    ]
    variants = [{"name": "a", "rollout_percent": 50}, {"name": "b", "rollout_percent": 50}]
    state = await api.put_state(admin, fid, enabled=True, variants=variants, rules=rules)
    customised = next(r["id"] for r in state["rules"] if r["is_customized"])
    schedule = await ok(
        "POST",
        f"/api/v1/features/{fid}/environments/prod/schedules",
        {**_SCHEDULE, "starts_at": "2031-05-01T00:00:00Z", "ends_at": "2031-05-01T12:00:00Z"},
    )
    await ok(
        "PUT",
        f"/api/v1/features/{fid}/environments/prod/algorithm",
        {"algorithm": "epsilon-greedy", "enabled": False},
    )
    manager, _ = await member(api, admin, pid, "mgr", "manager")
    viewer, _ = await member(api, admin, pid, "vera", "viewer")
    newcomer = await api.create_user(admin, unique("newcomer"))
    memberships = await ok("GET", f"/api/v1/projects/{pid}/memberships")
    vera = next(m for m in memberships["items"] if m["user_id"] == viewer["id"])
    tags = await ok("GET", f"/api/v1/projects/{pid}/tags")
    guarded_tag = next(t for t in tags["items"] if t["slug"] == "guarded")
    # Switch the guard on: all tightening, so it applies at once.
    await ok("PATCH", f"/api/v1/features/{fid}", {"tags": [team["slug"], "guarded"]})
    await ok("PATCH", f"/api/v1/projects/{pid}/environments/prod", {"requires_approval": True})
    await ok("PUT", f"/api/v1/projects/{pid}/governance", {"requires_approval": True})
    await ok("PUT", f"/api/v1/projects/{pid}/settings", {"required_approvals": 2})
    prod = await ok("GET", f"/api/v1/projects/{pid}/environments/prod")
    return World(
        admin=admin,
        pid=pid,
        fid=fid,
        key="checkout",
        prod_id=prod["id"],
        ids={
            "project_id": pid,
            "feature_id": fid,
            "feature_key": "checkout",
            "env_key": "prod",
            "segment_id": segment["id"],
            "rule_id": customised,
            "schedule_id": schedule["id"],
            "tag_id": guarded_tag["id"],
            "team_tag_id": team["id"],
            "category_id": category["id"],
            "membership_id": vera["id"],
            "name": "tier_x",
            "manager_id": manager["id"],
            "new_user_id": newcomer["id"],
        },
    )


async def _served(api: Api, w: World) -> Any:
    """What the guarded feature serves in prod: its snapshot rebuilt from the database (what any
    node would serve), and SDK answers for several contexts."""
    snapshots = api.services.snapshots
    await snapshots.load_all()
    env = snapshots.by_environment(w.prod_id)
    if env is None or w.key not in env.flags:
        return ("not served",)
    f = env.flags[w.key]
    rules = sorted((r.action.value, r.priority, repr(r.expression), r.variant) for r in f.rules)
    answers = []
    for context in CONTEXTS:
        r = await api.client.post(
            f"/sdk/v1/features/{w.key}/evaluate",
            json=context,
            headers={"Authorization": env.api_key},
        )
        assert r.status_code == 200, r.text
        answers.append(r.json())
    return (
        f.kind,
        f.rollout_key,
        f.enabled,
        f.default_value,
        f.variants,
        rules,
        f.schedules,
        f.algorithm,
        answers,
    )


async def _guard(api: Api, w: World) -> dict[str, Any]:
    c, h = api.client, w.admin
    project = await c.get(f"/api/v1/projects/{w.pid}", headers=h)
    if project.status_code == 404:
        return {"project": None}
    gov = (await c.get(f"/api/v1/projects/{w.pid}/governance", headers=h)).json()
    settings = (await c.get(f"/api/v1/projects/{w.pid}/settings", headers=h)).json()
    envs = (await c.get(f"/api/v1/projects/{w.pid}/environments", headers=h)).json()
    feature = await c.get(f"/api/v1/features/{w.fid}", headers=h)
    return {
        "project": project.json()["archived_at"] is None,
        "requires_approval": gov["requires_approval"],
        "approver_ids": sorted(gov["approver_ids"]),
        "required_approvals": settings["required_approvals"],
        "guarded_envs": {e["key"] for e in envs["items"] if e["requires_approval"]},
        "tagged": feature.status_code == 200 and "guarded" in feature.json()["tags"],
    }


def _weakened(before: dict[str, Any], after: dict[str, Any]) -> list[str]:
    if after["project"] is None or after["project"] is False:
        return ["the project was removed or archived"]
    found = [
        f"{name}: {before[name]} -> {after[name]}"
        for name in ("requires_approval", "tagged")
        if before[name] and not after[name]
    ]
    if after["required_approvals"] < before["required_approvals"]:
        found.append(
            f"required_approvals: {before['required_approvals']} -> {after['required_approvals']}"
        )
    if after["approver_ids"] != before["approver_ids"]:
        found.append("approver_ids changed")
    if before["guarded_envs"] - after["guarded_envs"]:
        found.append(
            f"environments no longer guarded: {before['guarded_envs'] - after['guarded_envs']}"
        )
    return found


async def _cancel_pending(api: Api, w: World) -> list[str]:
    """Cancel every pending change of the project (they would lock the next calls)."""
    r = await api.client.get(
        f"/api/v1/projects/{w.pid}/pending-changes", params={"status": "pending"}, headers=w.admin
    )
    if r.status_code == 404:
        return []
    ids = [c["id"] for c in r.json()["items"]]
    for change_id in ids:
        r = await api.client.post(
            f"/api/v1/pending-changes/{change_id}/cancel", json={}, headers=w.admin
        )
        assert r.status_code == 200, r.text
    return ids


async def test_no_mutating_endpoint_changes_a_guarded_feature_or_the_guard_without_approval(
    api: Api,
) -> None:
    w = await _world(api)
    failures: list[str] = []
    held = 0
    for method, path, bodies in CALLED:
        for body in bodies:
            params = {
                **w.ids,
                **{k: w.ids[v] for k, v in PATH_OVERRIDES.get((method, path), {}).items()},
            }
            url = path.format(**{k: params[k] for k in _names(path)})
            served, guard = await _served(api, w), await _guard(api, w)
            payload = body(w)
            r = await api.client.request(method, url, json=payload, headers=w.admin)
            label = f"{method} {path} {payload}"
            if r.status_code >= 300:
                failures.append(
                    f"{label}: expected a 2xx for a valid request, got {r.status_code} {r.text}"
                )
                continue
            after_served, after_guard = await _served(api, w), await _guard(api, w)
            pending = await _cancel_pending(api, w)
            held += bool(pending)
            if after_served != served:
                failures.append(
                    f"{label}: answered {r.status_code} and changed what checkout serves"
                )
            for weakness in _weakened(guard, after_guard):
                failures.append(
                    f"{label}: answered {r.status_code} and weakened the guard ({weakness})"
                )
            if r.status_code == 202:
                assert r.json()["status"] in ("pending", "cancelled"), r.text
    assert not failures, "\n".join(failures)
    assert held >= 15  # the guarded operations were held back, not refused


def _names(path: str) -> list[str]:
    return [part[1:-1] for part in path.split("/") if part.startswith("{")]
