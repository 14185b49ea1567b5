"""Results of an experiment: per-variant statistics, allocation, and a time series of rollups.

Statistics come from this node's live state when the attachment is current (fresh to the last
flush of every other node), and from the stored shared state for detached attachments. The
series comes from the per-minute rollups, grouped into minutes, hours or days.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from togglr.bandits import AlgorithmState, get_spec, load_state
from togglr.domain.accounts import Principal
from togglr.domain.errors import InvalidInputError, NotFoundError
from togglr.domain.experiments import Attachment, RollupPoint
from togglr.services.common import Clock
from togglr.services.experiments import AlgorithmTarget, ExperimentService
from togglr.services.live_stats import LiveStats

BUCKETS: dict[str, timedelta] = {
    "minute": timedelta(minutes=1),
    "hour": timedelta(hours=1),
    "day": timedelta(days=1),
}
DEFAULT_SPAN: dict[str, timedelta] = {
    "minute": timedelta(hours=6),
    "hour": timedelta(days=7),
    "day": timedelta(days=90),
}
MAX_POINTS = 2000  # buckets per series request


@dataclass(frozen=True, slots=True)
class VariantResult:
    variant: str
    evaluations: int
    successes: int
    failures: int
    errors: int
    reward_sum: float
    mean_reward: float | None
    rate: float | None
    interval: tuple[float, float]  # 95 % (Wilson) interval of the rate
    probability_best: float
    weight: float


@dataclass(frozen=True, slots=True)
class SeriesPoint:
    at: datetime
    variant: str
    evaluations: int = 0
    successes: int = 0
    failures: int = 0
    errors: int = 0
    reward_sum: float = 0.0


@dataclass(frozen=True, slots=True)
class Results:
    target: AlgorithmTarget
    attachment: Attachment
    kind: str
    live: bool  # from this node's memory (else from the stored shared state)
    variants: list[VariantResult]
    summary: dict[str, Any]
    optimizer: dict[str, Any] | None
    bucket: str
    since: datetime
    until: datetime
    series: list[SeriesPoint]


def _utc(at: datetime | None) -> datetime | None:
    """Times without an offset are read as UTC."""
    if at is None:
        return None
    return at.replace(tzinfo=UTC) if at.tzinfo is None else at.astimezone(UTC)


def floor_to(at: datetime, bucket: str) -> datetime:
    at = at.replace(second=0, microsecond=0)
    if bucket in ("hour", "day"):
        at = at.replace(minute=0)
    if bucket == "day":
        at = at.replace(hour=0)
    return at


def group_series(points: list[RollupPoint], bucket: str) -> list[SeriesPoint]:
    """Rollup rows → one point per (bucket start, variant) with a column per event type."""
    acc: dict[tuple[datetime, str], dict[str, Any]] = {}
    for p in points:
        row = acc.setdefault(
            (floor_to(p.minute, bucket), p.variant),
            {"evaluations": 0, "successes": 0, "failures": 0, "errors": 0, "reward_sum": 0.0},
        )
        if p.event_type == "evaluation":
            row["evaluations"] += p.count
            continue
        row["reward_sum"] += p.reward_sum
        if p.event_type == "success":
            row["successes"] += p.count
        else:  # an error is also a failure, as in the statistics
            row["failures"] += p.count
            if p.event_type == "error":
                row["errors"] += p.count
    return [SeriesPoint(at, variant, **row) for (at, variant), row in sorted(acc.items())]


class ExperimentResults:
    def __init__(
        self, storage: Any, clock: Clock, experiments: ExperimentService, live: LiveStats
    ) -> None:
        self._storage = storage
        self._now = clock
        self._experiments = experiments
        self._live = live
        self._rng = random.Random()

    async def results(
        self,
        principal: Principal,
        feature_id: str,
        env_key: str,
        *,
        attachment_id: str | None = None,
        bucket: str = "minute",
        since: datetime | None = None,
        until: datetime | None = None,
    ) -> Results:
        if bucket not in BUCKETS:
            raise InvalidInputError(f"bucket: one of {', '.join(BUCKETS)}")
        since, until = _utc(since), _utc(until)
        async with self._storage.unit_of_work() as uow:
            target = await self._experiments.target(
                uow, principal, feature_id, env_key, "feature.view"
            )
            attachment = await self._attachment(uow, target, attachment_id)
            until = until or attachment.detached_at or self._now()
            since = since or max(attachment.created_at, until - DEFAULT_SPAN[bucket])
            if since >= until:
                raise InvalidInputError("since: must be before until")
            if (until - since) / BUCKETS[bucket] > MAX_POINTS:
                raise InvalidInputError(
                    f"since: at most {MAX_POINTS} {bucket}s per request; use a larger bucket"
                )
            points = await uow.feedback_rollups.series(
                attachment.id, floor_to(since, bucket), until
            )
            live = self._live.find(attachment.id)
            state = live.state if live is not None else await self._stored(uow, attachment)
        rows = [
            VariantResult(
                variant=s.arm,
                evaluations=s.evaluations,
                successes=s.successes,
                failures=s.failures,
                errors=s.errors,
                reward_sum=s.reward_sum,
                mean_reward=s.mean_reward,
                rate=s.rate,
                interval=(s.rate_low, s.rate_high),
                probability_best=s.probability_best,
                weight=s.weight,
            )
            for s in state.statistics(self._rng)
        ]
        summary = state.summary()
        kind = get_spec(attachment.algorithm).kind
        optimizer = None
        if kind == "optimizer":
            optimizer = {
                k: summary.get(k)
                for k in ("current_value", "best_value", "best_reward", "iteration")
            }
        return Results(
            target,
            attachment,
            kind,
            live is not None,
            rows,
            summary,
            optimizer,
            bucket,
            since,
            until,
            group_series(points, bucket),
        )

    async def history(
        self, principal: Principal, feature_id: str, env_key: str
    ) -> tuple[AlgorithmTarget, list[tuple[Attachment, dict[str, Any]]]]:
        """Every attachment, newest first, with the summary of its statistics."""
        async with self._storage.unit_of_work() as uow:
            target = await self._experiments.target(
                uow, principal, feature_id, env_key, "feature.view"
            )
            out = []
            for a in await uow.experiments.history(feature_id, target.environment.id):
                live = self._live.find(a.id)
                try:
                    state = live.state if live is not None else await self._stored(uow, a)
                    summary = state.summary()
                except InvalidInputError:
                    summary = {}
                out.append((a, summary))
        return target, out

    @staticmethod
    async def _attachment(
        uow: Any, target: AlgorithmTarget, attachment_id: str | None
    ) -> Attachment:
        if attachment_id is None:
            current: Attachment | None = await uow.experiments.find_current(
                target.feature.id, target.environment.id
            )
            if current is None:
                raise NotFoundError("algorithm attachment of feature", target.label)
            return current
        found: Attachment | None = await uow.experiments.find(attachment_id)
        if found is None or (found.feature_id, found.environment_id) != (
            target.feature.id,
            target.environment.id,
        ):
            raise NotFoundError("algorithm attachment", attachment_id)
        return found

    @staticmethod
    async def _stored(uow: Any, attachment: Attachment) -> AlgorithmState:
        stored = await uow.experiments.get_state(attachment.id)
        try:
            return load_state(stored.state)
        except (ValueError, ImportError) as exc:
            raise InvalidInputError(
                f"the stored statistics cannot be read: {exc}", code="unreadable_state"
            ) from None
