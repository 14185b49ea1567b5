"""One LDAP sync run: apply the directory's user list to Togglr's users.

Each entry is applied in its own transaction, so one bad entry never undoes the others and the
database write lock is held only briefly. Progress is written as it goes, so every node can show it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

from togglr.domain.errors import ConflictError, TogglrError
from togglr.services.external_users import (
    CREATED,
    REACTIVATED,
    UPDATED,
    Adoption,
    ExternalProfile,
    actor_for,
    deactivate,
    provision,
)
from togglr.services.ldap.directory import DirectoryEntry

log = logging.getLogger(__name__)

PROVIDER = "ldap"
SYNC_ACTOR = actor_for("ldap-sync")
PROGRESS_EVERY = 25


def subject_of(username: str) -> str:
    """Directory usernames compare case-insensitively; the link keeps one spelling."""
    return username.lower()


@dataclass(slots=True)
class SyncCounts:
    total: int = 0
    processed: int = 0
    created: int = 0
    updated: int = 0
    reactivated: int = 0
    deactivated: int = 0
    skipped: int = 0
    errors: int = 0

    def as_dict(self) -> dict[str, int]:
        return asdict(self)


@dataclass(frozen=True, slots=True)
class SyncRun:
    id: str
    trigger: str  # manual | periodic
    status: str  # running | completed | failed | cancelled
    started_by: str
    started_at: datetime
    heartbeat_at: datetime
    finished_at: datetime | None
    counts: SyncCounts
    message: str

    @classmethod
    def of(cls, record: dict[str, Any]) -> SyncRun:
        counts = SyncCounts(**{k: int(record[k]) for k in SyncCounts.__dataclass_fields__})
        return cls(
            id=record["id"],
            trigger=record["trigger"],
            status=record["status"],
            started_by=record["started_by"],
            started_at=record["started_at"],
            heartbeat_at=record["heartbeat_at"],
            finished_at=record["finished_at"],
            counts=counts,
            message=record["message"],
        )

    @property
    def progress(self) -> float:
        """Share of directory entries applied so far, 0..1."""
        if self.status != "running":
            return 1.0 if self.status == "completed" else 0.0
        return self.counts.processed / self.counts.total if self.counts.total else 0.0


@dataclass(frozen=True, slots=True)
class SyncLog:
    id: int
    run_id: str
    level: str
    username: str | None
    message: str
    created_at: datetime

    @classmethod
    def of(cls, record: dict[str, Any]) -> SyncLog:
        return cls(**{k: record[k] for k in cls.__dataclass_fields__})


class SyncRunner:
    """Applies one directory listing; owns the counters of one run."""

    def __init__(self, storage: Any, clock: Callable[[], datetime], run_id: str) -> None:
        self._storage = storage
        self._now = clock
        self.run_id = run_id
        self.counts = SyncCounts()

    async def log(self, level: str, message: str, username: str | None = None) -> None:
        async with self._storage.unit_of_work() as uow:
            await uow.ldap_sync.add_log(self.run_id, level, message, username, self._now())

    async def save_progress(self) -> None:
        async with self._storage.unit_of_work() as uow:
            await uow.ldap_sync.progress(self.run_id, self.counts.as_dict(), self._now())

    async def apply(self, entries: list[DirectoryEntry]) -> None:
        """Create or refresh every listed user, then deactivate those no longer listed."""
        self.counts.total = len(entries)
        await self.save_progress()
        seen: set[str] = set()
        for index, entry in enumerate(entries, start=1):
            await self._apply_entry(entry, seen)
            self.counts.processed = index
            if index % PROGRESS_EVERY == 0:
                await self.save_progress()
        await self.save_progress()
        await self._deactivate_missing(seen)

    async def _apply_entry(self, entry: DirectoryEntry, seen: set[str]) -> None:
        if not entry.username:
            self.counts.skipped += 1
            await self.log("warning", f"{entry.dn}: no username attribute; skipped")
            return
        subject = subject_of(entry.username)
        if subject in seen:
            self.counts.skipped += 1
            await self.log(
                "warning",
                f"{entry.dn}: username used by another entry too; skipped",
                entry.username,
            )
            return
        seen.add(subject)
        if not entry.email:
            self.counts.skipped += 1
            await self.log("warning", f"{entry.dn}: no e-mail attribute; skipped", entry.username)
            return
        profile = ExternalProfile(PROVIDER, subject, entry.username, entry.email)
        try:
            async with self._storage.unit_of_work() as uow:
                _, outcome = await provision(
                    uow, profile, self._now(), adoption=Adoption(by_username=True), actor=SYNC_ACTOR
                )
                if outcome in (CREATED, UPDATED, REACTIVATED):
                    await uow.ldap_sync.add_log(
                        self.run_id, "info", f"user {outcome}", entry.username, self._now()
                    )
        except ConflictError as exc:
            self.counts.skipped += 1
            await self.log("warning", f"skipped: {exc.message}", entry.username)
            return
        except TogglrError as exc:
            self.counts.errors += 1
            await self.log("error", f"failed: {exc.message}", entry.username)
            return
        if outcome == CREATED:
            self.counts.created += 1
        elif outcome == UPDATED:
            self.counts.updated += 1
        elif outcome == REACTIVATED:
            self.counts.reactivated += 1

    async def _deactivate_missing(self, seen: set[str]) -> None:
        async with self._storage.unit_of_work() as uow:
            links = await uow.external_identities.list_for_provider(PROVIDER)
        for link in links:
            if link["subject"] in seen:
                continue
            async with self._storage.unit_of_work() as uow:
                user = await uow.users.find(link["user_id"])
                if user is None or not user.is_active:
                    continue
                await deactivate(uow, PROVIDER, link["subject"], user, self._now(), SYNC_ACTOR)
                await uow.ldap_sync.add_log(
                    self.run_id,
                    "info",
                    "user left the directory; deactivated",
                    user.username,
                    self._now(),
                )
            self.counts.deactivated += 1

    async def active_link_count(self) -> int:
        """How many active users are linked to the directory (a guard against empty listings)."""
        async with self._storage.unit_of_work() as uow:
            links = await uow.external_identities.list_for_provider(PROVIDER)
            count = 0
            for link in links:
                user = await uow.users.find(link["user_id"])
                count += int(user is not None and user.is_active)
        return count
