"""The composition root: the only module that names concrete adapters."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import sys
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from togglr.config import Settings, load_settings
from togglr.directory_install import install as install_directory
from togglr.eventbus.memory import InProcessEventBus
from togglr.experiments_install import install as install_experiments
from togglr.governance_install import install as install_governance
from togglr.identity_install import install as install_identity
from togglr.services import Services
from togglr.services.accounts import AccountService, AuthSettings, use_fast_password_hashing
from togglr.services.audit_log import AuditService
from togglr.services.common import utc_now
from togglr.services.evaluation import EvaluationService
from togglr.services.features import FeatureService
from togglr.services.feedback import FeedbackService
from togglr.services.projects import ProjectService
from togglr.services.segments import SegmentService
from togglr.services.snapshots import SnapshotStore
from togglr.services.tags import TagService
from togglr.storage.sql import SqlStorage
from togglr.web.app import TogglrApp, create_app
from togglr.web.metrics import Metrics

log = logging.getLogger("togglr")
Hook = Callable[[], Awaitable[None]]


@dataclass
class Runtime:
    """Everything built for one process, with its start and stop hooks."""

    settings: Settings
    services: Services
    metrics: Metrics
    on_startup: list[Hook] = field(default_factory=list)
    on_shutdown: list[Hook] = field(default_factory=list)
    tasks: list[asyncio.Task[None]] = field(default_factory=list)
    admin_password: str | None = None  # set when the first start generated one


def _make_bus(settings: Settings) -> Any:
    if settings.bus == "nats":
        from togglr.eventbus.nats import NatsEventBus

        return NatsEventBus(settings.nats_url, node_id=settings.node_id)
    return InProcessEventBus()


def build_runtime(settings: Settings | None = None) -> Runtime:
    settings = settings or load_settings()
    if settings.fast_password_hashing:
        use_fast_password_hashing()
    storage = SqlStorage.open(settings.database_url)
    bus = _make_bus(settings)
    clock = utc_now
    snapshots = SnapshotStore(storage)
    services = Services(
        storage=storage,
        bus=bus,
        accounts=AccountService(
            storage,
            bus,
            clock,
            AuthSettings(
                settings.resolved_jwt_secret(),
                settings.access_token_ttl,
                settings.refresh_token_ttl,
                settings.refresh_reuse_grace,
            ),
        ),
        projects=ProjectService(storage, bus, clock),
        features=FeatureService(storage, bus, clock),
        segments=SegmentService(storage, bus, clock),
        tags=TagService(storage, clock),
        snapshots=snapshots,
        evaluation=EvaluationService(snapshots, clock),
        feedback=FeedbackService(storage, bus, clock),
        audit=AuditService(storage),
    )
    runtime = Runtime(settings, services, Metrics())
    bus.subscribe(snapshots.handle)

    async def start() -> None:
        await storage.migrate()
        await services.tags.seed_defaults()
        created = await services.accounts.ensure_admin(
            settings.admin_email, settings.admin_password
        )
        if created is not None:
            user, generated = created
            runtime.admin_password = generated
            _announce_admin(user.email, user.username, generated)
        await bus.start()
        await snapshots.load_all()
        runtime.tasks.append(asyncio.create_task(_flush_seen(runtime)))

    async def stop() -> None:
        for task in runtime.tasks:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        await _write_seen(runtime)
        await bus.close()
        await storage.close()

    runtime.on_startup.append(start)
    runtime.on_shutdown.append(stop)
    install_directory(runtime)
    install_identity(runtime)
    install_governance(runtime)
    install_experiments(runtime)
    return runtime


async def _freeze_heap() -> None:
    # Everything built at start-up lives as long as the process. Moving it out of the
    # collector's reach keeps full collections short, which shows in the SDK path's p99.
    gc.collect()
    gc.freeze()


def _announce_admin(email: str, username: str, generated: str | None) -> None:
    lines = [
        "",
        "=" * 64,
        "Togglr: created the first superuser",
        f"  login:    {email}  (or {username})",
    ]
    if generated:
        lines.append(f"  password: {generated}")
        lines.append("  (shown once; you must change it at first login)")
    else:
        lines.append("  password: the value of TOGGLR_ADMIN_PASSWORD (change it at first login)")
    lines += ["=" * 64, ""]
    print("\n".join(lines), file=sys.stderr, flush=True)


async def _write_seen(runtime: Runtime) -> None:
    seen = runtime.services.evaluation.take_seen()
    if seen:
        async with runtime.services.storage.unit_of_work() as uow:
            await uow.states.touch_evaluated(seen)


async def _flush_seen(runtime: Runtime) -> None:
    # Last-evaluated times feed stale-flag detection; minute precision is plenty.
    while True:
        await asyncio.sleep(60)
        try:
            await _write_seen(runtime)
        except Exception:
            log.exception("could not record last-evaluated times")


def default_ui_dir() -> Path | None:
    packaged = Path(__file__).parent / "web" / "static"
    if (packaged / "index.html").exists():
        return packaged
    repo_build = Path(__file__).resolve().parents[2] / "webui" / "dist"
    return repo_build if (repo_build / "index.html").exists() else None


def build_app(settings: Settings | None = None, runtime: Runtime | None = None) -> TogglrApp:
    runtime = runtime or build_runtime(settings)
    s = runtime.settings
    app = create_app(
        runtime.services,
        runtime.metrics,
        ui_dir=s.webui_dir or default_ui_dir(),
        cors_origins=s.cors_origins,
        on_startup=[*runtime.on_startup, _freeze_heap],  # last: after every capability started
        on_shutdown=runtime.on_shutdown,
        extra_routers=runtime.services.extra.get("routers", []),
        max_body_bytes=s.api_max_body_bytes,
        trusted_proxies=s.trusted_proxies,
        hsts_max_age=s.hsts_max_age,
    )
    app.runtime = runtime  # type: ignore[attr-defined]
    return app


def asgi_app() -> TogglrApp:
    """ASGI factory for `uvicorn --factory togglr.bootstrap:asgi_app`."""
    return build_app()
