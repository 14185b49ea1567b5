"""Feedback into live statistics: dedup, rejected events, optimizers, series, raw retention."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from tests.conftest import Api

from togglr.domain.feedback import FeedbackEvent


def url(feature_id: str, tail: str = "") -> str:
    return f"/api/v1/features/{feature_id}/environments/prod/algorithm{tail}"


async def _track(api: Api, sdk: dict[str, str], key: str, **body: Any) -> int:
    r = await api.client.post(f"/sdk/v1/features/{key}/track", json=body, headers=sdk)
    return r.status_code


async def test_feedback_counts_once_and_optimizers_serve_and_step(api: Api) -> None:
    h = await api.admin()
    pid = (await api.project(h))["id"]
    sdk = {"Authorization": await api.sdk_key(h, pid)}
    live = api.services.extra["experiments"].live
    feature = await api.feature(h, pid, kind="multivariant", rollout_key="user.id")
    fid, key = feature["id"], feature["key"]
    await api.put_state(
        h,
        fid,
        enabled=True,
        variants=[{"name": "a", "rollout_percent": 100}, {"name": "b", "rollout_percent": 0}],
    )
    assert (
        await api.client.put(url(fid), json={"algorithm": "thompson-sampling"}, headers=h)
    ).status_code == 200

    for _ in range(3):  # one event, retried by the SDK
        assert (
            await _track(
                api, sdk, key, event_type="success", variant_key="a", reward=2, dedup_key="once"
            )
            == 202
        )
    assert await _track(api, sdk, key, event_type="success", variant_key="a") == 202
    assert await _track(api, sdk, key, event_type="error", variant_key="b", reward=3) == 202
    assert await _track(api, sdk, key, event_type="success") == 202  # stored, but names no variant
    r = await api.client.post(
        f"/sdk/v1/features/{key}/track",
        json={"event_type": "success", "variant_key": "zzz"},
        headers=sdk,
    )
    assert r.status_code == 400 and r.json()["error"]["code"] == "unknown_variant"
    other = {"Authorization": await api.sdk_key(h, (await api.project(h))["id"])}
    assert await _track(api, other, key, event_type="success", variant_key="a") == 404
    assert live.pending_events() == 4
    await live.flush()
    assert live.pending_events() == 0

    results = (await api.client.get(url(fid, "/results"), headers=h)).json()
    rows = {v["variant"]: v for v in results["variants"]}
    assert (rows["a"]["successes"], rows["a"]["reward_sum"]) == (
        2,
        3.0,
    )  # reward 2, and 1 for a bare success
    assert (rows["b"]["failures"], rows["b"]["errors"], rows["b"]["reward_sum"]) == (1, 1, -3.0)
    assert results["summary"]["observations"] == 3
    points = {p["variant"]: p for p in results["series"]["points"]}
    assert (
        points["a"]["successes"] == 2
        and points["b"]["errors"] == 1
        and points[""]["successes"] == 1
    )
    hourly = (
        await api.client.get(url(fid, "/results"), params={"bucket": "hour"}, headers=h)
    ).json()
    assert sum(p["successes"] for p in hourly["series"]["points"]) == 3
    async with api.services.storage.unit_of_work() as uow:
        assert (
            await uow.events.count_feedback(
                fid, (await uow.environments.get_by_key(pid, "prod")).id
            )
            == 4
        )

    # a contextual model whose hashing changes while feedback is unflushed keeps that feedback
    r = await api.client.put(url(fid), json={"algorithm": "contextual_epsilon"}, headers=h)
    assert r.status_code == 200, r.text
    contextual = r.json()["id"]
    for i in range(4):
        body = {"event_type": "success", "variant_key": "a", "context": {"plan": "pro", "n": i}}
        assert await _track(api, sdk, key, **body) == 202
        if i == 1:  # half of them already taken for a flush that has not happened yet
            live.find(contextual).take(datetime.now(UTC))
    settings = {"feature_dim": 16}
    r = await api.client.put(
        url(fid), json={"algorithm": "contextual_epsilon", "settings": settings}, headers=h
    )
    assert r.status_code == 200, r.text
    assert (
        await _track(api, sdk, key, event_type="failure", variant_key="b", context={"plan": "free"})
        == 202
    )
    await live.flush()
    rows = {
        v["variant"]: v
        for v in (await api.client.get(url(fid, "/results"), headers=h)).json()["variants"]
    }
    assert (rows["a"]["successes"], rows["b"]["failures"]) == (4, 1)

    # an optimizer serves numbers on a simple feature and steps once both values have a batch
    simple = await api.feature(h, pid, rollout_key="user.id")
    await api.put_state(h, simple["id"], enabled=True)
    body = {
        "algorithm": "hill_climb",
        "settings": {"initial_value": 10, "step": 1, "batch_size": 2, "decimals": 0},
    }
    r = await api.client.put(url(simple["id"]), json=body, headers=h)
    assert r.status_code == 200, r.text
    served = set()
    for i in range(20):
        r = await api.client.post(
            f"/sdk/v1/features/{simple['key']}/evaluate",
            json={"user": {"id": f"u{i}"}},
            headers=sdk,
        )
        served.add(r.json()["value"])
    assert served == {"10", "11"}
    for value, reward in (("10", 1), ("11", 5)):
        for _ in range(2):
            assert (
                await _track(
                    api, sdk, simple["key"], event_type="success", variant_key=value, reward=reward
                )
                == 202
            )
    await live.flush()
    results = (await api.client.get(url(simple["id"], "/results"), headers=h)).json()
    assert results["kind"] == "optimizer"
    assert results["optimizer"]["current_value"] == 11 and results["optimizer"]["best_value"] == 11
    assert results["optimizer"]["iteration"] == 1
    assert sorted(v["variant"] for v in results["variants"]) == ["11", "12"]


async def test_retention_drops_old_raw_events_and_their_dedup_keys(api: Api) -> None:
    h = await api.admin()
    pid = (await api.project(h))["id"]
    feature = await api.feature(h, pid, kind="multivariant")
    fid = feature["id"]
    retention = api.services.extra["experiments"].retention
    now = datetime.now(UTC)
    async with api.services.storage.unit_of_work() as uow:
        env = await uow.environments.get_by_key(pid, "prod")

        def event(dedup: str, age_days: float) -> FeedbackEvent:
            at = now - timedelta(days=age_days)
            return FeedbackEvent(
                pid, env.id, fid, feature["key"], None, "a", "success", 1.0, None, dedup, at, at
            )

        mode = await uow.feedback_retention.mode()
        if (
            mode == "partitioned"
        ):  # an old day with its own partition, and one that falls in the default
            await uow.feedback_retention.ensure_partitions([(now - timedelta(days=40)).date()])
        assert (
            await uow.events.add_feedback([event("old", 40), event("older", 400), event("new", 1)])
            == [True] * 3
        )
        assert await uow.events.add_feedback([event("old", 0)]) == [False]  # dedup holds
    report = await retention.run_once()
    assert report["mode"] == (
        "partitioned" if api.services.storage.url.startswith("postgresql") else "plain"
    )
    async with api.services.storage.unit_of_work() as uow:
        assert await uow.events.count_feedback(fid, env.id) == 1
        if mode == "partitioned":
            names = await uow.feedback_retention.partitions()
            assert f"feedback_events_p{(now - timedelta(days=40)).strftime('%Y%m%d')}" not in names
            assert f"feedback_events_p{(now + timedelta(days=7)).strftime('%Y%m%d')}" in names
        # past the retention a dedup key is forgotten together with its event
        assert await uow.events.add_feedback([event("old", 0)]) == [True]
