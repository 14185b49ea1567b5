"""Login protection: limits per account and per address, in the database or in a real Redis,
shared by every node."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

import pytest
from redis.asyncio import Redis
from tests.api.test_identity_support import (
    client_at,
    module_fixtures,
    running,
    sign_in,
    some_address,
    unique,
)
from tests.conftest import Api, fresh_sqlite_url

from togglr.services.ratelimit import Limits, RateLimiter

REDIS_URL = "redis://127.0.0.1:6379/0"


pytestmark = pytest.mark.asyncio(loop_scope="module")
node, api = module_fixtures()


async def test_failed_logins_lock_the_account_and_the_address_not_everyone(api: Api) -> None:
    admin = await api.admin()
    jane, kim, lee, max_ = (unique(n) for n in ("jane", "kim", "lee", "max"))
    await api.create_user(admin, jane)
    await api.create_user(admin, kim)
    bad_address = some_address()
    async with client_at(api, bad_address) as attacker, client_at(api, some_address()) as office:
        for _ in range(10):
            assert (await sign_in(api, jane, "wrong-password", attacker)).status_code == 401
        # the account is locked, even for the right password and from another address ...
        for who in (attacker, office):
            r = await sign_in(api, f"{jane}@example.com", client=who)  # by e-mail: same account
            assert r.status_code == 429
            assert 0 < int(r.headers["Retry-After"]) <= 900
        # ... other accounts are not
        assert (await sign_in(api, kim, client=office)).status_code == 200

        # many accounts from one address: the address is locked after 30 failures
        for name in (lee, max_):
            await api.create_user(admin, name)
            for _ in range(10):
                assert (await sign_in(api, name, "wrong-password", attacker)).status_code == 401
        r = await sign_in(api, kim, client=attacker)
        assert r.status_code == 429
        assert (await sign_in(api, kim, client=office)).status_code == 200

    r = await api.client.get(
        "/api/v1/security-events?action=login_failed&per_page=500", headers=admin
    )
    failed = [e for e in r.json()["items"] if e["username"] in (jane, lee, max_)]
    assert len(failed) == 30
    assert {e["new_value"]["ip"] for e in failed} == {bad_address}
    blocked = await api.client.get(
        "/api/v1/security-events?action=login_rate_limited&per_page=500", headers=admin
    )
    assert {e["username"] for e in blocked.json()["items"]} >= {f"{jane}@example.com", kim}


async def test_creating_tokens_and_failed_refreshes_are_limited(api: Api) -> None:
    admin = await api.admin()
    project = await api.project(admin)
    body = {"name": "t", "project_id": project["id"], "role": "viewer", "expires_at": None}
    statuses = [
        (await api.client.post("/api/v1/users/me/tokens", json=body, headers=admin)).status_code
        for _ in range(21)
    ]
    assert statuses == [201] * 20 + [429]

    async with client_at(api, some_address()) as client:
        for _ in range(60):
            r = await client.post("/api/v1/auth/refresh", json={"refresh_token": "not-a-token"})
            assert r.status_code == 401
        refresh = (await sign_in(api, "admin", "admin-password-1")).json()["refresh_token"]
        r = await client.post("/api/v1/auth/refresh", json={"refresh_token": refresh})
        assert r.status_code == 429
    assert (
        await api.client.post("/api/v1/auth/refresh", json={"refresh_token": refresh})
    ).status_code == 200


async def test_limits_in_redis_hold_across_nodes(tmp_path: Any) -> None:
    """Two nodes on one database share one Redis: a lock set through one node holds on the other."""
    redis = Redis.from_url(REDIS_URL)
    try:
        await redis.ping()
    except Exception:
        pytest.skip("Redis is not running on 127.0.0.1:6379")
    address, other_address = some_address(), some_address()
    limits = Limits()
    url = await fresh_sqlite_url(tmp_path)
    keys = [RateLimiter.key(limits.login_ip, a) for a in (address, other_address)]
    try:
        async with running(url, tmp_path, redis_url=REDIS_URL) as node_a:
            admin = await node_a.admin()
            user = await node_a.create_user(admin, f"u{uuid.uuid4().hex[:10]}")
            key = RateLimiter.key(limits.login_user, f"user:{user['id']}")
            keys.append(key)
            async with client_at(node_a, address) as client:
                for _ in range(10):
                    assert (
                        await sign_in(node_a, user["username"], "wrong", client)
                    ).status_code == 401
            assert int(await redis.get(key)) == 10
            assert 0 < await redis.ttl(key) <= 900
            async with (
                running(url, tmp_path, redis_url=REDIS_URL) as node_b,
                client_at(node_b, other_address) as client,
            ):
                r = await sign_in(node_b, user["username"], client=client)
                assert r.status_code == 429
                assert int(r.headers["Retry-After"]) > 0
            # the database holds no counters when Redis does
            async with node_a.services.storage.unit_of_work() as uow:
                assert await uow.rate_limits.peek(key, datetime.now(UTC)) == (0, None)
    finally:
        await redis.delete(*keys)
        await redis.aclose()
