"""The live hook: sticky choices, evaluation counting, feedback recording and batches."""

from __future__ import annotations

import random
from datetime import UTC, datetime

from togglr.bandits import create_state, load_state
from togglr.domain.experiments import Attachment
from togglr.domain.feedback import FeedbackEvent
from togglr.services.live_algorithm import LiveAlgorithm, arm_text, merge_rollups, minute_of

NOW = datetime(2026, 11, 29, 12, 30, 45, tzinfo=UTC)


def _live(slug: str = "thompson-sampling", **settings: float) -> LiveAlgorithm:
    attachment = Attachment("att", "p", "e", "f", slug, dict(settings), True, "me", NOW, NOW)
    state = create_state(slug, settings, ["a", "b"], now=NOW.timestamp())
    return LiveAlgorithm(attachment, state, 1, ("a", "b"), random.Random(7))


def _event(variant: str | None, event_type: str = "success", reward: float = 0.0) -> FeedbackEvent:
    return FeedbackEvent(
        "p", "e", "f", "k", None, variant, event_type, reward, None, None, NOW, NOW
    )


def test_a_unit_always_gets_the_same_variant_until_the_weights_change() -> None:
    live = _live()
    first = [live.choose({}, u / 100) for u in range(100)]
    assert [live.choose({}, u / 100) for u in range(100)] == first
    assert set(first) == {"a", "b"}
    assert live.evaluations == {"a": 100, "b": 100} and live.dirty


def test_feedback_is_recorded_with_its_journal_id_and_rollup() -> None:
    live = _live()
    live.record(_event("a", reward=2), 11)
    live.record(_event("b", "error", 3), 12)
    live.record(_event(None), 13)  # no variant: journaled and rolled up, not credited
    assert live.journal_ids == [11, 12, 13] and live.pending_events() == 3
    rows = {s.arm: s for s in live.state.statistics(random.Random(1))}
    assert (rows["a"].successes, rows["a"].reward_sum) == (1, 2.0)
    assert (rows["b"].failures, rows["b"].errors, rows["b"].reward_sum) == (1, 1, -3.0)
    minute = minute_of(NOW)
    assert dict(live.rollups) == {
        (minute, "a", "success"): [1, 2.0],
        (minute, "b", "error"): [1, -3.0],
        (minute, "", "success"): [1, 1.0],
    }


def test_take_moves_everything_into_one_batch_and_the_delta_merges() -> None:
    live = _live()
    live.choose({}, 0.1)
    live.record(_event("a"), 1)
    live.take(NOW)
    assert not live.dirty and live.evaluations == {} and live.journal_ids == []
    (batch,) = live.unflushed
    assert batch.journal_ids == [1]
    assert merge_rollups([batch.rollups]) == {
        (minute_of(NOW), "a", "success"): (1, 1.0),
        (minute_of(NOW), "a", "evaluation"): (1, 0.0),
    }
    shared = create_state("thompson-sampling", {}, ["a", "b"])
    shared.merge_delta(batch.delta)
    assert load_state(shared.to_json()).summary()["observations"] == 1


def test_optimizer_values_are_counted_as_served_text() -> None:
    live = _live("hill_climb", initial_value=10, step=1, decimals=0)
    served = {live.choose({}, u / 10) for u in range(10)}
    assert served == {10.0, 11.0}
    live.take(NOW)
    keys = {b[1] for b in live.unflushed[0].rollups}
    assert keys == {"10", "11"} and arm_text(0.5) == "0.5"
