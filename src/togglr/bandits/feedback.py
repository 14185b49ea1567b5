"""How a tracked feedback event becomes an observation for an algorithm.

| event     | success | reward (value = the event's `reward` field)       | counted as     |
|-----------|---------|---------------------------------------------------|----------------|
| `success` | True    | value, or 1.0 when the value is 0 or missing      | success        |
| `failure` | False   | -abs(value), or 0.0 when the value is 0 or missing | failure        |
| `error`   | False   | -abs(value), or 0.0 when the value is 0 or missing | failure + error|

Bernoulli algorithms (epsilon-greedy, Thompson, UCB) learn from `success` only; continuous ones
(Gaussian Thompson, contextual bandits, optimizers) learn from `reward`. Mapping a bare
`success` to reward 1.0 fixes the original's quirk where a success with the SDK's default
reward 0 counted as a failure and taught the contextual models nothing.
"""

from __future__ import annotations

from dataclasses import dataclass

EVENT_TYPES = ("success", "failure", "error")


@dataclass(frozen=True, slots=True)
class Observation:
    """What `AlgorithmState.record` needs from one feedback event."""

    reward: float
    success: bool
    error: bool = False


def observation(event_type: str, value: float | None = None) -> Observation:
    """Map an SDK event type and its optional reward value to an observation."""
    magnitude = float(value) if value else 0.0
    if event_type == "success":
        return Observation(magnitude if magnitude else 1.0, True)
    if event_type == "failure":
        return Observation(-abs(magnitude), False)
    if event_type == "error":
        return Observation(-abs(magnitude), False, error=True)
    raise ValueError(
        f"unknown event type {event_type!r} (expected one of {', '.join(EVENT_TYPES)})"
    )
