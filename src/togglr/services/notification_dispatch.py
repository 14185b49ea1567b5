"""Turns domain events into notifications: outbox messages for channels, in-app notes for users.

Triggers: a feature's state changed (toggle, state edit, schedule transition), auto-disabled,
approval needed, pending change decided; in-app also: added to a project, role changed, removed.
Every row carries a key derived from the event, so an event seen twice (several nodes, redelivery)
queues nothing twice.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime
from typing import Any

from togglr.domain import events as ev
from togglr.domain import notifications as n
from togglr.domain.accounts import ROLES
from togglr.domain.changes import CHANGE_DECIDED, CHANGE_REQUESTED, PendingChange
from togglr.domain.events import DomainEvent
from togglr.domain.feature_schedules import SCHEDULE_TRANSITIONED
from togglr.domain.ids import new_id
from togglr.services import governance_settings
from togglr.services.autodisable import AUTO_DISABLE_ACTOR, FEATURE_AUTO_DISABLED
from togglr.services.common import Clock

log = logging.getLogger(__name__)


def _role_name(key: str | None) -> str:
    return ROLES[key][0] if key in ROLES else str(key)


class NotificationDispatcher:
    def __init__(self, storage: Any, clock: Clock, wake_outbox: Callable[[], None]) -> None:
        self._storage = storage
        self._now = clock
        self._wake_outbox = wake_outbox

    async def handle(self, event: DomainEvent) -> None:
        """Bus subscriber."""
        try:
            await self._handle(event)
        except Exception:  # a notification problem must not break the change that caused it
            log.exception("could not queue notifications for %s", event.type)

    async def _handle(self, event: DomainEvent) -> None:
        p = event.payload
        if event.type == ev.FEATURE_CHANGED and "was_enabled" in p:
            if p.get("by") == AUTO_DISABLE_ACTOR.username:
                return  # the auto_disabled message says it better
            await self._channels(
                event, n.STATE_CHANGED, {"enabled": p.get("enabled"), "by": p.get("by")}
            )
        elif event.type == SCHEDULE_TRANSITIONED:
            await self._channels(
                event,
                n.STATE_CHANGED,
                {
                    "enabled": p.get("enabled"),
                    "by": "schedule",
                    "schedule_ids": p.get("schedule_ids", []),
                },
            )
        elif event.type == FEATURE_AUTO_DISABLED:
            await self._channels(
                event, n.AUTO_DISABLED, {k: v for k, v in p.items() if k != "event_id"}
            )
        elif event.type == CHANGE_REQUESTED:
            await self._change(event, n.APPROVAL_NEEDED)
        elif event.type == CHANGE_DECIDED:
            await self._change(event, n.CHANGE_DECIDED)
        elif event.type == ev.MEMBERSHIP_CHANGED and event.project_id:
            await self._membership(event.project_id, str(p.get("user_id", "")))

    # --- channels --------------------------------------------------------------------------------
    async def _context(self, uow: Any, event: DomainEvent) -> dict[str, Any]:
        project = await uow.projects.find(event.project_id) if event.project_id else None
        feature = await uow.features.find(event.feature_id) if event.feature_id else None
        env = await uow.environments.find(event.environment_id) if event.environment_id else None
        return {
            "project": {"id": event.project_id, "name": project.name if project else None},
            "environment": {"id": env.id, "key": env.key} if env else None,
            "feature": {"id": feature.id, "key": feature.key, "name": feature.name}
            if feature
            else None,
        }

    async def _channels(
        self, event: DomainEvent, trigger: str, data: dict[str, Any], **context: Any
    ) -> None:
        if event.project_id is None:
            return
        event_id = str(event.payload.get("event_id") or new_id())
        queued = False
        now = self._now()
        async with self._storage.unit_of_work() as uow:
            channels = [
                c
                for c in await uow.notification_channels.list(event.project_id)
                if c.wants(trigger, event.environment_id)
            ]
            if not channels:
                return
            payload = {
                **await self._context(uow, event),
                **context,
                "trigger": trigger,
                "data": data,
                "occurred_at": _iso(now),
            }
            for channel in channels:
                queued |= await uow.outbox.enqueue(
                    id=new_id(),
                    channel_id=channel.id,
                    project_id=event.project_id,
                    trigger=trigger,
                    payload=payload,
                    dedup_key=f"{trigger}:{event_id}",
                    now=now,
                )
        if queued:
            self._wake_outbox()

    # --- pending changes --------------------------------------------------------------------------
    async def _change(self, event: DomainEvent, trigger: str) -> None:
        change_id = str(event.payload.get("change_id", ""))
        async with self._storage.unit_of_work() as uow:
            change: PendingChange | None = await uow.changes.find(change_id)
        if change is None:
            return
        data = {
            "change_id": change.id,
            "summary": change.summary,
            "requested_by": change.requested_by,
            "status": change.status,
            "decided_by": change.decided_by,
            "decision_reason": change.decision_reason,
            "origin": change.origin,
        }
        await self._channels(event, trigger, data)
        event_id = str(event.payload.get("event_id") or new_id())
        if trigger == n.APPROVAL_NEEDED:
            await self._notify_approvers(change, event_id)
        elif change.requested_by_id is not None and change.decided_by_id != change.requested_by_id:
            verb = {
                "approved": "approved and applied",
                "rejected": "rejected",
                "cancelled": "cancelled",
            }
            await self._notify(
                [change.requested_by_id],
                change.project_id,
                n.USER_CHANGE_DECIDED,
                f"Your change was {verb.get(change.status, change.status)}",
                f"{change.summary}"
                + (f" — {change.decision_reason}" if change.decision_reason else ""),
                {"change_id": change.id, "status": change.status},
                f"decided:{event_id}",
            )

    async def _notify_approvers(self, change: PendingChange, event_id: str) -> None:
        async with self._storage.unit_of_work() as uow:
            _, gov = await governance_settings.load(uow, change.project_id)
            if gov.approver_ids:
                candidates = set(gov.approver_ids)
            else:
                candidates = {
                    m.user_id
                    for m in await uow.memberships.list_for_project(change.project_id)
                    if m.role_key in ("owner", "manager")
                }
                users, _ = await uow.users.list(search=None, offset=0, limit=10_000)
                candidates |= {u.id for u in users if u.is_superuser}
            active = set()
            for user_id in candidates:
                user = await uow.users.find(user_id)
                if user is not None and user.is_active:
                    active.add(user_id)
        active.discard(change.requested_by_id or "")
        await self._notify(
            sorted(active),
            change.project_id,
            n.USER_APPROVAL_NEEDED,
            f"Approval needed: {change.summary}"[:200],
            f"Requested by {change.requested_by}" + (f": {change.reason}" if change.reason else ""),
            {"change_id": change.id},
            f"approve:{event_id}",
        )

    # --- memberships ------------------------------------------------------------------------------
    async def _membership(self, project_id: str, user_id: str) -> None:
        """The event does not say what happened; the newest membership audit entry does."""
        async with self._storage.unit_of_work() as uow:
            project = await uow.projects.find(project_id)
            memberships = {m.user_id: m for m in await uow.memberships.list_for_project(project_id)}
            entries, _ = await uow.audit.list(project_id, entity="membership", limit=20)
        mine = memberships.get(user_id)
        for entry in entries:
            new, old = entry.new_value or {}, entry.old_value or {}
            about = (
                (entry.action == "create" and new.get("user_id") == user_id)
                or (entry.action == "update" and mine is not None and entry.entity_id == mine.id)
                or (entry.action == "delete" and old.get("user_id") == user_id)
            )
            if not about:
                continue
            if entry.user_id == user_id:
                return  # people are not told about their own doing
            name = project.name if project else "a project"
            by = entry.username
            if entry.action == "create":
                kind, text = (
                    n.USER_PROJECT_ADDED,
                    f"You were added to {name} as {_role_name(new.get('role'))} by {by}",
                )
            elif entry.action == "update":
                kind = n.USER_ROLE_CHANGED
                before, after = _role_name(old.get("role")), _role_name(new.get("role"))
                text = f"Your role in {name} changed from {before} to {after}"
            else:
                kind, text = n.USER_PROJECT_REMOVED, f"You were removed from {name} by {by}"
            await self._notify(
                [user_id],
                project_id if entry.action != "delete" else None,
                kind,
                text,
                f"By {by}",
                {"project_id": project_id, "role": new.get("role")},
                f"audit:{entry.id}",
            )
            return

    async def _notify(
        self,
        user_ids: list[str],
        project_id: str | None,
        kind: str,
        title: str,
        body: str,
        data: dict[str, Any],
        dedup_key: str,
    ) -> None:
        if not user_ids:
            return
        now = self._now()
        async with self._storage.unit_of_work() as uow:
            for user_id in user_ids:
                await uow.user_notifications.add(
                    n.UserNotification(new_id(), user_id, project_id, kind, title, body, data, now),
                    dedup_key,
                )


def _iso(at: datetime) -> str:
    return at.isoformat().replace("+00:00", "Z")
