"""The one Alembic history runs up, down and up again on SQLite and on PostgreSQL."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import create_async_engine
from tests.conftest import POSTGRES_URL, fresh_postgres_url

from togglr.storage.sql.migrate import downgrade, upgrade
from togglr.storage.sql.tables import metadata


async def _tables(url: str) -> set[str]:
    engine = create_async_engine(url)
    async with engine.connect() as conn:
        names = await conn.run_sync(lambda c: set(sa.inspect(c).get_table_names()))
    await engine.dispose()
    return names - {"alembic_version"}


async def _round_trip(url: str) -> None:
    await asyncio.to_thread(upgrade, url)
    after_up = await _tables(url)
    assert set(metadata.tables) <= after_up  # every table the code declares exists
    await asyncio.to_thread(downgrade, url, "base")
    assert await _tables(url) == set()
    await asyncio.to_thread(upgrade, url)
    assert await _tables(url) == after_up


async def test_sqlite_round_trip(tmp_path: Any) -> None:
    await _round_trip(f"sqlite+aiosqlite:///{tmp_path}/m.db")


@pytest.mark.postgres
async def test_postgres_round_trip() -> None:
    if POSTGRES_URL is None:
        pytest.skip("PostgreSQL not configured: set TOGGLR_TEST_POSTGRES_URL (always on in CI)")
    await _round_trip(await fresh_postgres_url(migrated=False))
