"""Evaluating flags for SDKs and for the explain endpoint, entirely from memory."""

from __future__ import annotations

import random
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

from togglr.domain.accounts import Principal
from togglr.domain.errors import NotFoundError
from togglr.evaluation import evaluate
from togglr.evaluation.snapshot import AlgorithmHook, Decision, FlagSnapshot
from togglr.services.common import Clock, require
from togglr.services.snapshots import EnvironmentSnapshot, SnapshotStore

# Given (environment_id, feature_id) return the live algorithm for it, if one is attached.
HookProvider = Callable[[str, str], AlgorithmHook | None]


class EvaluationService:
    def __init__(
        self, snapshots: SnapshotStore, clock: Clock, rng: random.Random | None = None
    ) -> None:
        self._snapshots = snapshots
        self._now = clock
        self._rng = rng or random.Random()
        self._hooks: HookProvider | None = None
        self._preview: HookProvider | None = None
        # (feature_id, environment_id) -> last evaluation time; flushed to storage in the background
        self.seen: dict[tuple[str, str], datetime] = {}

    def set_hook_provider(
        self, provider: HookProvider, preview: HookProvider | None = None
    ) -> None:
        """`preview` answers the explain endpoint like `provider` but must not count evaluations."""
        self._hooks = provider
        self._preview = preview or provider

    def environment(self, api_key: str) -> EnvironmentSnapshot | None:
        return self._snapshots.by_api_key(api_key)

    def evaluate(
        self,
        env: EnvironmentSnapshot,
        flag: FlagSnapshot,
        context: Mapping[str, Any],
        *,
        explain: bool = False,
    ) -> Decision:
        now = self._now()
        hook = None
        if flag.algorithm is not None and self._hooks is not None:
            hook = self._hooks(env.environment_id, flag.feature_id)
        self.seen[(flag.feature_id, env.environment_id)] = now
        return evaluate(flag, context, now, hook=hook, rng=self._rng, explain=explain)

    def explain(
        self,
        principal: Principal,
        project_id: str,
        env_key: str,
        feature_key: str,
        context: Mapping[str, Any],
    ) -> tuple[FlagSnapshot, Decision]:
        require(principal, project_id, "feature.view")
        for env in self._snapshots.environments():
            if env.project_id == project_id and env.environment_key == env_key:
                flag = env.flags.get(feature_key)
                if flag is None:
                    raise NotFoundError("feature", feature_key)
                now = self._now()
                hook = None
                if flag.algorithm is not None and self._preview is not None:
                    hook = self._preview(env.environment_id, flag.feature_id)
                return flag, evaluate(flag, context, now, hook=hook, rng=self._rng, explain=True)
        raise NotFoundError("environment", env_key)

    def take_seen(self) -> dict[tuple[str, str], datetime]:
        seen, self.seen = self.seen, {}
        return seen
