"""Request and response models of the experiments API (algorithms, attachments, results)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictBool

from togglr.bandits import AlgorithmSpec, get_spec
from togglr.domain.experiments import Attachment
from togglr.services.experiment_results import Results, SeriesPoint, VariantResult


class AlgorithmRead(BaseModel):
    slug: str
    name: str
    kind: Literal["bandit", "contextual_bandit", "optimizer"]
    description: str
    settings_schema: dict[str, Any]
    default_settings: dict[str, bool | float | int]  # bool first: keep true as true

    @classmethod
    def of(cls, spec: AlgorithmSpec) -> AlgorithmRead:
        return cls(
            slug=spec.slug,
            name=spec.name,
            kind=spec.kind,
            description=spec.description,
            settings_schema=spec.settings_schema,
            default_settings=spec.default_settings,
        )


class AlgorithmsRead(BaseModel):
    items: list[AlgorithmRead]


class AlgorithmWrite(BaseModel):
    model_config = ConfigDict(extra="forbid")

    algorithm: str = Field(min_length=1, max_length=50, description="A slug from GET /algorithms")
    enabled: StrictBool = Field(True, description="Whether the algorithm drives evaluation")
    settings: dict[str, Any] | None = Field(
        None, description="Numbers keyed by setting name; missing ones take their defaults"
    )


class AttachmentRead(BaseModel):
    id: str
    feature_id: str
    environment_id: str
    environment_key: str
    algorithm: str
    kind: str
    enabled: bool
    settings: dict[str, Any]
    current: bool
    created_by: str
    created_at: datetime
    updated_at: datetime
    detached_at: datetime | None

    @classmethod
    def of(cls, a: Attachment, environment_key: str) -> AttachmentRead:
        return cls(
            id=a.id,
            feature_id=a.feature_id,
            environment_id=a.environment_id,
            environment_key=environment_key,
            algorithm=a.algorithm,
            kind=get_spec(a.algorithm).kind,
            enabled=a.enabled,
            settings=a.settings,
            current=a.is_current,
            created_by=a.created_by,
            created_at=a.created_at,
            updated_at=a.updated_at,
            detached_at=a.detached_at,
        )


class HistoryItemRead(AttachmentRead):
    summary: dict[str, Any]


class HistoryRead(BaseModel):
    items: list[HistoryItemRead]


class VariantResultRead(BaseModel):
    variant: str
    evaluations: int
    successes: int
    failures: int
    errors: int
    reward_sum: float
    mean_reward: float | None
    rate: float | None
    interval: tuple[float, float] = Field(description="95 % Wilson interval of the rate")
    probability_best: float
    weight: float = Field(description="Current allocation share")

    @classmethod
    def of(cls, r: VariantResult) -> VariantResultRead:
        return cls(
            variant=r.variant,
            evaluations=r.evaluations,
            successes=r.successes,
            failures=r.failures,
            errors=r.errors,
            reward_sum=r.reward_sum,
            mean_reward=r.mean_reward,
            rate=r.rate,
            interval=r.interval,
            probability_best=r.probability_best,
            weight=r.weight,
        )


class SeriesPointRead(BaseModel):
    at: datetime
    variant: str
    evaluations: int
    successes: int
    failures: int
    errors: int
    reward_sum: float

    @classmethod
    def of(cls, p: SeriesPoint) -> SeriesPointRead:
        return cls(
            at=p.at,
            variant=p.variant,
            evaluations=p.evaluations,
            successes=p.successes,
            failures=p.failures,
            errors=p.errors,
            reward_sum=p.reward_sum,
        )


class SeriesRead(BaseModel):
    bucket: str
    since: datetime
    until: datetime
    points: list[SeriesPointRead]


class OptimizerRead(BaseModel):
    current_value: float | None
    best_value: float | None
    best_reward: float | None
    iteration: int | None


class ResultsRead(BaseModel):
    feature_id: str
    environment_key: str
    attachment: AttachmentRead
    kind: str
    source: Literal["live", "stored"]
    variants: list[VariantResultRead]
    summary: dict[str, Any]
    optimizer: OptimizerRead | None
    series: SeriesRead

    @classmethod
    def of(cls, r: Results) -> ResultsRead:
        env_key = r.target.environment.key
        return cls(
            feature_id=r.target.feature.id,
            environment_key=env_key,
            attachment=AttachmentRead.of(r.attachment, env_key),
            kind=r.kind,
            source="live" if r.live else "stored",
            variants=[VariantResultRead.of(v) for v in r.variants],
            summary=r.summary,
            optimizer=OptimizerRead(**r.optimizer) if r.optimizer is not None else None,
            series=SeriesRead(
                bucket=r.bucket,
                since=r.since,
                until=r.until,
                points=[SeriesPointRead.of(p) for p in r.series],
            ),
        )
