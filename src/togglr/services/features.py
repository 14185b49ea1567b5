"""Features and their per-environment state: create, edit, toggle, variants and rules."""

from __future__ import annotations

from dataclasses import asdict, dataclass, replace
from typing import Any

from togglr.domain.accounts import Principal
from togglr.domain.changes import (
    ChangeGuard,
    EntityChange,
    ProposedChange,
    diff_fields,
    diff_items,
)
from togglr.domain.errors import InvalidInputError, NotFoundError
from togglr.domain.events import FEATURE_CHANGED, FEATURE_DELETED, DomainEvent
from togglr.domain.features import (
    FEATURE_KINDS,
    Feature,
    FeatureState,
    Rule,
    Variant,
    validate_state,
)
from togglr.domain.ids import KEY_PATTERN, new_id
from togglr.domain.targeting import RuleAction
from togglr.evaluation.operators import regex_error
from togglr.eventbus import EventBus
from togglr.services.common import Clock, Page, audit, offset_of, require
from togglr.services.guarded import Guarded


@dataclass(frozen=True, slots=True)
class RuleInput:
    action: str
    priority: int
    condition: dict[str, Any] | None
    variant: str | None = None
    segment_id: str | None = None
    id: str | None = None


def state_json(state: FeatureState) -> dict[str, Any]:
    """Audit-friendly form of a state."""
    return {
        "enabled": state.enabled,
        "default_value": state.default_value,
        "variants": [asdict(v) for v in state.variants],
        "rules": [
            {
                "id": r.id,
                "action": r.action.value,
                "priority": r.priority,
                "condition": r.condition,
                "variant": r.variant,
                "segment_id": r.segment_id,
                "is_customized": r.is_customized,
            }
            for r in state.rules
        ],
    }


def feature_json(feature: Feature) -> dict[str, Any]:
    return {
        "key": feature.key,
        "name": feature.name,
        "description": feature.description,
        "kind": feature.kind,
        "rollout_key": feature.rollout_key,
        "tags": list(feature.tags),
    }


def _state_entities(
    feature: Feature, env_key: str, old: FeatureState, new: FeatureState
) -> tuple[EntityChange, ...]:
    """Readable diff of an environment state: the switch and default, each variant, each rule."""
    label = f"{feature.key} in {env_key}"
    before, after = state_json(old), state_json(new)
    scalar = diff_fields(
        {k: before[k] for k in ("enabled", "default_value")},
        {k: after[k] for k in ("enabled", "default_value")},
    )
    entities = [
        EntityChange("feature_state", f"{feature.id}:{old.environment_id}", "update", scalar, label)
    ]
    variants = diff_items(
        "variant",
        {v["name"]: {k: v[k] for k in ("rollout_percent", "value")} for v in before["variants"]},
        {v["name"]: {k: v[k] for k in ("rollout_percent", "value")} for v in after["variants"]},
        label="variant ",
    )
    rules = diff_items(
        "rule",
        {r["id"]: {k: v for k, v in r.items() if k != "id"} for r in before["rules"]},
        {r["id"]: {k: v for k, v in r.items() if k != "id"} for r in after["rules"]},
        label="rule ",
    )
    return (*entities, *variants, *rules)


class FeatureService(Guarded):
    def __init__(self, storage: Any, bus: EventBus, clock: Clock) -> None:
        self._storage = storage
        self._bus = bus
        self._now = clock
        # Governance plugs in here: changes to guarded features become pending changes (202).
        self.guard: ChangeGuard | None = None

    async def _changed(
        self,
        feature: Feature,
        environment_id: str | None = None,
        payload: dict[str, Any] | None = None,
    ) -> None:
        await self._bus.publish(
            DomainEvent(
                FEATURE_CHANGED,
                project_id=feature.project_id,
                environment_id=environment_id,
                feature_id=feature.id,
                payload=payload or {},
            )
        )

    @staticmethod
    def _switched(principal: Principal, was: bool, now: bool) -> dict[str, Any] | None:
        """Event payload when the master switch flipped (notifications say who did it)."""
        if was == now:
            return None
        return {
            "enabled": now,
            "was_enabled": was,
            "by": principal.username,
            "actor": principal.actor,
            "event_id": new_id(),
        }

    @staticmethod
    async def _tag_ids(uow: Any, project_id: str, slugs: list[str]) -> list[str]:
        by_slug = {t.slug: t.id for t in await uow.tags.list(project_id)}
        unknown = [s for s in slugs if s not in by_slug]
        if unknown:
            raise InvalidInputError(f"tags: unknown tag(s) {', '.join(unknown)}; create them first")
        return [by_slug[s] for s in dict.fromkeys(slugs)]

    async def create(
        self,
        principal: Principal,
        project_id: str,
        *,
        key: str,
        name: str,
        kind: str,
        rollout_key: str | None = None,
        description: str = "",
        tags: list[str] | None = None,
        category_id: str | None = None,
    ) -> Feature:
        require(principal, project_id, "feature.manage")
        if not KEY_PATTERN.match(key):
            raise InvalidInputError("key: 2-50 characters of letters, digits and _:@!#$.-")
        if kind not in FEATURE_KINDS:
            raise InvalidInputError("kind: must be simple or multivariant")
        if not 1 <= len(name.strip()) <= 100:
            raise InvalidInputError("name: 1-100 characters")
        now = self._now()
        feature = Feature(
            id=new_id(),
            project_id=project_id,
            key=key,
            name=name.strip(),
            description=(description or "").strip()[:1000],
            kind=kind,  # type: ignore[arg-type]
            rollout_key=(rollout_key or None),
            created_at=now,
            updated_at=now,
            tags=tuple(dict.fromkeys(tags or [])),
            category_id=category_id or None,  # empty means none, as in update
        )
        async with self._storage.unit_of_work() as uow:
            await uow.projects.get(project_id)
            await _check_category(uow, feature.category_id)
            tag_ids = await self._tag_ids(uow, project_id, list(feature.tags))
            await uow.features.add(feature)
            await uow.features.set_tags(feature.id, tag_ids)
            for env in await uow.environments.list_for_project(project_id):
                await uow.states.create(feature.id, env.id, now)
            await audit(
                uow,
                principal,
                now,
                entity="feature",
                entity_id=feature.id,
                action="create",
                project_id=project_id,
                feature_id=feature.id,
                new=feature_json(feature),
            )
        await self._changed(feature)
        return feature

    async def get(
        self, principal: Principal, feature_id: str
    ) -> tuple[Feature, list[FeatureState]]:
        async with self._storage.unit_of_work() as uow:
            feature = await uow.features.get(feature_id)
            if not principal.can(feature.project_id, "feature.view"):
                raise NotFoundError("feature", feature_id)
            states = await uow.states.list(feature_ids=[feature_id])
        return feature, sorted(states, key=lambda s: s.environment_key)

    async def list(
        self,
        principal: Principal,
        project_id: str,
        *,
        environment_key: str | None = None,
        search: str | None = None,
        kind: str | None = None,
        tag: str | None = None,
        enabled: bool | None = None,
        page: int = 1,
        per_page: int = 50,
    ) -> Page[tuple[Feature, FeatureState | None]]:
        if not principal.can(project_id, "feature.view"):
            raise NotFoundError("project", project_id)
        async with self._storage.unit_of_work() as uow:
            await uow.projects.get(project_id)
            env = (
                await uow.environments.get_by_key(project_id, environment_key)
                if environment_key
                else None
            )
            if enabled is not None and env is None:
                raise InvalidInputError("enabled: filtering by state needs environment_key")
            start = offset_of(page, per_page)
            if enabled is None:  # page in the database
                features, total = await uow.features.list(
                    project_id, search=search, kind=kind, tag=tag, offset=start, limit=per_page
                )
                start = 0
            else:  # the state filter needs every candidate's state
                features, total = await uow.features.list(
                    project_id, search=search, kind=kind, tag=tag
                )
            states: dict[str, FeatureState] = {}
            if env is not None:
                ids = [f.id for f in features]
                states = {
                    s.feature_id: s
                    for s in await uow.states.list(feature_ids=ids, environment_id=env.id)
                }
        rows = [(f, states.get(f.id)) for f in features]
        if enabled is not None:
            rows = [r for r in rows if r[1] is not None and r[1].enabled == enabled]
            total = len(rows)
        return Page(rows[start : start + per_page], total, page, per_page)

    async def update(
        self,
        principal: Principal,
        feature_id: str,
        *,
        name: str | None = None,
        description: str | None = None,
        rollout_key: str | None = None,
        clear_rollout_key: bool = False,
        tags: list[str] | None = None,
        category_id: str | None = None,
    ) -> Feature:
        async with self._storage.unit_of_work() as uow:
            old = await self._load(uow, principal, feature_id, "feature.manage")
            if name is not None and not 1 <= len(name.strip()) <= 100:
                raise InvalidInputError("name: 1-100 characters")
            new = replace(
                old,
                name=old.name if name is None else name.strip(),
                description=old.description if description is None else description.strip()[:1000],
                rollout_key=None
                if clear_rollout_key
                else (old.rollout_key if rollout_key is None else rollout_key or None),
                tags=old.tags if tags is None else tuple(dict.fromkeys(tags)),
                category_id=old.category_id if category_id is None else (category_id or None),
                updated_at=self._now(),
            )
            await _check_category(uow, category_id or None)
            tag_ids = (
                None if tags is None else await self._tag_ids(uow, old.project_id, list(new.tags))
            )
            pending = await self._propose(
                uow,
                principal,
                ProposedChange(
                    project_id=old.project_id,
                    environment_id=None,
                    feature_id=feature_id,
                    operation="feature.update",
                    arguments={
                        "feature_id": feature_id,
                        "name": name,
                        "description": description,
                        "rollout_key": rollout_key,
                        "clear_rollout_key": clear_rollout_key,
                        "tags": tags,
                        "category_id": category_id,
                    },
                    entities=(
                        EntityChange(
                            "feature",
                            feature_id,
                            "update",
                            diff_fields(
                                {
                                    **feature_json(old),
                                    "tags": sorted(old.tags),
                                    "category_id": old.category_id,
                                },
                                {
                                    **feature_json(new),
                                    "tags": sorted(new.tags),
                                    "category_id": new.category_id,
                                },
                            ),
                            old.key,
                        ),
                    ),
                    summary=f"update feature {old.key}",
                ),
            )
            if pending is None:
                await uow.features.update(new)
                if tag_ids is not None:
                    await uow.features.set_tags(feature_id, tag_ids)
                await audit(
                    uow,
                    principal,
                    new.updated_at,
                    entity="feature",
                    entity_id=feature_id,
                    action="update",
                    project_id=old.project_id,
                    feature_id=feature_id,
                    old=feature_json(old),
                    new=feature_json(new),
                )
        if pending is not None:
            await self._pending(pending)
        await self._changed(new)
        return new

    async def delete(self, principal: Principal, feature_id: str) -> None:
        async with self._storage.unit_of_work() as uow:
            feature = await self._load(uow, principal, feature_id, "feature.manage")
            gone = {k: {"old": v, "new": None} for k, v in feature_json(feature).items()}
            pending = await self._propose(
                uow,
                principal,
                ProposedChange(
                    project_id=feature.project_id,
                    environment_id=None,
                    feature_id=feature_id,
                    operation="feature.delete",
                    arguments={"feature_id": feature_id},
                    entities=(EntityChange("feature", feature_id, "delete", gone, feature.key),),
                    summary=f"delete feature {feature.key}",
                    exclusive=True,
                ),
            )
            if pending is None:
                await uow.features.delete(feature_id)
                await audit(
                    uow,
                    principal,
                    self._now(),
                    entity="feature",
                    entity_id=feature_id,
                    action="delete",
                    project_id=feature.project_id,
                    feature_id=feature_id,
                    old=feature_json(feature),
                )
        if pending is not None:
            await self._pending(pending)
        await self._bus.publish(
            DomainEvent(
                FEATURE_DELETED,
                project_id=feature.project_id,
                feature_id=feature_id,
                payload={"key": feature.key},
            )
        )

    async def _load(
        self, uow: Any, principal: Principal, feature_id: str, permission: str
    ) -> Feature:
        feature: Feature = await uow.features.get(feature_id)
        if not principal.can(feature.project_id, "feature.view"):
            raise NotFoundError("feature", feature_id)
        require(principal, feature.project_id, permission)
        return feature

    async def get_state(
        self, principal: Principal, feature_id: str, env_key: str
    ) -> tuple[Feature, FeatureState]:
        async with self._storage.unit_of_work() as uow:
            feature = await self._load(uow, principal, feature_id, "feature.view")
            env = await uow.environments.get_by_key(feature.project_id, env_key)
            return feature, await uow.states.get(feature_id, env.id)

    async def put_state(
        self,
        principal: Principal,
        feature_id: str,
        env_key: str,
        *,
        enabled: bool,
        default_value: str,
        variants: list[Variant],
        rules: list[RuleInput],
        comment: str = "",
    ) -> tuple[Feature, FeatureState]:
        async with self._storage.unit_of_work() as uow:
            feature = await self._load(uow, principal, feature_id, "feature.manage")
            env = await uow.environments.get_by_key(feature.project_id, env_key)
            old = await uow.states.get(feature_id, env.id)
            built = [
                await self._build_rule(uow, feature.project_id, r, i) for i, r in enumerate(rules)
            ]
            new = replace(
                old,
                enabled=enabled,
                default_value=default_value,
                variants=tuple(variants),
                rules=tuple(built),
            )
            validate_state(
                feature.kind, new.default_value, new.variants, new.rules, regex_error=regex_error
            )
            pending = await self._propose(
                uow,
                principal,
                ProposedChange(
                    project_id=feature.project_id,
                    environment_id=env.id,
                    feature_id=feature_id,
                    operation="feature.put_state",
                    arguments={
                        "feature_id": feature_id,
                        "env_key": env_key,
                        "enabled": enabled,
                        "default_value": default_value,
                        "variants": [asdict(v) for v in variants],
                        "rules": [asdict(r) for r in rules],
                    },
                    entities=_state_entities(feature, env.key, old, new),
                    summary=f"change {feature.key} in {env.key}",
                    reason=comment.strip(),  # the requester's why, for the approvers
                ),
            )
            now = self._now()
            if pending is None:
                await uow.states.replace(new, now)
                new = replace(new, updated_at=now)
                await audit(
                    uow,
                    principal,
                    now,
                    entity="feature_state",
                    entity_id=f"{feature_id}:{env.key}",
                    action="update",
                    project_id=feature.project_id,
                    environment_id=env.id,
                    feature_id=feature_id,
                    old=state_json(old),
                    new=state_json(new),
                )
        if pending is not None:
            await self._pending(pending)
        await self._changed(feature, env.id, self._switched(principal, old.enabled, new.enabled))
        return feature, new

    @staticmethod
    async def _build_rule(uow: Any, project_id: str, raw: RuleInput, index: int) -> Rule:
        try:
            action = RuleAction(raw.action)
        except ValueError:
            raise InvalidInputError(
                f"rules[{index}].action: must be assign, include or exclude"
            ) from None
        condition = raw.condition
        customized = False
        if raw.segment_id:
            segment = await uow.segments.get(raw.segment_id)
            if segment.project_id != project_id:
                raise NotFoundError("segment", raw.segment_id)
            if condition is None:
                condition = segment.condition
            customized = condition != segment.condition
        if condition is None:
            raise InvalidInputError(
                f"rules[{index}].condition: required unless segment_id is given"
            )
        return Rule(
            id=raw.id or new_id(),
            action=action,
            priority=raw.priority,
            condition=condition,
            variant=raw.variant,
            segment_id=raw.segment_id or None,
            is_customized=customized,
        )

    async def toggle(
        self, principal: Principal, feature_id: str, env_key: str, enabled: bool
    ) -> tuple[Feature, FeatureState]:
        async with self._storage.unit_of_work() as uow:
            feature = await self._load(uow, principal, feature_id, "feature.toggle")
            env = await uow.environments.get_by_key(feature.project_id, env_key)
            old = await uow.states.get(feature_id, env.id)
            pending = await self._propose(
                uow,
                principal,
                ProposedChange(
                    project_id=feature.project_id,
                    environment_id=env.id,
                    feature_id=feature_id,
                    operation="feature.toggle",
                    arguments={"feature_id": feature_id, "env_key": env_key, "enabled": enabled},
                    entities=(
                        EntityChange(
                            "feature_state",
                            f"{feature_id}:{env.id}",
                            "update",
                            diff_fields({"enabled": old.enabled}, {"enabled": enabled}),
                            f"{feature.key} in {env.key}",
                        ),
                    ),
                    summary=f"turn {feature.key} {'on' if enabled else 'off'} in {env.key}",
                ),
            )
            now = self._now()
            if pending is None:
                await uow.states.set_enabled(feature_id, env.id, enabled, now)
                await audit(
                    uow,
                    principal,
                    now,
                    entity="feature_state",
                    entity_id=f"{feature_id}:{env.key}",
                    action="toggle",
                    project_id=feature.project_id,
                    environment_id=env.id,
                    feature_id=feature_id,
                    old={"enabled": old.enabled},
                    new={"enabled": enabled},
                )
        if pending is not None:
            await self._pending(pending)
        await self._changed(feature, env.id, self._switched(principal, old.enabled, enabled))
        return feature, replace(old, enabled=enabled, updated_at=now)


async def _check_category(uow: Any, category_id: str | None) -> None:
    """A feature's category must exist; the error names the field (not the feature)."""
    if category_id is None:
        return
    try:
        await uow.categories.get(category_id)
    except NotFoundError:
        raise InvalidInputError(f"category_id: no category {category_id!r}") from None
