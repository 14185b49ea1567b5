"""Checks `togglr serve` runs before it builds the server, so that a setting that cannot work
ends the start with one line naming the setting and the cause, not a traceback after a
"serving" line that was never true."""

from __future__ import annotations

import asyncio
import socket

from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, NoSuchModuleError

from togglr.config import Settings

CONNECT_TIMEOUT = 10.0


class StartupError(Exception):
    """A setting that keeps the server from starting; the message is the whole story."""


def _cause(exc: BaseException) -> str:
    text = " ".join(str(exc).split()) or type(exc).__name__
    return text if len(text) <= 200 else text[:197] + "..."


def _database_label(url: str) -> str:
    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return "the configured URL"


async def check_database(url: str, *, within: float = CONNECT_TIMEOUT) -> None:
    """The URL parses, its driver loads, and a connection opens within `within` seconds."""
    from sqlalchemy import text
    from sqlalchemy.ext.asyncio import create_async_engine

    try:
        engine = create_async_engine(url)
    except (ArgumentError, NoSuchModuleError, ImportError, ValueError) as exc:
        raise StartupError(f"TOGGLR_DATABASE_URL is not usable: {_cause(exc)}") from None
    label = _database_label(url)
    try:
        async with asyncio.timeout(within), engine.connect() as conn:
            await conn.execute(text("SELECT 1"))
    except TimeoutError:
        raise StartupError(
            f"TOGGLR_DATABASE_URL: no answer from {label} within {within:g} s"
        ) from None
    except Exception as exc:  # every driver has its own errors; all mean "cannot start"
        raise StartupError(
            f"TOGGLR_DATABASE_URL: cannot connect to {label}: {_cause(exc)}"
        ) from None
    finally:
        await engine.dispose()


async def check_nats(url: str, *, within: float = CONNECT_TIMEOUT) -> None:
    """NATS answers. Until nodes can catch up from the database alone, a node without its bus
    would serve stale flags, so it does not start (docs/operations.md)."""
    import nats

    async def quiet(_: Exception) -> None:
        return None  # nats-py would log each failed attempt with a traceback; we report once

    try:
        async with asyncio.timeout(within):
            nc = await nats.connect(
                url,
                allow_reconnect=False,
                max_reconnect_attempts=0,
                connect_timeout=within,
                error_cb=quiet,
            )
    except Exception as exc:
        raise StartupError(f"TOGGLR_NATS_URL: cannot connect to {url}: {_cause(exc)}") from None
    await nc.close()


def listening_socket(host: str, port: int, setting: str) -> socket.socket:
    """Bind the listener here, so a busy port is reported by name; uvicorn serves on it."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
        sock.listen(2048)
    except OSError as exc:
        sock.close()
        raise StartupError(
            f"{setting}: cannot listen on {host}:{port}: {exc.strerror or _cause(exc)}"
        ) from None
    sock.set_inheritable(True)
    return sock


def check(settings: Settings) -> list[socket.socket]:
    """Every check `serve` needs; returns the bound sockets (main, then metrics if enabled)."""
    asyncio.run(check_database(settings.database_url))
    if settings.bus == "nats":
        asyncio.run(check_nats(settings.nats_url))
    sockets = [listening_socket(settings.host, settings.port, "TOGGLR_PORT")]
    if settings.metrics_port:
        try:
            sockets.append(
                listening_socket(
                    settings.metrics_host, settings.metrics_port, "TOGGLR_METRICS_PORT"
                )
            )
        except StartupError:
            sockets[0].close()
            raise
    return sockets
