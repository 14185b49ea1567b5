"""Run the Alembic history programmatically (no alembic.ini needed)."""

from __future__ import annotations

import asyncio
from functools import lru_cache
from pathlib import Path

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from alembic.script import ScriptDirectory
from sqlalchemy.ext.asyncio import AsyncEngine

MIGRATIONS = Path(__file__).parent / "migrations"


def alembic_config(url: str) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.set_main_option("sqlalchemy.url", url)
    return cfg


def upgrade(url: str, revision: str = "heads") -> None:
    """Migrate to every head (capability branches may add their own) — blocking; run in a thread."""
    command.upgrade(alembic_config(url), revision)


def downgrade(url: str, revision: str) -> None:
    command.downgrade(alembic_config(url), revision)


async def upgrade_async(url: str, revision: str = "heads") -> None:
    await asyncio.to_thread(upgrade, url, revision)


@lru_cache(maxsize=1)
def script_heads() -> frozenset[str]:
    """The head revisions of the migration history (read once per process)."""
    return frozenset(ScriptDirectory.from_config(alembic_config("sqlite://")).get_heads())


async def is_current(engine: AsyncEngine) -> bool:
    """True when the database is at every head already, so start-up can skip Alembic."""
    async with engine.connect() as conn:
        has_table = await conn.run_sync(lambda c: sa.inspect(c).has_table("alembic_version"))
        if not has_table:
            return False
        rows = await conn.execute(sa.text("SELECT version_num FROM alembic_version"))
        return frozenset(r[0] for r in rows) == script_heads()
