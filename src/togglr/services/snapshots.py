"""In-memory evaluation snapshots per environment, rebuilt from storage on change events.

The SDK path reads only from here; it never touches the database.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field, replace
from typing import Any

from togglr.domain import events as ev
from togglr.domain.events import DomainEvent
from togglr.domain.features import Feature, FeatureState
from togglr.domain.targeting import parse_expression
from togglr.evaluation.snapshot import FlagSnapshot, RuleSpec, VariantSpec

log = logging.getLogger(__name__)

# A contributor adds fields (schedules, algorithm, ...) to the snapshots of some features in one
# environment: (uow, environment_id, feature_ids) -> {feature_id: {field: value}}.
SnapshotContributor = Callable[[Any, str, list[str]], Awaitable[dict[str, dict[str, Any]]]]


@dataclass(slots=True)
class EnvironmentSnapshot:
    project_id: str
    environment_id: str
    environment_key: str
    api_key: str
    flags: dict[str, FlagSnapshot] = field(default_factory=dict)  # feature key -> snapshot
    keys_by_id: dict[str, str] = field(default_factory=dict)  # feature id -> key
    tags: dict[str, tuple[str, ...]] = field(default_factory=dict)  # feature id -> tag slugs


def build_snapshot(feature: Feature, state: FeatureState) -> FlagSnapshot:
    return FlagSnapshot(
        feature_id=feature.id,
        feature_key=feature.key,
        kind=feature.kind,
        rollout_key=feature.rollout_key,
        enabled=state.enabled,
        default_value=state.default_value,
        variants=tuple(VariantSpec(v.name, v.rollout_percent, v.value) for v in state.variants),
        rules=tuple(
            RuleSpec(
                r.id, r.action, r.priority, parse_expression(r.condition), r.variant, r.segment_id
            )
            for r in state.rules
        ),
    )


class SnapshotStore:
    def __init__(self, storage: Any, contributors: list[SnapshotContributor] | None = None) -> None:
        self._storage = storage
        self._contributors = list(contributors or [])
        self._by_api_key: dict[str, EnvironmentSnapshot] = {}
        self._by_env: dict[str, EnvironmentSnapshot] = {}
        self.version = 0  # bumps on every change; used for ETags

    def add_contributor(self, contributor: SnapshotContributor) -> None:
        self._contributors.append(contributor)

    # --- reads (hot path) ---------------------------------------------------------------
    def by_api_key(self, api_key: str) -> EnvironmentSnapshot | None:
        return self._by_api_key.get(api_key)

    def by_environment(self, environment_id: str) -> EnvironmentSnapshot | None:
        return self._by_env.get(environment_id)

    def environments(self) -> list[EnvironmentSnapshot]:
        return list(self._by_env.values())

    # --- rebuilding ----------------------------------------------------------------------
    async def load_all(self) -> None:
        async with self._storage.unit_of_work() as uow:
            envs = await uow.environments.list_all()
            fresh: dict[str, EnvironmentSnapshot] = {}
            for env in envs:
                fresh[env.id] = await self._load_env(uow, env)
        self._by_env = fresh
        self._by_api_key = {e.api_key: e for e in fresh.values()}
        self.version += 1

    async def _load_env(
        self, uow: Any, env: Any, feature_ids: list[str] | None = None
    ) -> EnvironmentSnapshot:
        snap = EnvironmentSnapshot(env.project_id, env.id, env.key, env.api_key)
        features, _ = await uow.features.list(env.project_id)
        by_id = {f.id: f for f in features}
        states = await uow.states.list(environment_id=env.id)
        await self._fill(uow, snap, by_id, states)
        return snap

    async def _fill(
        self,
        uow: Any,
        snap: EnvironmentSnapshot,
        by_id: dict[str, Feature],
        states: list[FeatureState],
    ) -> None:
        built: dict[str, FlagSnapshot] = {}
        for state in states:
            feature = by_id.get(state.feature_id)
            if feature is None:
                continue
            try:
                built[feature.id] = build_snapshot(feature, state)
            except Exception:  # a stored tree that no longer parses must not take the node down
                log.exception("cannot build snapshot for feature %s", feature.key)
        ids = list(built)
        for contributor in self._contributors:
            extra = await contributor(uow, snap.environment_id, ids)
            for fid, fields_ in extra.items():
                if fid in built:
                    built[fid] = replace(built[fid], **fields_)
        for fid, flag in built.items():
            old_key = snap.keys_by_id.get(fid)
            if old_key is not None and old_key != flag.feature_key:
                snap.flags.pop(old_key, None)
            snap.flags[flag.feature_key] = flag
            snap.keys_by_id[fid] = flag.feature_key
            snap.tags[fid] = by_id[fid].tags

    async def reload_environment(self, environment_id: str) -> None:
        async with self._storage.unit_of_work() as uow:
            env = await uow.environments.find(environment_id)
            project = await uow.projects.find(env.project_id) if env else None
            fresh = (
                await self._load_env(uow, env)
                if env and project and project.archived_at is None
                else None
            )
        self._drop_environment(environment_id)
        if fresh is not None:
            self._by_env[environment_id] = fresh
            self._by_api_key[fresh.api_key] = fresh
        self.version += 1

    def _drop_environment(self, environment_id: str) -> None:
        old = self._by_env.pop(environment_id, None)
        if old is not None:
            self._by_api_key.pop(old.api_key, None)

    async def reload_project(self, project_id: str) -> None:
        async with self._storage.unit_of_work() as uow:
            envs = await uow.environments.list_for_project(project_id)
        for env_id in [
            e.environment_id for e in self._by_env.values() if e.project_id == project_id
        ]:
            self._drop_environment(env_id)
        for env in envs:
            await self.reload_environment(env.id)

    async def reload_feature(self, project_id: str, feature_id: str) -> None:
        async with self._storage.unit_of_work() as uow:
            feature = await uow.features.find(feature_id)
            if feature is None:
                self.remove_feature(feature_id)
                return
            states = await uow.states.list(feature_ids=[feature_id])
            for state in states:
                snap = self._by_env.get(state.environment_id)
                if snap is not None:
                    await self._fill(uow, snap, {feature.id: feature}, [state])
        self.version += 1

    def remove_feature(self, feature_id: str) -> None:
        for snap in self._by_env.values():
            key = snap.keys_by_id.pop(feature_id, None)
            if key is not None:
                snap.flags.pop(key, None)
                snap.tags.pop(feature_id, None)
        self.version += 1

    async def handle(self, event: DomainEvent) -> None:
        """Bus subscriber: apply one change event."""
        if event.type == ev.FEATURE_DELETED and event.feature_id:
            self.remove_feature(event.feature_id)
        elif (
            event.type in (ev.FEATURE_CHANGED, ev.ALGORITHM_CHANGED)
            and event.feature_id
            and event.project_id
        ):
            await self.reload_feature(event.project_id, event.feature_id)
        elif (
            event.type in (ev.ENVIRONMENT_CHANGED, ev.ENVIRONMENT_DELETED) and event.environment_id
        ):
            await self.reload_environment(event.environment_id)
        elif event.type in (ev.PROJECT_CHANGED, ev.PROJECT_DELETED) and event.project_id:
            await self.reload_project(event.project_id)
