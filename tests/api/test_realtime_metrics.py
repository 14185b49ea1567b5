"""WebSocket change feed, Prometheus metrics, liveness and readiness."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import httpx
import pytest
import websockets
from tests.conftest import Api, LiveServer


async def test_websocket_streams_changes_of_visible_projects(live_server: LiveServer) -> None:
    async with httpx.AsyncClient(base_url=live_server.url) as c:
        helper = Api(c, live_server.app)
        h = await helper.admin()
        project = await helper.project(h)
        hidden = await helper.project(h)
        feature = await helper.feature(h, project["id"])
        await helper.create_user(h, "watcher")
        watcher = await helper.login("watcher", "user-password-1")
        users = (await c.get("/api/v1/users?search=watcher", headers=h)).json()["items"]
        await c.post(
            f"/api/v1/projects/{project['id']}/memberships",
            json={"user_id": users[0]["id"], "role_id": "viewer"},
            headers=h,
        )
        ws_url = live_server.url.replace("http://", "ws://") + f"/api/ws?token={watcher}"
        async with websockets.connect(ws_url) as ws:
            hello = json.loads(await asyncio.wait_for(ws.recv(), 5))
            assert hello["type"] == "hello"
            hidden_feature = await helper.feature(h, hidden["id"])
            await c.put(
                f"/api/v1/features/{hidden_feature['id']}/environments/prod/toggle",
                json={"enabled": True},
                headers=h,
            )
            await c.put(
                f"/api/v1/features/{feature['id']}/environments/prod/toggle",
                json={"enabled": True},
                headers=h,
            )
            message = json.loads(await asyncio.wait_for(ws.recv(), 5))
            assert message["type"] == "feature.changed"
            assert (
                message["feature_id"] == feature["id"]
            )  # the hidden project's change never arrived
            await ws.send(json.dumps({"type": "ping"}))
            assert json.loads(await asyncio.wait_for(ws.recv(), 5))["type"] == "pong"


async def test_websocket_rejects_missing_or_bad_tokens(live_server: LiveServer) -> None:
    base = live_server.url.replace("http://", "ws://") + "/api/ws"
    for url in (base, base + "?token=garbage"):
        with pytest.raises(websockets.exceptions.InvalidStatus) as caught:
            async with websockets.connect(url) as ws:
                await asyncio.wait_for(ws.recv(), 5)
        assert caught.value.response.status_code == 403  # refused before the upgrade


async def test_metrics_count_evaluations_by_reason(sqlite_api: Api) -> None:
    api = sqlite_api
    h = await api.admin()
    project = await api.project(h)
    feature = await api.feature(h, project["id"], key="mm")
    await api.put_state(h, feature["id"], enabled=True)
    key = {"Authorization": await api.sdk_key(h, project["id"])}
    for _ in range(3):
        await api.client.post("/sdk/v1/features/mm/evaluate", json={}, headers=key)
    metrics = api.app.runtime.metrics
    transport = httpx.ASGITransport(app=metrics.asgi_app())
    async with httpx.AsyncClient(transport=transport, base_url="http://metrics") as c:
        text = (await c.get("/metrics")).text
    assert 'togglr_evaluations_total{reason="DEFAULT"} 3.0' in text
    assert "togglr_http_request_duration_seconds_bucket" in text
    assert 'route="/sdk/v1/features/{feature_key}/evaluate"' in text


async def test_liveness_and_readiness(sqlite_api: Api) -> None:
    assert (await sqlite_api.client.get("/healthz")).json() == {"status": "ok"}
    ready: Any = (await sqlite_api.client.get("/readyz")).json()
    assert ready["status"] == "ready"
