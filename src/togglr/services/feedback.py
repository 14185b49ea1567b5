"""SDK feedback (track) and error reports: validated, then stored durably before we answer."""

from __future__ import annotations

import math
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from togglr.domain.errors import InvalidInputError
from togglr.domain.events import FEEDBACK_RECORDED, DomainEvent
from togglr.domain.feedback import FeedbackEvent
from togglr.evaluation.snapshot import FlagSnapshot
from togglr.eventbus import EventBus
from togglr.services.common import Clock
from togglr.services.snapshots import EnvironmentSnapshot

EVENT_TYPES = ("success", "failure", "error")
MAX_CONTEXT_BYTES = 16_384

# Called after an error report is stored: (env, flag) -> None. Auto-disable plugs in here.
ErrorListener = Callable[[EnvironmentSnapshot, FlagSnapshot], Awaitable[None]]
# Called inside the transaction that stored a new (not duplicate) feedback event, so whatever it
# writes commits or rolls back with the event; returns a callback to run after the commit, or
# None. The experiments capability journals the event here and feeds its live state after commit.
FeedbackListener = Callable[
    [Any, EnvironmentSnapshot, FlagSnapshot, FeedbackEvent], Awaitable[Callable[[], None] | None]
]


@dataclass(frozen=True, slots=True)
class TrackEvent:
    event_type: str
    variant_key: str | None
    reward: float
    context: dict[str, Any] | None
    created_at: datetime | None
    dedup_key: str | None


def parse_track(body: Any) -> TrackEvent:
    """Validate a TrackRequest body; raise InvalidInputError with the field at fault."""
    if not isinstance(body, dict):
        raise InvalidInputError("body: expected a JSON object")
    event_type = body.get("event_type")
    if event_type not in EVENT_TYPES:
        raise InvalidInputError("event_type: must be one of success, failure, error")
    variant = body.get("variant_key")
    if variant is not None and (not isinstance(variant, str) or len(variant) > 128):
        raise InvalidInputError("variant_key: a string of at most 128 characters")
    if variant == "":
        # What evaluate serves for a disabled or excluded flag; the SDKs always send the field.
        variant = None
    reward = body.get("reward", 0)
    if reward is None:
        reward = 0
    if (
        isinstance(reward, bool)
        or not isinstance(reward, int | float)
        or not math.isfinite(float(reward))
    ):
        raise InvalidInputError("reward: must be a finite number")
    context = body.get("context")
    if context is not None and not isinstance(context, dict):
        raise InvalidInputError("context: must be an object")
    dedup = body.get("dedup_key")
    if dedup is not None and (not isinstance(dedup, str) or not 0 < len(dedup) <= 200):
        raise InvalidInputError("dedup_key: a string of 1-200 characters")
    created = body.get("created_at")
    created_at = None
    if created is not None:
        if not isinstance(created, str):
            raise InvalidInputError("created_at: an RFC 3339 date-time")
        try:
            created_at = datetime.fromisoformat(created.replace("Z", "+00:00"))
        except ValueError:
            raise InvalidInputError("created_at: an RFC 3339 date-time") from None
        if created_at.tzinfo is None:
            raise InvalidInputError("created_at: needs a time zone offset")
    return TrackEvent(event_type, variant, float(reward), context, created_at, dedup)


@dataclass(frozen=True, slots=True)
class ErrorReport:
    error_type: str
    error_message: str
    context: dict[str, Any] | None


def parse_error_report(body: Any) -> ErrorReport:
    if not isinstance(body, dict):
        raise InvalidInputError("body: expected a JSON object")
    error_type = body.get("error_type")
    message = body.get("error_message")
    if not isinstance(error_type, str) or not 0 < len(error_type) <= 100:
        raise InvalidInputError("error_type: required, a string of 1-100 characters")
    if not isinstance(message, str) or not message:
        raise InvalidInputError("error_message: required, a non-empty string")
    context = body.get("context")
    if context is not None and not isinstance(context, dict):
        raise InvalidInputError("context: must be an object")
    return ErrorReport(error_type, message[:10_000], context)


class FeedbackService:
    def __init__(self, storage: Any, bus: EventBus, clock: Clock) -> None:
        self._storage = storage
        self._bus = bus
        self._now = clock
        self._error_listeners: list[ErrorListener] = []
        self._feedback_listeners: list[FeedbackListener] = []

    def add_error_listener(self, listener: ErrorListener) -> None:
        self._error_listeners.append(listener)

    def add_feedback_listener(self, listener: FeedbackListener) -> None:
        self._feedback_listeners.append(listener)

    async def track(self, env: EnvironmentSnapshot, flag: FlagSnapshot, event: TrackEvent) -> bool:
        """Store one feedback event; returns False when its dedup_key was already seen."""
        known = {v.name for v in flag.variants}
        if (
            event.variant_key is not None
            and flag.kind == "multivariant"
            and event.variant_key not in known
        ):
            raise InvalidInputError(
                f"variant_key: {event.variant_key!r} is not a variant of {flag.feature_key}",
                code="unknown_variant",
            )
        now = self._now()
        row = FeedbackEvent(
            project_id=env.project_id,
            environment_id=env.environment_id,
            feature_id=flag.feature_id,
            feature_key=flag.feature_key,
            algorithm_slug=flag.algorithm,
            variant_key=event.variant_key,
            event_type=event.event_type,
            reward=event.reward,
            context=event.context,
            dedup_key=event.dedup_key,
            created_at=event.created_at or now,
            received_at=now,
        )
        after: list[Callable[[], None]] = []
        async with self._storage.unit_of_work() as uow:
            (inserted,) = await uow.events.add_feedback([row])
            if inserted:
                for listener in self._feedback_listeners:
                    done = await listener(uow, env, flag, row)
                    if done is not None:
                        after.append(done)
        for done in after:
            done()
        if inserted:
            await self._bus.publish(
                DomainEvent(
                    FEEDBACK_RECORDED,
                    project_id=env.project_id,
                    environment_id=env.environment_id,
                    feature_id=flag.feature_id,
                    payload={
                        "variant_key": event.variant_key,
                        "event_type": event.event_type,
                        "reward": event.reward,
                        "context": event.context or {},
                    },
                )
            )
        return bool(inserted)

    async def report_error(
        self, env: EnvironmentSnapshot, flag: FlagSnapshot, report: ErrorReport
    ) -> None:
        async with self._storage.unit_of_work() as uow:
            await uow.events.add_error_report(
                project_id=env.project_id,
                environment_id=env.environment_id,
                feature_id=flag.feature_id,
                error_type=report.error_type,
                error_message=report.error_message,
                context=report.context,
                created_at=self._now(),
            )
        for listener in self._error_listeners:
            await listener(env, flag)

    async def health(
        self, env: EnvironmentSnapshot, flag: FlagSnapshot, window_sec: int, threshold: int
    ) -> dict[str, Any]:
        now = self._now()
        async with self._storage.unit_of_work() as uow:
            recent = await uow.events.count_errors(
                flag.feature_id, env.environment_id, now - timedelta(seconds=window_sec)
            )
            last = await uow.events.last_error_at(flag.feature_id, env.environment_id)
        return with_last_error_at(
            {
                "feature_key": flag.feature_key,
                "environment_key": env.environment_key,
                "enabled": flag.enabled,
                "auto_disabled": not flag.enabled,
                "error_rate": recent / window_sec if window_sec else 0.0,
                "errors_in_window": recent,
                "window_sec": window_sec,
                "threshold": threshold,
            },
            last,
        )


def with_last_error_at(body: dict[str, Any], last: datetime | None) -> dict[str, Any]:
    """The SDK health body with `last_error_at` added only when there was an error.

    Left out otherwise, as the original server did: the Go SDK's generated client cannot decode
    `"last_error_at": null` (its field is an optional date-time, not a nullable one).
    """
    if last is not None:
        body["last_error_at"] = last.isoformat().replace("+00:00", "Z")
    return body
