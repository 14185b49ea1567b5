"""Segments: reusable conditions that rules built from them follow until customised."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from togglr.domain.accounts import Principal
from togglr.domain.changes import EntityChange, PendingChange, ProposedChange
from togglr.domain.errors import InvalidInputError, NotFoundError
from togglr.domain.events import FEATURE_CHANGED, SEGMENT_CHANGED, DomainEvent
from togglr.domain.features import Rule
from togglr.domain.ids import new_id
from togglr.domain.segments import Segment
from togglr.domain.targeting import parse_expression
from togglr.evaluation.operators import regex_error
from togglr.eventbus import EventBus
from togglr.services.common import Clock, Page, audit, offset_of, require
from togglr.services.guarded import Guarded


@dataclass(frozen=True, slots=True)
class SegmentUsage:
    feature_id: str
    feature_key: str
    environment_id: str
    environment_key: str
    rule_id: str
    is_customized: bool


class SegmentService(Guarded):
    """Segments. Bringing rules in step with a segment (a segment edit, or a sync) changes what
    their features serve, so each feature and environment it touches goes through the guard: a
    guarded one gets a pending change (`segment.sync_rules`) and keeps its rule until approval."""

    def __init__(self, storage: Any, bus: EventBus, clock: Clock) -> None:
        self._storage = storage
        self._bus = bus
        self._now = clock

    @staticmethod
    def _check(name: str, condition: Any) -> str:
        name = name.strip()
        if not 1 <= len(name) <= 255:
            raise InvalidInputError("name: 1-255 characters")
        parse_expression(condition, regex_error=regex_error)
        return name

    async def create(
        self, principal: Principal, project_id: str, *, name: str, description: str, condition: Any
    ) -> Segment:
        require(principal, project_id, "segment.manage")
        now = self._now()
        segment = Segment(
            new_id(),
            project_id,
            self._check(name, condition),
            description.strip()[:1000],
            condition,
            now,
            now,
        )
        async with self._storage.unit_of_work() as uow:
            await uow.projects.get(project_id)
            await uow.segments.add(segment)
            await audit(
                uow,
                principal,
                now,
                entity="segment",
                entity_id=segment.id,
                action="create",
                project_id=project_id,
                new={
                    "name": segment.name,
                    "description": segment.description,
                    "condition": condition,
                },
            )
        await self._bus.publish(
            DomainEvent(SEGMENT_CHANGED, project_id=project_id, payload={"segment_id": segment.id})
        )
        return segment

    async def _load(
        self, uow: Any, principal: Principal, segment_id: str, permission: str
    ) -> Segment:
        segment: Segment = await uow.segments.get(segment_id)
        if not principal.can(segment.project_id, "project.view"):
            raise NotFoundError("segment", segment_id)
        require(principal, segment.project_id, permission)
        return segment

    async def get(self, principal: Principal, segment_id: str) -> Segment:
        async with self._storage.unit_of_work() as uow:
            return await self._load(uow, principal, segment_id, "project.view")

    async def list(
        self, principal: Principal, project_id: str, *, search: str | None, page: int, per_page: int
    ) -> Page[Segment]:
        if not principal.can(project_id, "project.view"):
            raise NotFoundError("project", project_id)
        async with self._storage.unit_of_work() as uow:
            await uow.projects.get(project_id)
            items, total = await uow.segments.list(
                project_id, search=search, offset=offset_of(page, per_page), limit=per_page
            )
        return Page(items, total, page, per_page)

    async def update(
        self,
        principal: Principal,
        segment_id: str,
        *,
        name: str | None,
        description: str | None,
        condition: Any | None,
    ) -> Segment:
        touched: set[str] = set()
        pending: list[PendingChange] = []
        async with self._storage.unit_of_work() as uow:
            old = await self._load(uow, principal, segment_id, "segment.manage")
            new = replace(
                old,
                name=old.name if name is None else name,
                description=old.description if description is None else description.strip()[:1000],
                condition=old.condition if condition is None else condition,
                updated_at=self._now(),
            )
            new = replace(new, name=self._check(new.name, new.condition))
            await uow.segments.update(new)
            await audit(
                uow,
                principal,
                new.updated_at,
                entity="segment",
                entity_id=segment_id,
                action="update",
                project_id=old.project_id,
                old={"name": old.name, "description": old.description, "condition": old.condition},
                new={"name": new.name, "description": new.description, "condition": new.condition},
            )
            if new.condition != old.condition:
                # Rules that still follow the segment get the new condition (customised ones keep
                # theirs); those of a guarded feature wait for approval and, meanwhile, no longer
                # follow the segment: they show as desynced until the sync is approved.
                followers: dict[tuple[str, str], list[Rule]] = {}
                for feature_id, env_id, rule in await uow.states.rules_for_segment(segment_id):
                    if not rule.is_customized:
                        followers.setdefault((feature_id, env_id), []).append(rule)
                for (feature_id, env_id), rules in sorted(followers.items()):
                    change = await self._sync(uow, principal, new, feature_id, env_id, rules)
                    if change is None:
                        touched.add(feature_id)
                    else:
                        pending.append(change)
                        for rule in rules:
                            await uow.states.update_rule_condition(rule.id, rule.condition, True)
        for change in pending:
            if self.guard is not None:
                await self.guard.announce(change)
        await self._bus.publish(
            DomainEvent(
                SEGMENT_CHANGED, project_id=old.project_id, payload={"segment_id": segment_id}
            )
        )
        for feature_id in sorted(touched):
            await self._bus.publish(
                DomainEvent(FEATURE_CHANGED, project_id=old.project_id, feature_id=feature_id)
            )
        return new

    async def delete(self, principal: Principal, segment_id: str) -> None:
        async with self._storage.unit_of_work() as uow:
            segment = await self._load(uow, principal, segment_id, "segment.manage")
            users = await uow.states.rules_for_segment(segment_id)
            await uow.segments.delete(segment_id)
            await audit(
                uow,
                principal,
                self._now(),
                entity="segment",
                entity_id=segment_id,
                action="delete",
                project_id=segment.project_id,
                old={"name": segment.name, "condition": segment.condition},
            )
        # Rules keep their copied condition; they simply stop following a segment.
        await self._bus.publish(
            DomainEvent(
                SEGMENT_CHANGED, project_id=segment.project_id, payload={"segment_id": segment_id}
            )
        )
        for feature_id in sorted({u[0] for u in users}):
            await self._bus.publish(
                DomainEvent(FEATURE_CHANGED, project_id=segment.project_id, feature_id=feature_id)
            )

    async def usages(
        self, principal: Principal, segment_id: str, *, desynced_only: bool = False
    ) -> list[SegmentUsage]:
        async with self._storage.unit_of_work() as uow:
            segment = await self._load(uow, principal, segment_id, "project.view")
            rows = await uow.states.rules_for_segment(segment_id)
            envs = {
                e.id: e.key for e in await uow.environments.list_for_project(segment.project_id)
            }
            out = []
            for feature_id, env_id, rule in rows:
                if desynced_only and not rule.is_customized:
                    continue
                feature = await uow.features.get(feature_id)
                out.append(
                    SegmentUsage(
                        feature_id,
                        feature.key,
                        env_id,
                        envs.get(env_id, ""),
                        rule.id,
                        rule.is_customized,
                    )
                )
        return sorted(out, key=lambda u: (u.feature_key, u.environment_key))

    async def desynced(self, principal: Principal, project_id: str) -> list[SegmentUsage]:
        """Every customised segment rule in the project."""
        if not principal.can(project_id, "project.view"):
            raise NotFoundError("project", project_id)
        async with self._storage.unit_of_work() as uow:
            await uow.projects.get(project_id)  # a deleted project is 404, not an empty list
            segments, _ = await uow.segments.list(project_id, search=None, offset=0, limit=100_000)
        out: list[SegmentUsage] = []
        for segment in segments:
            out.extend(await self.usages(principal, segment.id, desynced_only=True))
        return out

    async def sync_rule(self, principal: Principal, segment_id: str, rule_id: str) -> None:
        """Put a customised rule back in step with its segment (202 on a guarded feature)."""
        async with self._storage.unit_of_work() as uow:
            segment = await self._load(uow, principal, segment_id, "feature.manage")
            found = [
                (fid, eid, rule)
                for fid, eid, rule in await uow.states.rules_for_segment(segment_id)
                if rule.id == rule_id
            ]
            if not found:
                raise NotFoundError("rule", rule_id)
            feature_id, env_id, rule = found[0]
            pending = await self._sync(uow, principal, segment, feature_id, env_id, [rule])
        if pending is not None:
            await self._pending(pending)
        await self._bus.publish(
            DomainEvent(FEATURE_CHANGED, project_id=segment.project_id, feature_id=feature_id)
        )

    async def sync_rules(
        self,
        principal: Principal,
        segment_id: str,
        feature_id: str,
        env_key: str,
        rule_ids: list[str],
        condition: Any,
    ) -> None:
        """Give rules of one feature in one environment `condition` (what `_sync` proposed): the
        replay of an approved `segment.sync_rules` change, or of its edit."""
        parse_expression(condition)
        async with self._storage.unit_of_work() as uow:
            segment = await self._load(uow, principal, segment_id, "feature.manage")
            env = await uow.environments.get_by_key(segment.project_id, env_key)
            found = {
                rule.id: rule
                for fid, eid, rule in await uow.states.rules_for_segment(segment_id)
                if fid == feature_id and eid == env.id
            }
            missing = [r for r in rule_ids if r not in found]
            if missing:
                raise NotFoundError("rule", missing[0])
            rules = [found[r] for r in rule_ids]
            proposed = replace(segment, condition=condition)
            pending = await self._sync(uow, principal, proposed, feature_id, env.id, rules)
        if pending is not None:
            await self._pending(pending)
        await self._bus.publish(
            DomainEvent(FEATURE_CHANGED, project_id=segment.project_id, feature_id=feature_id)
        )

    async def _sync(
        self,
        uow: Any,
        principal: Principal,
        segment: Segment,
        feature_id: str,
        env_id: str,
        rules: list[Rule],
    ) -> PendingChange | None:
        """Give `rules` the segment's condition, unless the guard holds the change back (then
        the stored pending change is returned and nothing is written)."""
        feature = await uow.features.get(feature_id)
        env = await uow.environments.find(env_id)
        env_key = env.key if env is not None else env_id
        current = (await uow.segments.get(segment.id)).condition
        pending = await self._propose(
            uow,
            principal,
            ProposedChange(
                project_id=segment.project_id,
                environment_id=env_id,
                feature_id=feature_id,
                operation="segment.sync_rules",
                arguments={
                    "segment_id": segment.id,
                    "feature_id": feature_id,
                    "env_key": env_key,
                    "rule_ids": [r.id for r in rules],
                    "condition": segment.condition,
                },
                entities=tuple(
                    EntityChange(
                        "rule",
                        r.id,
                        "update",
                        {
                            name: change
                            for name, change in {
                                "condition": {"old": r.condition, "new": segment.condition},
                                "is_customized": {
                                    "old": r.is_customized,
                                    "new": segment.condition != current,
                                },
                            }.items()
                            if change["old"] != change["new"]
                        },
                        f"rule {r.id} of {feature.key} in {env_key}",
                    )
                    for r in rules
                ),
                summary=f"sync {feature.key} in {env_key} with segment {segment.name}",
            ),
        )
        if pending is not None:
            return pending
        for rule in rules:
            await uow.states.update_rule_condition(
                rule.id, segment.condition, segment.condition != current
            )
            await audit(
                uow,
                principal,
                self._now(),
                entity="rule",
                entity_id=rule.id,
                action="sync_segment",
                project_id=segment.project_id,
                environment_id=env_id,
                feature_id=feature_id,
                old={"condition": rule.condition},
                new={"condition": segment.condition},
            )
        return None
