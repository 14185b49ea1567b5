"""A project at a glance: health per environment and category, pending approvals, risky features,
recent activity grouped by request, upcoming scheduled transitions; and stale features.

Read-only; built from a handful of bulk queries in one transaction.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from togglr.domain.accounts import Principal
from togglr.domain.audit import AuditEntry
from togglr.domain.changes import PendingChange
from togglr.domain.errors import InvalidInputError, NotFoundError
from togglr.domain.feature_schedules import Schedule
from togglr.domain.features import Feature, FeatureState
from togglr.domain.health import ErrorStats, HealthStatus, Thresholds, health_status
from togglr.domain.projects import Environment
from togglr.domain.tags import AUTO_DISABLE, CRITICAL, GUARDED
from togglr.evaluation.schedules import next_transition
from togglr.services import governance_settings
from togglr.services.common import Clock, Page, offset_of
from togglr.services.schedule_inputs import spec_of

RECENT = timedelta(hours=24)
AUDIT_SCAN = 300  # newest audit rows grouped into activity
MAX_STALE_DAYS = 3650
UNCATEGORIZED = "uncategorized"


@dataclass(slots=True)
class HealthCounts:
    """Counts over (feature, environment) pairs, and the colour they add up to."""

    total: int = 0
    enabled: int = 0
    disabled: int = 0
    healthy: int = 0
    degraded: int = 0
    failing: int = 0
    scheduled: int = 0
    guarded: int = 0
    auto_disable_managed: int = 0
    pending: int = 0
    auto_disabled_recently: int = 0

    def add(self, pair: _Pair) -> None:
        self.total += 1
        self.enabled += pair.state.enabled
        self.disabled += not pair.state.enabled
        if pair.status == "healthy":
            self.healthy += 1
        elif pair.status == "degraded":
            self.degraded += 1
        elif pair.status == "failing":
            self.failing += 1
        self.scheduled += bool(pair.schedules)
        self.guarded += GUARDED in pair.feature.tags
        self.auto_disable_managed += AUTO_DISABLE in pair.feature.tags
        self.pending += pair.pending
        self.auto_disabled_recently += pair.auto_disabled

    @property
    def health(self) -> str:
        """red: something fails or was switched off automatically in the last day; yellow: errors or
        changes waiting for approval; green otherwise."""
        if self.failing or self.auto_disabled_recently:
            return "red"
        if self.degraded or self.pending:
            return "yellow"
        return "green"


@dataclass(slots=True)
class _Pair:
    feature: Feature
    environment: Environment
    state: FeatureState
    status: HealthStatus
    errors: int
    errors_recently: int
    schedules: list[Schedule]
    pending: bool
    auto_disabled: bool


@dataclass(frozen=True, slots=True)
class EnvironmentHealth:
    environment_id: str
    environment_key: str
    counts: HealthCounts


@dataclass(frozen=True, slots=True)
class CategoryHealth:
    category_id: str | None
    slug: str
    name: str
    counts: HealthCounts


@dataclass(frozen=True, slots=True)
class RiskyFeature:
    feature_id: str
    feature_key: str
    name: str
    score: int
    reasons: list[str]
    environments: dict[str, str]  # environment key -> health status


@dataclass(frozen=True, slots=True)
class Activity:
    request_id: str | None
    at: datetime
    actor: str
    username: str
    entries: list[AuditEntry]


@dataclass(frozen=True, slots=True)
class Upcoming:
    feature_id: str
    feature_key: str
    environment_key: str
    at: datetime
    enabled: bool


@dataclass(frozen=True, slots=True)
class Overview:
    project_id: str
    generated_at: datetime
    environments: list[EnvironmentHealth]
    categories: list[CategoryHealth]
    pending_total: int
    pending: list[PendingChange]
    risky: list[RiskyFeature]
    activity: list[Activity]
    upcoming: list[Upcoming]
    stale_total: int
    stale_after_days: int


@dataclass(frozen=True, slots=True)
class StaleEnvironment:
    environment_key: str
    mode: str  # fully_on | fully_off
    last_changed_at: datetime
    last_evaluated_at: datetime | None


@dataclass(frozen=True, slots=True)
class StaleFeature:
    feature: Feature
    last_changed_at: datetime
    last_evaluated_at: datetime | None
    idle_days: int
    environments: list[StaleEnvironment] = field(default_factory=list)


def _mode(feature: Feature, state: FeatureState, schedules: list[Schedule]) -> str | None:
    """fully_off, fully_on (everyone gets the same answer), or None when it still varies."""
    if not state.enabled:
        return "fully_off"
    if state.rules or schedules:
        return None
    if feature.kind == "simple" or not state.variants:
        return "fully_on"
    return "fully_on" if any(v.rollout_percent >= 100 for v in state.variants) else None


def _risk(pair_list: list[_Pair]) -> tuple[int, list[str]]:
    feature = pair_list[0].feature
    reasons: list[str] = []
    score = 0
    for tag, points in ((CRITICAL, 100), (GUARDED, 10), (AUTO_DISABLE, 5)):
        if tag in feature.tags:
            reasons.append(tag)
            score += points
    if any(p.status == "failing" for p in pair_list):
        reasons.append("failing")
        score += 50
    elif any(p.errors_recently for p in pair_list):
        reasons.append("recently_failing")
        score += 20
    if any(p.auto_disabled for p in pair_list):
        reasons.append("auto_disabled")
        score += 40
    return score, reasons


class DashboardService:
    def __init__(self, storage: Any, clock: Clock) -> None:
        self._storage = storage
        self._now = clock

    async def _pairs(
        self, uow: Any, project_id: str, envs: list[Environment], limits: Thresholds, now: datetime
    ) -> tuple[list[Feature], list[_Pair], list[PendingChange], int]:
        features, _ = await uow.features.list(project_id)
        env_ids = {e.id for e in envs}
        states = {
            (s.feature_id, s.environment_id): s
            for s in await uow.states.list(feature_ids=[f.id for f in features])
        }
        errors = await uow.health.error_stats(
            project_id, now - timedelta(seconds=limits.window_sec)
        )
        recent = await uow.health.error_stats(project_id, now - RECENT)
        auto = {
            (a.feature_id, a.environment_id)
            for a in await uow.health.auto_disables_since(project_id, now - RECENT)
        }
        schedules: dict[tuple[str, str], list[Schedule]] = defaultdict(list)
        for s in await uow.schedules.list(project_id=project_id):
            schedules[(s.feature_id, s.environment_id)].append(s)
        pending, pending_total = await uow.changes.list(
            project_ids={project_id}, status="pending", limit=1000
        )
        locked_pairs = {(c.feature_id, c.environment_id) for c in pending}
        locked_features = {c.feature_id for c in pending if c.environment_id is None}
        pairs: list[_Pair] = []
        for feature in features:
            for env in envs:
                state = states.get((feature.id, env.id))
                if state is None or env.id not in env_ids:
                    continue
                count = errors.get((feature.id, env.id), (0, None))[0]
                pairs.append(
                    _Pair(
                        feature=feature,
                        environment=env,
                        state=state,
                        status=health_status(state.enabled, ErrorStats(count, 0), limits),
                        errors=count,
                        errors_recently=recent.get((feature.id, env.id), (0, None))[0],
                        schedules=schedules.get((feature.id, env.id), []),
                        pending=(feature.id, env.id) in locked_pairs
                        or feature.id in locked_features,
                        auto_disabled=(feature.id, env.id) in auto,
                    )
                )
        return features, pairs, pending, pending_total

    async def overview(
        self,
        principal: Principal,
        project_id: str,
        *,
        environment_key: str | None = None,
        limit: int = 10,
    ) -> Overview:
        if not principal.can(project_id, "feature.view"):
            raise NotFoundError("project", project_id)
        now = self._now()
        async with self._storage.unit_of_work() as uow:
            await uow.projects.get(project_id)
            envs = await uow.environments.list_for_project(project_id)
            if environment_key is not None:
                envs = [await uow.environments.get_by_key(project_id, environment_key)]
            core, gov = await governance_settings.load(uow, project_id)
            limits = governance_settings.thresholds(core, gov)
            features, pairs, pending, pending_total = await self._pairs(
                uow, project_id, envs, limits, now
            )
            categories = {c.id: c for c in await uow.categories.list()}
            tag_category = {t.slug: t.category_id for t in await uow.tags.list(project_id)}
            audit_rows, _ = await uow.audit.list(project_id, limit=AUDIT_SCAN)
        return Overview(
            project_id=project_id,
            generated_at=now,
            environments=self._by_environment(envs, pairs),
            categories=self._by_category(pairs, categories, tag_category),
            pending_total=pending_total,
            pending=pending[:limit],
            risky=self._risky(pairs, limit),
            activity=_group_activity(audit_rows, limit),
            upcoming=self._upcoming(pairs, now, limit),
            stale_total=len(self._stale(features, pairs, now, gov.stale_after_days)),
            stale_after_days=gov.stale_after_days,
        )

    @staticmethod
    def _by_environment(envs: list[Environment], pairs: list[_Pair]) -> list[EnvironmentHealth]:
        counts = {e.id: HealthCounts() for e in envs}
        for pair in pairs:
            counts[pair.environment.id].add(pair)
        return [EnvironmentHealth(e.id, e.key, counts[e.id]) for e in envs]

    @staticmethod
    def _by_category(
        pairs: list[_Pair], categories: dict[str, Any], tag_category: dict[str, str | None]
    ) -> list[CategoryHealth]:
        """A feature counts under its category, else its tags' categories, else uncategorized."""
        counts: dict[str | None, HealthCounts] = defaultdict(HealthCounts)
        for pair in pairs:
            ids = (
                {pair.feature.category_id}
                if pair.feature.category_id
                else {tag_category[t] for t in pair.feature.tags if tag_category.get(t)}
            )
            for category_id in ids or {None}:
                counts[category_id if category_id in categories else None].add(pair)
        out = [
            CategoryHealth(
                cid,
                categories[cid].slug if cid else UNCATEGORIZED,
                categories[cid].name if cid else "Uncategorized",
                c,
            )
            for cid, c in counts.items()
        ]
        return sorted(out, key=lambda c: (c.category_id is None, c.name.lower()))

    @staticmethod
    def _risky(pairs: list[_Pair], limit: int) -> list[RiskyFeature]:
        by_feature: dict[str, list[_Pair]] = defaultdict(list)
        for pair in pairs:
            by_feature[pair.feature.id].append(pair)
        risky = []
        for group in by_feature.values():
            score, reasons = _risk(group)
            if score:
                f = group[0].feature
                risky.append(
                    RiskyFeature(
                        f.id,
                        f.key,
                        f.name,
                        score,
                        reasons,
                        {p.environment.key: p.status for p in group},
                    )
                )
        return sorted(risky, key=lambda r: (-r.score, r.feature_key))[:limit]

    @staticmethod
    def _upcoming(pairs: list[_Pair], now: datetime, limit: int) -> list[Upcoming]:
        out = []
        for pair in pairs:
            if not pair.schedules:
                continue
            nxt = next_transition(pair.state.enabled, [spec_of(s) for s in pair.schedules], now)
            if nxt is not None:
                out.append(
                    Upcoming(
                        pair.feature.id, pair.feature.key, pair.environment.key, nxt[0], nxt[1]
                    )
                )
        return sorted(out, key=lambda u: (u.at, u.feature_key))[:limit]

    # --- stale features ---------------------------------------------------------------------------
    @staticmethod
    def _stale(
        features: list[Feature], pairs: list[_Pair], now: datetime, days: int
    ) -> list[StaleFeature]:
        """Fully on or off, unchanged and unevaluated for `days`, in every environment asked."""
        cutoff = now - timedelta(days=days)
        by_feature: dict[str, list[_Pair]] = defaultdict(list)
        for pair in pairs:
            by_feature[pair.feature.id].append(pair)
        out: list[StaleFeature] = []
        for feature in features:
            group = by_feature.get(feature.id, [])
            if not group or feature.updated_at >= cutoff:
                continue
            envs: list[StaleEnvironment] = []
            for pair in group:
                mode = _mode(feature, pair.state, pair.schedules)
                changed = max(pair.state.updated_at or feature.updated_at, feature.updated_at)
                seen = pair.state.last_evaluated_at
                if mode is None or changed >= cutoff or (seen is not None and seen >= cutoff):
                    break
                envs.append(StaleEnvironment(pair.environment.key, mode, changed, seen))
            else:
                changed = max(e.last_changed_at for e in envs)
                seen_all = [e.last_evaluated_at for e in envs if e.last_evaluated_at]
                seen = max(seen_all) if seen_all else None
                idle = (now - max(changed, seen or changed)).days
                out.append(StaleFeature(feature, changed, seen, idle, envs))
        return sorted(out, key=lambda s: (-s.idle_days, s.feature.key))

    async def stale_features(
        self,
        principal: Principal,
        project_id: str,
        *,
        days: int | None = None,
        environment_key: str | None = None,
        page: int = 1,
        per_page: int = 50,
    ) -> tuple[Page[StaleFeature], int]:
        """Stale features and the age used (the query's `days`, else the project's setting)."""
        if not principal.can(project_id, "feature.view"):
            raise NotFoundError("project", project_id)
        if days is not None and not 1 <= days <= MAX_STALE_DAYS:
            raise InvalidInputError(f"days: between 1 and {MAX_STALE_DAYS}")
        now = self._now()
        async with self._storage.unit_of_work() as uow:
            await uow.projects.get(project_id)
            envs = await uow.environments.list_for_project(project_id)
            if environment_key is not None:
                envs = [await uow.environments.get_by_key(project_id, environment_key)]
            core, gov = await governance_settings.load(uow, project_id)
            features, pairs, _, _ = await self._pairs(
                uow, project_id, envs, governance_settings.thresholds(core, gov), now
            )
        age = days or gov.stale_after_days
        stale = self._stale(features, pairs, now, age)
        start = offset_of(page, per_page)
        return Page(stale[start : start + per_page], len(stale), page, per_page), age


def _group_activity(rows: list[AuditEntry], limit: int) -> list[Activity]:
    """Audit rows of one request belong together (a feature PUT writes several)."""
    groups: dict[str, list[AuditEntry]] = {}
    for row in rows:  # newest first
        key = row.request_id or f"entry:{row.id}"
        groups.setdefault(key, []).append(row)
    out = [
        Activity(
            entries[0].request_id,
            entries[0].created_at,
            entries[0].actor,
            entries[0].username,
            entries,
        )
        for entries in groups.values()
    ]
    return out[:limit]
