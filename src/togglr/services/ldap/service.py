"""LDAP use cases: configuration, connection test, sign-in through the directory, and user sync."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from togglr.domain.accounts import Principal, User
from togglr.domain.errors import (
    AuthenticationError,
    ConflictError,
    InvalidInputError,
    PermissionDeniedError,
)
from togglr.domain.ids import new_id
from togglr.services.common import Clock, Page, audit, offset_of
from togglr.services.external_users import Adoption, ExternalProfile, actor_for, provision
from togglr.services.ldap.config import LdapConfig
from togglr.services.ldap.directory import CheckResult, DirectoryError, LdapDirectory
from togglr.services.ldap.sync import PROVIDER, SYNC_ACTOR, SyncLog, SyncRun, SyncRunner, subject_of
from togglr.services.secret_box import SecretBox

log = logging.getLogger(__name__)

Spawn = Callable[[Coroutine[Any, Any, None]], None]
KEEP = object()  # "leave the stored bind password as it is"
LOG_LEVELS = ("info", "warning", "error")


@dataclass(frozen=True, slots=True)
class StoredConfig:
    config: LdapConfig
    has_bind_password: bool
    updated_at: datetime | None


@dataclass(frozen=True, slots=True)
class SyncStatus:
    current: SyncRun | None  # the run in progress, if any
    last: SyncRun | None  # the latest finished run


def _require_admin(principal: Principal) -> None:
    # Personal API tokens are scoped to one project, so they never administer the directory.
    if not principal.is_superuser or principal.token_project_id is not None:
        raise PermissionDeniedError("only superusers manage LDAP")


class LdapService:
    def __init__(
        self,
        storage: Any,
        clock: Clock,
        box: SecretBox,
        *,
        spawn: Spawn,
        tick_seconds: float = 5.0,
        stale_after: timedelta = timedelta(minutes=10),
    ) -> None:
        self._storage = storage
        self._now = clock
        self._box = box
        self._spawn = spawn
        self._tick = tick_seconds
        self._stale_after = stale_after
        self._wake = asyncio.Event()

    # --- configuration ---------------------------------------------------------------------
    async def _load(self, uow: Any) -> tuple[LdapConfig, str | None, datetime | None]:
        record = await uow.ldap_config.find()
        if record is None:
            return LdapConfig(), None, None
        return LdapConfig.from_dict(record["config"]), record["bind_password"], record["updated_at"]

    def _open_password(self, sealed: str | None) -> str:
        if not sealed:
            return ""
        try:
            return self._box.open(sealed)
        except ValueError:
            raise DirectoryError(
                "the stored bind password cannot be decrypted (was the secret key changed?)"
            ) from None

    async def get_config(self, principal: Principal) -> StoredConfig:
        _require_admin(principal)
        async with self._storage.unit_of_work() as uow:
            config, sealed, updated_at = await self._load(uow)
        return StoredConfig(config, bool(sealed), updated_at)

    async def put_config(
        self, principal: Principal, changes: dict[str, Any], bind_password: Any = KEEP
    ) -> StoredConfig:
        """Replace the given fields. bind_password: KEEP, "" to clear, or a new password."""
        _require_admin(principal)
        async with self._storage.unit_of_work() as uow:
            old, sealed, _ = await self._load(uow)
            new = old.merged(changes)
            new.validate()
            _check_password_target(old, new, sealed, bind_password)
            if bind_password is not KEEP:
                sealed = self._box.seal(bind_password) if bind_password else None
            if new.bind_dn and not sealed and new.enabled:
                raise InvalidInputError("bind_password: required with bind_dn")
            now = self._now()
            await uow.ldap_config.put(new.to_dict(), sealed, now)
            await audit(
                uow,
                principal,
                now,
                entity="ldap",
                entity_id="config",
                action="update",
                project_id=None,
                old=old.to_dict(),
                new={**new.to_dict(), "bind_password_changed": bind_password is not KEEP},
            )
        self._wake.set()  # a new interval or a fresh enable takes effect now, not at the next tick
        return StoredConfig(new, bool(sealed), now)

    async def test_connection(
        self, principal: Principal, changes: dict[str, Any] | None = None, bind_password: Any = KEEP
    ) -> CheckResult:
        """Try the stored config, or the stored config with unsaved changes, without saving."""
        _require_admin(principal)
        async with self._storage.unit_of_work() as uow:
            stored, sealed, _ = await self._load(uow)
        config = stored.merged(changes or {})
        config.validate()
        if not config.is_complete:
            raise InvalidInputError("url and user_base_dn are needed to test a connection")
        _check_password_target(stored, config, sealed, bind_password)
        try:
            password = bind_password if bind_password is not KEEP else self._open_password(sealed)
        except DirectoryError as exc:
            return CheckResult(False, str(exc))
        return await asyncio.to_thread(LdapDirectory(config, password).check)

    # --- sign-in ----------------------------------------------------------------------------
    async def authenticate(self, uow: Any, login: str, password: str) -> User | None:
        """Password authenticator for AccountService: bind as the user, then create or refresh them."""
        config, sealed, _ = await self._load(uow)
        if not config.enabled or not config.is_complete or not password:
            return None
        local = await uow.users.find_by_login(login)
        if local is not None and not local.is_external:
            return None  # a local account: the directory never vouches for it
        try:
            directory = LdapDirectory(config, self._open_password(sealed))
            entry = await asyncio.to_thread(directory.authenticate, login, password)
        except DirectoryError as exc:
            log.warning("LDAP sign-in unavailable: %s", exc)
            raise AuthenticationError(
                "the directory cannot be reached; try again later", code="directory_unavailable"
            ) from None
        if entry is None:
            return None
        if not entry.username or not entry.email:
            raise AuthenticationError(
                "your directory entry has no username or e-mail; ask an administrator",
                code="directory_profile_incomplete",
            )
        profile = ExternalProfile(PROVIDER, subject_of(entry.username), entry.username, entry.email)
        now = self._now()
        try:
            user, outcome = await provision(
                uow, profile, now, adoption=Adoption(by_username=True), actor=actor_for(PROVIDER)
            )
        except ConflictError as exc:
            raise AuthenticationError(
                f"directory sign-in refused: {exc.message}", code="account_conflict"
            ) from None
        principal = Principal(user.id, user.username, user.is_superuser, {}, actor="user")
        await audit(
            uow,
            principal,
            now,
            entity="ldap",
            entity_id=user.id,
            action="login",
            project_id=None,
            new={"dn": entry.dn, "account": outcome},
        )
        return user

    # --- sync -------------------------------------------------------------------------------
    async def start_sync(self, principal: Principal, *, trigger: str = "manual") -> SyncRun:
        """Begin a sync in the background; ConflictError while another one runs (on any node)."""
        if trigger == "manual":
            _require_admin(principal)
        run_id = new_id()
        async with self._storage.unit_of_work() as uow:
            config, sealed, _ = await self._load(uow)
            if not config.enabled or not config.is_complete:
                raise InvalidInputError(
                    "LDAP is not configured and enabled", code="ldap_not_configured"
                )
            now = self._now()
            await self._release_abandoned(uow, now)
            await uow.ldap_sync.start(run_id, trigger, principal.username, now)
            await audit(
                uow,
                principal,
                now,
                entity="ldap",
                entity_id=run_id,
                action="sync_start",
                project_id=None,
                new={"trigger": trigger},
            )
            run = SyncRun.of(await uow.ldap_sync.find(run_id))
        self._spawn(self._execute(run_id, config, sealed))
        return run

    async def _release_abandoned(self, uow: Any, now: datetime) -> None:
        # A node that died mid-sync leaves its run holding the lock; silence for a while frees it.
        running = await uow.ldap_sync.find_running()
        if running is not None and running["heartbeat_at"] < now - self._stale_after:
            counts = SyncRun.of(running).counts.as_dict()
            await uow.ldap_sync.finish(
                running["id"], "failed", counts, "abandoned: no progress reported", now
            )

    async def _execute(self, run_id: str, config: LdapConfig, sealed: str | None) -> None:
        runner = SyncRunner(self._storage, self._now, run_id)
        status, message = "failed", ""
        try:
            entries = await asyncio.to_thread(
                LdapDirectory(config, self._open_password(sealed)).search_users
            )
            if not entries and await runner.active_link_count():
                # An empty listing is far more often a wrong base DN or filter than an empty company.
                message = "the directory returned no users; nobody was deactivated (check user_base_dn and user_filter)"
            else:
                await runner.apply(entries)
                status, message = "completed", _summary(runner)
        except DirectoryError as exc:
            message = f"directory error: {exc}"
        except asyncio.CancelledError:
            status, message = "cancelled", "the server stopped during the sync"
            raise
        except Exception as exc:
            log.exception("LDAP sync %s failed", run_id)
            message = f"internal error: {type(exc).__name__}"
        finally:
            await self._finish(runner, status, message)

    async def _finish(self, runner: SyncRunner, status: str, message: str) -> None:
        now = self._now()
        counts = runner.counts.as_dict()
        async with self._storage.unit_of_work() as uow:
            await uow.ldap_sync.finish(runner.run_id, status, counts, message, now)
            level = "info" if status == "completed" else "error"
            await uow.ldap_sync.add_log(
                runner.run_id, level, f"sync {status}: {message}", None, now
            )
            await audit(
                uow,
                SYNC_ACTOR,
                now,
                entity="ldap",
                entity_id=runner.run_id,
                action="sync",
                project_id=None,
                new={"status": status, "message": message, **counts},
            )

    async def status(self, principal: Principal) -> SyncStatus:
        _require_admin(principal)
        async with self._storage.unit_of_work() as uow:
            running = await uow.ldap_sync.find_running()
            last = await uow.ldap_sync.latest(finished=True)
        return SyncStatus(
            SyncRun.of(running) if running else None, SyncRun.of(last) if last else None
        )

    async def list_logs(
        self,
        principal: Principal,
        *,
        run_id: str | None,
        level: str | None,
        username: str | None,
        page: int,
        per_page: int,
    ) -> Page[SyncLog]:
        _require_admin(principal)
        if level is not None and level not in LOG_LEVELS:
            raise InvalidInputError(f"level: one of {', '.join(LOG_LEVELS)}")
        async with self._storage.unit_of_work() as uow:
            records, total = await uow.ldap_sync.list_logs(
                run_id=run_id,
                level=level,
                username=username,
                offset=offset_of(page, per_page),
                limit=per_page,
            )
        return Page([SyncLog.of(r) for r in records], total, page, per_page)

    async def run_periodically(self) -> None:
        """Background loop: start a sync whenever the configured interval has passed."""
        while True:
            try:
                await self._sync_if_due()
            except ConflictError:
                pass  # another node started one first
            except Exception:
                log.exception("periodic LDAP sync could not start")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), timeout=self._tick)
            self._wake.clear()

    async def _sync_if_due(self) -> None:
        async with self._storage.unit_of_work() as uow:
            config, _, _ = await self._load(uow)
            if not config.enabled or not config.is_complete or config.sync_interval_seconds <= 0:
                return
            latest = await uow.ldap_sync.latest(finished=False)
        interval = timedelta(seconds=config.sync_interval_seconds)
        if latest is not None and latest["started_at"] + interval > self._now():
            return
        await self.start_sync(SYNC_ACTOR, trigger="periodic")


def _check_password_target(
    old: LdapConfig, new: LdapConfig, sealed: str | None, bind_password: Any
) -> None:
    # The stored password is only ever sent to the server and account it was saved for; otherwise
    # pointing the URL at another server would be a way to read a password the API never returns.
    if bind_password is KEEP and sealed and (new.url != old.url or new.bind_dn != old.bind_dn):
        raise InvalidInputError("bind_password: send it again when url or bind_dn change")


def _summary(runner: SyncRunner) -> str:
    c = runner.counts
    return (
        f"{c.total} in the directory: {c.created} created, {c.updated} updated, {c.reactivated} reactivated, "
        f"{c.deactivated} deactivated, {c.skipped} skipped, {c.errors} errors"
    )
