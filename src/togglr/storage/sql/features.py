"""Features, their tags and their per-environment state (switch, variants, rules)."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from togglr.domain.errors import NotFoundError
from togglr.domain.features import Feature, FeatureState, Rule, Variant
from togglr.domain.ids import new_id
from togglr.domain.targeting import RuleAction
from togglr.storage.sql import tables as t
from togglr.storage.sql.errors import translate_integrity


class SqlFeatureRepository:
    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn

    async def _tags_of(self, feature_ids: list[str]) -> dict[str, tuple[str, ...]]:
        if not feature_ids:
            return {}
        rows = await self._conn.execute(
            sa.select(t.feature_tags.c.feature_id, t.tags.c.slug)
            .join(t.tags, t.tags.c.id == t.feature_tags.c.tag_id)
            .where(t.feature_tags.c.feature_id.in_(feature_ids))
            .order_by(t.tags.c.slug)
        )
        out: dict[str, list[str]] = defaultdict(list)
        for r in rows:
            out[r.feature_id].append(r.slug)
        return {k: tuple(v) for k, v in out.items()}

    def _feature(self, row: Any, tags: dict[str, tuple[str, ...]]) -> Feature:
        return Feature(
            id=row.id,
            project_id=row.project_id,
            key=row.key,
            name=row.name,
            description=row.description,
            kind=row.kind,
            rollout_key=row.rollout_key,
            created_at=row.created_at,
            updated_at=row.updated_at,
            tags=tags.get(row.id, ()),
            category_id=row.category_id,
        )

    async def add(self, feature: Feature) -> None:
        with translate_integrity(f"feature {feature.key!r}"):
            await self._conn.execute(
                t.features.insert().values(
                    id=feature.id,
                    project_id=feature.project_id,
                    key=feature.key,
                    name=feature.name,
                    description=feature.description,
                    kind=feature.kind,
                    rollout_key=feature.rollout_key,
                    category_id=feature.category_id,
                    created_at=feature.created_at,
                    updated_at=feature.updated_at,
                )
            )

    async def update(self, feature: Feature) -> None:
        await self._conn.execute(
            t.features.update()
            .where(t.features.c.id == feature.id)
            .values(
                name=feature.name,
                description=feature.description,
                rollout_key=feature.rollout_key,
                category_id=feature.category_id,
                updated_at=feature.updated_at,
            )
        )

    async def delete(self, feature_id: str) -> None:
        await self._conn.execute(t.features.delete().where(t.features.c.id == feature_id))

    async def set_tags(self, feature_id: str, tag_ids: list[str]) -> None:
        await self._conn.execute(
            t.feature_tags.delete().where(t.feature_tags.c.feature_id == feature_id)
        )
        if tag_ids:
            await self._conn.execute(
                t.feature_tags.insert(),
                [{"feature_id": feature_id, "tag_id": tid} for tid in tag_ids],
            )

    async def find(self, feature_id: str) -> Feature | None:
        row = (
            await self._conn.execute(t.features.select().where(t.features.c.id == feature_id))
        ).first()
        if row is None:
            return None
        return self._feature(row, await self._tags_of([row.id]))

    async def get(self, feature_id: str) -> Feature:
        feature = await self.find(feature_id)
        if feature is None:
            raise NotFoundError("feature", feature_id)
        return feature

    async def find_by_key(self, project_id: str, key: str) -> Feature | None:
        row = (
            await self._conn.execute(
                t.features.select().where(
                    t.features.c.project_id == project_id, t.features.c.key == key
                )
            )
        ).first()
        if row is None:
            return None
        return self._feature(row, await self._tags_of([row.id]))

    async def list(
        self,
        project_id: str | None,
        *,
        search: str | None = None,
        kind: str | None = None,
        tag: str | None = None,
        offset: int = 0,
        limit: int = 1_000_000,
    ) -> tuple[list[Feature], int]:
        cond: list[Any] = []
        if project_id is not None:
            cond.append(t.features.c.project_id == project_id)
        if search:
            like = f"%{search}%"
            cond.append(sa.or_(t.features.c.key.ilike(like), t.features.c.name.ilike(like)))
        if kind:
            cond.append(t.features.c.kind == kind)
        if tag:
            cond.append(
                t.features.c.id.in_(
                    sa.select(t.feature_tags.c.feature_id)
                    .join(t.tags, t.tags.c.id == t.feature_tags.c.tag_id)
                    .where(t.tags.c.slug == tag)
                )
            )
        where = sa.and_(sa.true(), *cond)
        total = (
            await self._conn.execute(
                sa.select(sa.func.count()).select_from(t.features).where(where)
            )
        ).scalar_one()
        rows = list(
            await self._conn.execute(
                t.features.select()
                .where(where)
                .order_by(t.features.c.key)
                .offset(offset)
                .limit(limit)
            )
        )
        tags = await self._tags_of([r.id for r in rows])
        return [self._feature(r, tags) for r in rows], int(total)


class SqlFeatureStateRepository:
    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn

    async def create(self, feature_id: str, environment_id: str, now: datetime) -> None:
        await self._conn.execute(
            t.feature_states.insert().values(
                feature_id=feature_id,
                environment_id=environment_id,
                enabled=False,
                default_value="",
                updated_at=now,
            )
        )

    async def _env_keys(self, env_ids: set[str]) -> dict[str, str]:
        rows = await self._conn.execute(
            sa.select(t.environments.c.id, t.environments.c.key).where(
                t.environments.c.id.in_(env_ids)
            )
        )
        return {r.id: r.key for r in rows}

    async def list(
        self, *, feature_ids: list[str] | None = None, environment_id: str | None = None
    ) -> list[FeatureState]:
        cond: list[Any] = []
        if feature_ids is not None:
            cond.append(t.feature_states.c.feature_id.in_(feature_ids))
        if environment_id is not None:
            cond.append(t.feature_states.c.environment_id == environment_id)
        where = sa.and_(sa.true(), *cond)
        states = list(await self._conn.execute(t.feature_states.select().where(where)))
        if not states:
            return []
        v_where = sa.and_(
            sa.true(),
            *([t.variants.c.feature_id.in_(feature_ids)] if feature_ids is not None else []),
            *(
                [t.variants.c.environment_id == environment_id]
                if environment_id is not None
                else []
            ),
        )
        r_where = sa.and_(
            sa.true(),
            *([t.rules.c.feature_id.in_(feature_ids)] if feature_ids is not None else []),
            *([t.rules.c.environment_id == environment_id] if environment_id is not None else []),
        )
        variants: dict[tuple[str, str], list[Variant]] = defaultdict(list)
        for r in await self._conn.execute(
            t.variants.select().where(v_where).order_by(t.variants.c.name)
        ):
            variants[(r.feature_id, r.environment_id)].append(
                Variant(name=r.name, rollout_percent=r.rollout_percent, value=r.value)
            )
        rules: dict[tuple[str, str], list[Rule]] = defaultdict(list)
        for r in await self._conn.execute(
            t.rules.select().where(r_where).order_by(t.rules.c.action, t.rules.c.priority)
        ):
            rules[(r.feature_id, r.environment_id)].append(
                Rule(
                    id=r.id,
                    action=RuleAction(r.action),
                    priority=r.priority,
                    condition=r.condition,
                    variant=r.variant,
                    segment_id=r.segment_id,
                    is_customized=r.is_customized,
                )
            )
        keys = await self._env_keys({s.environment_id for s in states})
        return [
            FeatureState(
                feature_id=s.feature_id,
                environment_id=s.environment_id,
                environment_key=keys.get(s.environment_id, ""),
                enabled=s.enabled,
                default_value=s.default_value,
                variants=tuple(variants.get((s.feature_id, s.environment_id), ())),
                rules=tuple(rules.get((s.feature_id, s.environment_id), ())),
                updated_at=s.updated_at,
                last_evaluated_at=s.last_evaluated_at,
            )
            for s in states
        ]

    async def get(self, feature_id: str, environment_id: str) -> FeatureState:
        found = await self.list(feature_ids=[feature_id], environment_id=environment_id)
        if not found:
            raise NotFoundError("feature state")
        return found[0]

    async def set_enabled(
        self, feature_id: str, environment_id: str, enabled: bool, now: datetime
    ) -> None:
        await self._conn.execute(
            t.feature_states.update()
            .where(
                t.feature_states.c.feature_id == feature_id,
                t.feature_states.c.environment_id == environment_id,
            )
            .values(enabled=enabled, updated_at=now)
        )

    async def replace(self, state: FeatureState, now: datetime) -> None:
        """Write the whole environment state; rule ids are kept, variants matched by name."""
        fid, eid = state.feature_id, state.environment_id
        await self._conn.execute(
            t.feature_states.update()
            .where(t.feature_states.c.feature_id == fid, t.feature_states.c.environment_id == eid)
            .values(enabled=state.enabled, default_value=state.default_value, updated_at=now)
        )
        await self._conn.execute(
            t.rules.delete().where(t.rules.c.feature_id == fid, t.rules.c.environment_id == eid)
        )
        await self._conn.execute(
            t.variants.delete().where(
                t.variants.c.feature_id == fid, t.variants.c.environment_id == eid
            )
        )
        if state.variants:
            await self._conn.execute(
                t.variants.insert(),
                [
                    {
                        "id": new_id(),
                        "feature_id": fid,
                        "environment_id": eid,
                        "name": v.name,
                        "rollout_percent": v.rollout_percent,
                        "value": v.value,
                    }
                    for v in state.variants
                ],
            )
        if state.rules:
            with translate_integrity("segment"):
                await self._conn.execute(
                    t.rules.insert(),
                    [
                        {
                            "id": r.id,
                            "feature_id": fid,
                            "environment_id": eid,
                            "action": r.action.value,
                            "priority": r.priority,
                            "condition": r.condition,
                            "variant": r.variant,
                            "segment_id": r.segment_id,
                            "is_customized": r.is_customized,
                            "created_at": now,
                        }
                        for r in state.rules
                    ],
                )

    async def rules_for_segment(self, segment_id: str) -> list[tuple[str, str, Rule]]:
        """(feature_id, environment_id, rule) for every rule built from the segment."""
        rows = await self._conn.execute(t.rules.select().where(t.rules.c.segment_id == segment_id))
        return [
            (
                r.feature_id,
                r.environment_id,
                Rule(
                    id=r.id,
                    action=RuleAction(r.action),
                    priority=r.priority,
                    condition=r.condition,
                    variant=r.variant,
                    segment_id=r.segment_id,
                    is_customized=r.is_customized,
                ),
            )
            for r in rows
        ]

    async def update_rule_condition(
        self, rule_id: str, condition: dict[str, Any], is_customized: bool
    ) -> None:
        await self._conn.execute(
            t.rules.update()
            .where(t.rules.c.id == rule_id)
            .values(condition=condition, is_customized=is_customized)
        )

    async def touch_evaluated(self, seen: dict[tuple[str, str], datetime]) -> None:
        for (fid, eid), at in seen.items():
            await self._conn.execute(
                t.feature_states.update()
                .where(
                    t.feature_states.c.feature_id == fid, t.feature_states.c.environment_id == eid
                )
                .values(last_evaluated_at=at)
            )
