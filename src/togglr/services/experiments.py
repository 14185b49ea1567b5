"""Experiments: attach, change, enable/disable and detach an adaptive algorithm per feature and
environment (guarded like any change, always audited), and list the catalogue.

Switching to another algorithm detaches the current attachment and starts a new one with fresh
statistics; the old attachment and its statistics stay readable (history, results by id).
Changing settings or the enabled switch keeps the statistics (settings are applied to the
shared state with `configure`). The live state on every node follows `algorithm.changed`.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, replace
from typing import Any

from togglr.bandits import ALGORITHMS, AlgorithmSpec, create_state, get_spec, load_state
from togglr.domain.accounts import Principal
from togglr.domain.changes import (
    ChangeGuard,
    EntityChange,
    ProposedChange,
    diff_fields,
)
from togglr.domain.errors import ConflictError, InvalidInputError, NotFoundError
from togglr.domain.events import ALGORITHM_CHANGED, DomainEvent
from togglr.domain.experiments import Attachment
from togglr.domain.features import Feature, FeatureState
from togglr.domain.ids import new_id
from togglr.domain.projects import Environment
from togglr.eventbus import EventBus
from togglr.services.common import Clock, audit, require
from togglr.services.guarded import Guarded

SAVE_ATTEMPTS = 5


@dataclass(frozen=True, slots=True)
class AlgorithmTarget:
    """A feature in an environment, as loaded for an algorithm change."""

    feature: Feature
    environment: Environment
    state: FeatureState

    @property
    def label(self) -> str:
        return f"{self.feature.key} in {self.environment.key}"


def check_compatible(spec: AlgorithmSpec, feature: Feature) -> None:
    """Bandits choose among variants; optimizers serve a number as a simple feature's value."""
    if spec.kind == "optimizer" and feature.kind != "simple":
        raise InvalidInputError(
            f"algorithm: {spec.slug} tunes a numeric value and needs a simple feature; "
            f"{feature.key} is {feature.kind}",
            code="incompatible_algorithm",
        )
    if spec.kind != "optimizer" and feature.kind != "multivariant":
        raise InvalidInputError(
            f"algorithm: {spec.slug} chooses among variants and needs a multivariant feature; "
            f"{feature.key} is {feature.kind}",
            code="incompatible_algorithm",
        )


def validated(
    algorithm: str, settings: dict[str, Any] | None
) -> tuple[AlgorithmSpec, dict[str, Any]]:
    try:
        spec = get_spec(algorithm)
        return spec, dict(spec.validate(settings))
    except ValueError as exc:
        raise InvalidInputError(
            f"{'settings' if algorithm in ALGORITHMS else 'algorithm'}: {exc}"
        ) from None


class ExperimentService(Guarded):
    def __init__(
        self, storage: Any, bus: EventBus, clock: Clock, rng: random.Random | None = None
    ) -> None:
        self._storage = storage
        self._bus = bus
        self._now = clock
        self._rng = rng or random.Random()
        self.guard: ChangeGuard | None = None  # governance plugs in here (202 when guarded)

    # --- reads -------------------------------------------------------------------------------
    @staticmethod
    def catalogue() -> list[AlgorithmSpec]:
        """Every algorithm, in slug order."""
        return [ALGORITHMS[slug] for slug in sorted(ALGORITHMS)]

    async def target(
        self, uow: Any, principal: Principal, feature_id: str, env_key: str, permission: str
    ) -> AlgorithmTarget:
        feature: Feature | None = await uow.features.find(feature_id)
        if feature is None or not principal.can(feature.project_id, "feature.view"):
            raise NotFoundError("feature", feature_id)  # do not reveal other projects' features
        require(principal, feature.project_id, permission)
        env: Environment = await uow.environments.get_by_key(feature.project_id, env_key)
        return AlgorithmTarget(feature, env, await uow.states.get(feature_id, env.id))

    async def get(
        self, principal: Principal, feature_id: str, env_key: str
    ) -> tuple[AlgorithmTarget, Attachment]:
        """The current attachment; 404 when none."""
        async with self._storage.unit_of_work() as uow:
            target = await self.target(uow, principal, feature_id, env_key, "feature.view")
            current = await uow.experiments.find_current(feature_id, target.environment.id)
        if current is None:
            raise NotFoundError("algorithm attachment of feature", f"{target.label}")
        return target, current

    async def contribute(
        self, uow: Any, environment_id: str, feature_ids: list[str]
    ) -> dict[str, dict[str, Any]]:
        """SnapshotStore contributor: the slug of each feature's attached, enabled algorithm."""
        if not feature_ids:
            return {}
        current = await uow.experiments.list_current(
            environment_id=environment_id, feature_ids=feature_ids, enabled_only=True
        )
        return {a.feature_id: {"algorithm": a.algorithm} for a in current}

    # --- writes ------------------------------------------------------------------------------
    async def put(
        self,
        principal: Principal,
        feature_id: str,
        env_key: str,
        *,
        algorithm: str,
        enabled: bool,
        settings: dict[str, Any] | None,
    ) -> Attachment:
        """Attach, switch (fresh statistics) or reconfigure (statistics kept). 202 if guarded."""
        spec, clean = validated(algorithm, settings)
        now = self._now()
        async with self._storage.unit_of_work() as uow:
            target = await self.target(uow, principal, feature_id, env_key, "experiment.manage")
            check_compatible(spec, target.feature)
            env = target.environment
            current: Attachment | None = await uow.experiments.find_current(feature_id, env.id)
            wanted = {"algorithm": algorithm, "enabled": enabled, "settings": clean}
            before = (
                None
                if current is None
                else {k: v for k, v in current.to_json().items() if k != "id"}
            )
            if before == wanted and current is not None:
                return current  # nothing changes: nothing to approve, audit or announce
            pending = await self._propose(
                uow,
                principal,
                ProposedChange(
                    project_id=target.feature.project_id,
                    environment_id=env.id,
                    feature_id=feature_id,
                    operation="algorithm.put",
                    arguments={"feature_id": feature_id, "env_key": env_key, **wanted},
                    entities=(
                        EntityChange(
                            "algorithm",
                            f"{feature_id}:{env.id}",
                            "create" if current is None else "update",
                            diff_fields(before or {}, wanted),
                            f"algorithm of {target.label}",
                        ),
                    ),
                    summary=f"{'attach' if current is None else 'change'} the algorithm of {target.label}",
                ),
            )
            if pending is None:
                if current is None or current.algorithm != algorithm:
                    result = await self._attach(
                        uow, principal, target, current, spec, clean, enabled, now
                    )
                else:
                    result = await self._reconfigure(
                        uow, principal, target, current, clean, enabled, now
                    )
        if pending is not None:
            await self._pending(pending)
        await self._changed(result)
        return result

    async def _attach(
        self,
        uow: Any,
        principal: Principal,
        target: AlgorithmTarget,
        current: Attachment | None,
        spec: AlgorithmSpec,
        settings: dict[str, Any],
        enabled: bool,
        now: Any,
    ) -> Attachment:
        arms = [v.name for v in target.state.variants]
        try:
            state = create_state(spec.slug, settings, arms, now=now.timestamp())
        except ImportError as exc:  # contextual models need numpy (docs/adr/0003)
            raise InvalidInputError(
                f"algorithm: {spec.slug} is not available on this server ({exc})"
            ) from None
        state.refresh(self._rng, now=now.timestamp())
        if current is not None:
            await uow.experiments.detach(current.id, now)
        attachment = Attachment(
            id=new_id(),
            project_id=target.feature.project_id,
            environment_id=target.environment.id,
            feature_id=target.feature.id,
            algorithm=spec.slug,
            settings=settings,
            enabled=enabled,
            created_by=principal.username,
            created_at=now,
            updated_at=now,
        )
        await uow.experiments.add(attachment, state.to_json())
        await audit(
            uow,
            principal,
            now,
            entity="algorithm",
            entity_id=attachment.id,
            action="attach" if current is None else "switch",
            project_id=attachment.project_id,
            environment_id=attachment.environment_id,
            feature_id=attachment.feature_id,
            old=None if current is None else current.to_json(),
            new=attachment.to_json(),
        )
        return attachment

    async def _reconfigure(
        self,
        uow: Any,
        principal: Principal,
        target: AlgorithmTarget,
        current: Attachment,
        settings: dict[str, Any],
        enabled: bool,
        now: Any,
    ) -> Attachment:
        updated = replace(current, settings=settings, enabled=enabled, updated_at=now)
        if settings != current.settings:
            for _ in range(SAVE_ATTEMPTS):  # a node may be flushing into the same row right now
                stored = await uow.experiments.get_state(current.id)
                shared = load_state(stored.state)
                shared.configure(settings, self._rng)
                if await uow.experiments.save_state(
                    current.id, shared.to_json(), stored.version, now
                ):
                    break
            else:
                raise ConflictError("the algorithm's statistics are busy; try again", code="busy")
        await uow.experiments.update(updated)
        await audit(
            uow,
            principal,
            now,
            entity="algorithm",
            entity_id=current.id,
            action="update",
            project_id=current.project_id,
            environment_id=current.environment_id,
            feature_id=current.feature_id,
            old=current.to_json(),
            new=updated.to_json(),
        )
        return updated

    async def delete(self, principal: Principal, feature_id: str, env_key: str) -> None:
        """Detach the current algorithm (its statistics stay readable). 202 if guarded."""
        now = self._now()
        async with self._storage.unit_of_work() as uow:
            target = await self.target(uow, principal, feature_id, env_key, "experiment.manage")
            env = target.environment
            current = await uow.experiments.find_current(feature_id, env.id)
            if current is None:
                raise NotFoundError("algorithm attachment of feature", target.label)
            gone = {k: {"old": v, "new": None} for k, v in current.to_json().items() if k != "id"}
            # Unlike the reference, a detach is a change like any other: guarded features need approval.
            pending = await self._propose(
                uow,
                principal,
                ProposedChange(
                    project_id=target.feature.project_id,
                    environment_id=env.id,
                    feature_id=feature_id,
                    operation="algorithm.delete",
                    arguments={"feature_id": feature_id, "env_key": env_key},
                    entities=(
                        EntityChange(
                            "algorithm",
                            f"{feature_id}:{env.id}",
                            "delete",
                            gone,
                            f"algorithm of {target.label}",
                        ),
                    ),
                    summary=f"detach the algorithm of {target.label}",
                ),
            )
            if pending is None:
                await uow.experiments.detach(current.id, now)
                await audit(
                    uow,
                    principal,
                    now,
                    entity="algorithm",
                    entity_id=current.id,
                    action="detach",
                    project_id=current.project_id,
                    environment_id=current.environment_id,
                    feature_id=feature_id,
                    old=current.to_json(),
                )
        if pending is not None:
            await self._pending(pending)
        await self._changed(replace(current, detached_at=now))

    # --- plumbing ----------------------------------------------------------------------------

    async def _changed(self, a: Attachment) -> None:
        await self._bus.publish(
            DomainEvent(
                ALGORITHM_CHANGED,
                project_id=a.project_id,
                environment_id=a.environment_id,
                feature_id=a.feature_id,
                payload={
                    "attachment_id": a.id,
                    "algorithm": a.algorithm,
                    "enabled": a.enabled and a.is_current,
                    "detached": not a.is_current,
                },
            )
        )
