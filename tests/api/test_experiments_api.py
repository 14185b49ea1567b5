"""Attaching algorithms: catalogue, validation, permissions, switching, history, audit, guard."""

from __future__ import annotations

from typing import Any

from tests.api.governance_support import audit, member
from tests.conftest import Api

SLUGS = {
    "epsilon-greedy",
    "thompson-sampling",
    "gaussian-thompson",
    "ucb",
    "lin_ucb",
    "contextual_thompson",
    "contextual_epsilon",
    "hill_climb",
    "simulated_annealing",
    "pid_controller",
    "cem",
    "bayes_opt",
}
VARIANTS = [{"name": "a", "rollout_percent": 50}, {"name": "b", "rollout_percent": 50}]


def url(feature_id: str, env: str = "prod", tail: str = "") -> str:
    return f"/api/v1/features/{feature_id}/environments/{env}/algorithm{tail}"


async def _bandit_feature(api: Api, h: dict[str, str], pid: str, **extra: Any) -> dict[str, Any]:
    feature = await api.feature(h, pid, kind="multivariant", rollout_key="user.id", **extra)
    await api.put_state(h, feature["id"], enabled=True, variants=VARIANTS)
    return feature


async def _explain(api: Api, h: dict[str, str], pid: str, key: str, user: str) -> dict[str, Any]:
    r = await api.client.post(
        f"/api/v1/projects/{pid}/environments/prod/evaluate/{key}",
        json={"context": {"user": {"id": user}}},
        headers=h,
    )
    assert r.status_code == 200, r.text
    return dict(r.json())


async def test_catalogue_validation_and_permissions(api: Api) -> None:
    h = await api.admin()
    pid = (await api.project(h))["id"]
    r = await api.client.get("/api/v1/algorithms")
    assert r.status_code == 401
    r = await api.client.get("/api/v1/algorithms", headers=h)
    assert r.status_code == 200
    items = {a["slug"]: a for a in r.json()["items"]}
    assert set(items) == SLUGS
    thompson = items["thompson-sampling"]
    assert thompson["kind"] == "bandit" and thompson["default_settings"]["prior_alpha"] == 1.0
    assert thompson["settings_schema"]["properties"]["min_share"]["maximum"] == 0.5
    assert (
        items["bayes_opt"]["kind"] == "optimizer"
        and items["lin_ucb"]["kind"] == "contextual_bandit"
    )

    feature = await _bandit_feature(api, h, pid)
    simple = await api.feature(h, pid)
    fid = feature["id"]
    r = await api.client.get(url(fid), headers=h)
    assert r.status_code == 404 and r.json()["error"]["code"] == "not_found"
    r = await api.client.delete(url(fid), headers=h)
    assert r.status_code == 404

    bad = [
        ({"algorithm": "nope"}, "algorithm: unknown algorithm 'nope'"),
        (
            {"algorithm": "epsilon-greedy", "settings": {"epsilon": 2}},
            "settings: setting 'epsilon' must be <=",
        ),
        ({"algorithm": "epsilon-greedy", "settings": {"epsilon": "x"}}, "must be a number"),
        ({"algorithm": "epsilon-greedy", "settings": {"epsilon": True}}, "must be a number"),
        (
            {"algorithm": "ucb", "settings": {"nonsense": 1}},
            "unknown setting(s) for 'ucb': nonsense",
        ),
        ({"algorithm": "hill_climb"}, "needs a simple feature"),
        ({"algorithm": "ucb", "extra": 1}, "extra"),
        ({"enabled": True}, "algorithm"),
    ]
    for body, message in bad:
        r = await api.client.put(url(fid), json=body, headers=h)
        assert r.status_code == 400, (body, r.text)
        assert message in r.json()["error"]["message"], (body, r.text)
    r = await api.client.put(url(simple["id"]), json={"algorithm": "ucb"}, headers=h)
    assert r.status_code == 400 and r.json()["error"]["code"] == "incompatible_algorithm"
    r = await api.client.put(url(fid, "nowhere"), json={"algorithm": "ucb"}, headers=h)
    assert r.status_code == 404
    r = await api.client.put(url("no-such-feature"), json={"algorithm": "ucb"}, headers=h)
    assert r.status_code == 404
    r = await api.client.get(url(fid, tail="/results"), params={"bucket": "week"}, headers=h)
    assert r.status_code == 400

    # a viewer reads, a member (no experiment.manage) cannot attach, an outsider sees nothing
    r = await api.client.put(url(fid), json={"algorithm": "ucb"}, headers=h)
    assert r.status_code == 200
    _, viewer_h = await member(api, h, pid, "vic", "viewer")
    _, member_h = await member(api, h, pid, "mel", "member")
    other_pid = (await api.project(h))["id"]
    _, outsider_h = await member(api, h, other_pid, "otto", "owner")
    assert (await api.client.get(url(fid), headers=viewer_h)).status_code == 200
    assert (await api.client.get(url(fid, tail="/results"), headers=viewer_h)).status_code == 200
    r = await api.client.put(url(fid), json={"algorithm": "thompson-sampling"}, headers=member_h)
    assert r.status_code == 403
    assert (await api.client.delete(url(fid), headers=viewer_h)).status_code == 403
    assert (await api.client.get(url(fid), headers=outsider_h)).status_code == 404
    assert (
        await api.client.put(url(fid), json={"algorithm": "ucb"}, headers=outsider_h)
    ).status_code == 404


async def test_switch_reconfigure_disable_detach_keep_history_and_audit(api: Api) -> None:
    h = await api.admin()
    pid = (await api.project(h))["id"]
    feature = await _bandit_feature(api, h, pid)
    fid, key = feature["id"], feature["key"]
    sdk = {"Authorization": await api.sdk_key(h, pid)}
    live = api.services.extra["experiments"].live

    r = await api.client.put(
        url(fid), json={"algorithm": "epsilon-greedy", "settings": {"epsilon": 0.2}}, headers=h
    )
    assert r.status_code == 200, r.text
    first = r.json()
    assert first["enabled"] is True and first["current"] is True and first["kind"] == "bandit"
    assert first["settings"] == {
        "epsilon": 0.2,
        "prior_alpha": 1.0,
        "prior_beta": 1.0,
        "min_share": 0.0,
        "decay_half_life": 0.0,
    }
    assert (await _explain(api, h, pid, key, "u1"))["reason"] == "ALGORITHM"
    # the same body again changes nothing
    r = await api.client.put(
        url(fid), json={"algorithm": "epsilon-greedy", "settings": {"epsilon": 0.2}}, headers=h
    )
    assert r.json()["id"] == first["id"] and r.json()["updated_at"] == first["updated_at"]

    for i in range(6):
        body = {"event_type": "success", "variant_key": "a", "dedup_key": f"e{i}"}
        assert (
            await api.client.post(f"/sdk/v1/features/{key}/track", json=body, headers=sdk)
        ).status_code == 202
    await live.flush()

    # new settings keep the statistics; disabling hands evaluation back to the split
    r = await api.client.put(
        url(fid),
        json={"algorithm": "epsilon-greedy", "enabled": False, "settings": {"epsilon": 0.5}},
        headers=h,
    )
    assert r.status_code == 200 and r.json()["id"] == first["id"] and r.json()["enabled"] is False
    results = (await api.client.get(url(fid, tail="/results"), headers=h)).json()
    assert {v["variant"]: v["successes"] for v in results["variants"]} == {"a": 6, "b": 0}
    assert results["attachment"]["settings"]["epsilon"] == 0.5
    assert (await _explain(api, h, pid, key, "u1"))["reason"] == "SPLIT"

    # switching starts fresh; the old statistics stay readable
    r = await api.client.put(url(fid), json={"algorithm": "thompson-sampling"}, headers=h)
    second = r.json()
    assert r.status_code == 200 and second["id"] != first["id"]
    assert (await _explain(api, h, pid, key, "u1"))["reason"] == "ALGORITHM"
    results = (await api.client.get(url(fid, tail="/results"), headers=h)).json()
    assert results["attachment"]["id"] == second["id"] and results["source"] == "live"
    assert all(v["successes"] == 0 for v in results["variants"])
    assert sum(v["evaluations"] for v in results["variants"]) == 0  # explaining is not evaluating
    old = (
        await api.client.get(
            url(fid, tail="/results"), params={"attachment_id": first["id"]}, headers=h
        )
    ).json()
    assert old["source"] == "stored" and old["attachment"]["current"] is False
    assert {v["variant"]: v["successes"] for v in old["variants"]} == {"a": 6, "b": 0}
    r = await api.client.get(url(fid, tail="/results"), params={"attachment_id": "nope"}, headers=h)
    assert r.status_code == 404

    assert (await api.client.delete(url(fid), headers=h)).status_code == 204
    assert (await api.client.get(url(fid), headers=h)).status_code == 404
    assert (await _explain(api, h, pid, key, "u1"))["reason"] == "SPLIT"
    history = (await api.client.get(url(fid, tail="/history"), headers=h)).json()["items"]
    assert [i["algorithm"] for i in history] == ["thompson-sampling", "epsilon-greedy"]
    assert all(i["detached_at"] is not None for i in history)
    assert history[1]["summary"]["observations"] == 6

    actions = [(e["action"], e["entity_id"]) for e in await audit(api, h, pid, entity="algorithm")]
    assert sorted(actions) == sorted(
        [
            ("attach", first["id"]),
            ("update", first["id"]),
            ("switch", second["id"]),
            ("detach", second["id"]),
        ]
    )


async def test_guarded_feature_changes_need_approval(api: Api) -> None:
    h = await api.admin()
    pid = (await api.project(h))["id"]
    feature = await _bandit_feature(api, h, pid)
    fid = feature["id"]
    r = await api.client.patch(f"/api/v1/features/{fid}", json={"tags": ["guarded"]}, headers=h)
    assert r.status_code == 200, r.text
    alice, alice_h = await member(api, h, pid, "alice", "manager")
    bob, bob_h = await member(api, h, pid, "bob", "manager")

    r = await api.client.put(
        url(fid), json={"algorithm": "ucb", "settings": {"confidence": 1.5}}, headers=alice_h
    )
    assert r.status_code == 202, r.text
    change = r.json()
    assert change["diff"][0]["entity"] == "algorithm" and change["diff"][0]["action"] == "create"
    assert change["diff"][0]["changes"]["algorithm"] == {"old": None, "new": "ucb"}
    assert (await api.client.get(url(fid), headers=h)).status_code == 404  # not applied yet
    # the feature is locked meanwhile
    r = await api.client.put(url(fid), json={"algorithm": "thompson-sampling"}, headers=bob_h)
    assert r.status_code == 409 and r.json()["error"]["code"] == "locked"

    r = await api.client.post(
        f"/api/v1/pending-changes/{change['id']}/approve",
        json={"password": bob["password"]},
        headers=bob_h,
    )
    assert r.status_code == 200 and r.json()["status"] == "approved", r.text
    attached = (await api.client.get(url(fid), headers=h)).json()
    assert attached["algorithm"] == "ucb" and attached["settings"]["confidence"] == 1.5
    assert attached["created_by"] == alice["username"]
    explained = await _explain(api, h, pid, feature["key"], "u9")
    assert explained["reason"] == "ALGORITHM"

    # detaching a guarded feature's algorithm needs approval too (the reference let it through)
    r = await api.client.delete(url(fid), headers=alice_h)
    assert r.status_code == 202 and r.json()["diff"][0]["action"] == "delete"
    assert (await api.client.get(url(fid), headers=h)).status_code == 200
    r = await api.client.post(
        f"/api/v1/pending-changes/{r.json()['id']}/approve",
        json={"password": bob["password"]},
        headers=bob_h,
    )
    assert r.status_code == 200, r.text
    assert (await api.client.get(url(fid), headers=h)).status_code == 404
