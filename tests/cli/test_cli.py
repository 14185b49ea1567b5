"""The command line: migrate, create users, write docs."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from togglr.cli.main import app
from togglr.config import settings_markdown

runner = CliRunner()


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("TOGGLR_DATABASE_URL", f"sqlite+aiosqlite:///{tmp_path}/cli.db")
    monkeypatch.setenv("TOGGLR_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("TOGGLR_FAST_PASSWORD_HASHING", "true")
    return tmp_path


def test_migrate_then_create_a_user_who_can_sign_in(env: Path) -> None:
    result = runner.invoke(app, ["migrate"])
    assert result.exit_code == 0, result.output
    assert "up to date" in result.output
    result = runner.invoke(
        app,
        ["users", "create", "--email", "ops@example.com", "--superuser"],
        input="cli-password-1\ncli-password-1\n",
    )
    assert result.exit_code == 0, result.output
    assert "created user ops" in result.output

    from togglr.bootstrap import build_runtime

    async def login() -> Any:
        runtime = build_runtime()
        try:
            return await runtime.services.accounts.login("ops@example.com", "cli-password-1")
        finally:
            await runtime.services.storage.close()

    pair = asyncio.run(login())
    assert pair.is_tmp_password is True


def test_config_docs_writes_the_table(env: Path) -> None:
    out = env / "configuration.md"
    result = runner.invoke(app, ["config-docs", "--output", str(out)])
    assert result.exit_code == 0, result.output
    assert out.read_text() == settings_markdown()


def test_users_create_refuses_a_weak_password_and_says_why(env: Path) -> None:
    assert runner.invoke(app, ["migrate"]).exit_code == 0
    result = runner.invoke(
        app,
        ["users", "create", "--email", "weak@example.com"],
        input="password1\npassword1\n",
    )
    assert result.exit_code == 2, result.output
    assert "too easy to guess" in result.output
    assert "Traceback" not in result.output
