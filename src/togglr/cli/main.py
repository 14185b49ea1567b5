"""`togglr` command line: serve, migrate, users, openapi. No business logic lives here."""

from __future__ import annotations

import asyncio
import json
import logging
from pathlib import Path

import typer

from togglr.bootstrap import build_app, build_runtime
from togglr.cli import experiments as experiments_cli
from togglr.cli import preflight
from togglr.config import load_settings
from togglr.domain.accounts import SYSTEM
from togglr.domain.errors import TogglrError

app = typer.Typer(
    help="Togglr: self-hosted feature flags and adaptive experiments.", no_args_is_help=True
)
users = typer.Typer(help="Manage users.", no_args_is_help=True)
app.add_typer(users, name="users")
app.add_typer(experiments_cli.app, name="experiments")


@app.command()
def serve(
    host: str | None = typer.Option(None, help="Listen address (TOGGLR_HOST)"),
    port: int | None = typer.Option(None, help="Listen port (TOGGLR_PORT)"),
    reload: bool = typer.Option(False, help="Reload on code changes (development)"),
) -> None:
    """Migrate the database, then serve API, SDK API, OFREP, WebSocket, UI and metrics."""
    import uvicorn

    overrides = {k: v for k, v in {"host": host, "port": port}.items() if v is not None}
    settings = load_settings(**overrides)
    logging.basicConfig(
        level=settings.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    if reload:
        uvicorn.run(
            "togglr.bootstrap:asgi_app",
            factory=True,
            host=settings.host,
            port=settings.port,
            reload=True,
            proxy_headers=False,  # the app decides whom to believe (TOGGLR_TRUSTED_PROXIES)
        )
        return
    try:
        sockets = preflight.check(settings)
    except preflight.StartupError as exc:
        typer.echo(f"togglr: cannot start: {exc}", err=True)
        raise typer.Exit(2) from None
    asgi = build_app(settings)
    main = uvicorn.Server(
        uvicorn.Config(
            asgi,
            host=settings.host,
            port=settings.port,
            log_level=settings.log_level,
            access_log=False,
            loop="auto",
            http="auto",
            # uvicorn would believe X-Forwarded-* from 127.0.0.1 (its default), letting a local
            # client choose its address; the app applies TOGGLR_TRUSTED_PROXIES instead.
            proxy_headers=False,
        )
    )
    servers = [main.serve(sockets=[sockets[0]])]
    if settings.metrics_port:
        metrics_app = asgi.runtime.metrics.asgi_app()  # type: ignore[attr-defined]
        metrics = uvicorn.Server(
            uvicorn.Config(
                metrics_app,
                host=settings.metrics_host,
                port=settings.metrics_port,
                log_level="warning",
                lifespan="off",
            )
        )
        servers.append(metrics.serve(sockets=[sockets[1]]))

    async def announce_when_serving() -> None:
        # Only once the app's start-up (migrations, snapshots, bus) finished and it listens.
        while not main.started:
            if main.should_exit:
                return
            await asyncio.sleep(0.05)
        typer.echo(
            f"Togglr serving on http://{settings.host}:{settings.port}"
            f"  (metrics :{settings.metrics_port})",
            err=True,
        )

    async def run_all() -> None:
        await asyncio.gather(*servers, announce_when_serving())

    asyncio.run(run_all())


@app.command()
def migrate() -> None:
    """Apply database migrations up to the latest revision."""
    settings = load_settings()
    from togglr.storage.sql.migrate import upgrade

    upgrade(settings.database_url)
    typer.echo("database is up to date")


@users.command("create")
def create_user(
    email: str = typer.Option(..., help="E-mail address"),
    username: str | None = typer.Option(None, help="Username (default: the part before @)"),
    password: str = typer.Option(..., prompt=True, hide_input=True, confirmation_prompt=True),
    superuser: bool = typer.Option(False, help="Grant superuser rights"),
) -> None:
    """Create a user (who must change the password at first login)."""
    runtime = build_runtime()

    async def run() -> None:
        await runtime.services.storage.migrate()
        try:
            user = await runtime.services.accounts.create_user(
                SYSTEM,
                username=username or email.split("@")[0],
                email=email,
                password=password,
                is_superuser=superuser,
            )
        finally:
            await runtime.services.storage.close()
        typer.echo(f"created user {user.username} ({user.id})")

    try:
        asyncio.run(run())
    except TogglrError as exc:  # a weak password, a taken name: say why, no traceback
        typer.echo(f"error: {exc.message}", err=True)
        raise typer.Exit(2) from None


@app.command()
def openapi(
    output: Path = typer.Option(Path("spec/openapi/admin.json"), help="Where to write it"),
) -> None:
    """Write the management API's OpenAPI document."""
    asgi = build_app(
        load_settings(database_url="sqlite+aiosqlite:///:memory:", jwt_secret="x" * 32)
    )
    schema = asgi.api.app.openapi()  # type: ignore[attr-defined]
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(json.dumps(schema, indent=2, sort_keys=True) + "\n")
    typer.echo(f"wrote {output}")


@app.command("config-docs")
def config_docs(
    output: Path = typer.Option(Path("docs/configuration.md"), help="Where to write it"),
) -> None:
    """Write the table of every TOGGLR_* setting."""
    from togglr.config import settings_markdown

    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(settings_markdown())
    typer.echo(f"wrote {output}")


if __name__ == "__main__":
    app()
