"""Micro-benchmark of `togglr.evaluation.evaluate` (in-process, no I/O).

Run: .venv/bin/python bench/engine.py [--number N] [--repeat R]

The flag has 3 rules (exclude, assign, include) and 2 variants split 50/50. Each scenario
prints the best µs per evaluation over R repeats of N calls, and its ratio to a baseline of a
trivial dict look-up function timed in the same process, so the figure travels across machines.
"""

from __future__ import annotations

import argparse
import timeit
from collections.abc import Callable, Mapping
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

from togglr.evaluation import evaluate, snapshot_from_json

SNAPSHOT = snapshot_from_json(
    {
        "feature_key": "checkout-redesign",
        "kind": "multivariant",
        "rollout_key": "user.id",
        "enabled": True,
        "default_value": "off",
        "variants": [
            {"name": "control", "rollout_percent": 50},
            {"name": "treatment", "rollout_percent": 50},
        ],
        "rules": [
            {
                "id": "block-embargoed",
                "action": "exclude",
                "priority": 1,
                "expression": {
                    "condition": {"attribute": "country", "operator": "in", "value": ["KP", "IR"]}
                },
            },
            {
                "id": "staff-get-treatment",
                "action": "assign",
                "priority": 2,
                "variant": "treatment",
                "expression": {
                    "group": {
                        "operator": "and",
                        "children": [
                            {
                                "condition": {
                                    "attribute": "email",
                                    "operator": "ends_with",
                                    "value": "@togglr.dev",
                                }
                            },
                            {
                                "condition": {
                                    "attribute": "app_version",
                                    "operator": "semver_gte",
                                    "value": "2.4.0",
                                }
                            },
                        ],
                    }
                },
            },
            {
                "id": "paying-plans",
                "action": "include",
                "priority": 3,
                "expression": {
                    "condition": {
                        "attribute": "plan",
                        "operator": "in",
                        "value": ["pro", "enterprise"],
                    }
                },
            },
        ],
    }
)
# one include rule with a regular expression: the cost of the regex operator on its own
REGEX_SNAPSHOT = snapshot_from_json(
    {
        "feature_key": "staff-preview",
        "kind": "simple",
        "enabled": True,
        "default_value": "on",
        "rules": [
            {
                "id": "staff-emails",
                "action": "include",
                "priority": 1,
                "expression": {
                    "condition": {
                        "attribute": "email",
                        "operator": "regex",
                        "value": "@(togglr|example)\\.(dev|com)$",
                    }
                },
            }
        ],
    }
)
NOW = datetime(2025, 6, 1, tzinfo=UTC)
# passes every rule check and ends in the split: the longest common path
CONTEXT = {
    "user.id": "user-48151623",
    "country": "NL",
    "email": "ada@example.com",
    "app_version": "2.5.1",
    "plan": "pro",
}
NESTED = {**{k: v for k, v in CONTEXT.items() if k != "user.id"}, "user": {"id": "user-48151623"}}
# no rollout_key: the split reads the default attributes, and user_id is the last one tried
UNKEYED = replace(SNAPSHOT, rollout_key=None)
SNAKE = {**{k: v for k, v in CONTEXT.items() if k != "user.id"}, "user_id": "user-48151623"}
FLAGS = {"checkout-redesign": "treatment"}


def baseline(context: Mapping[str, Any]) -> str | None:
    """The trivial function every figure is compared with: one dict look-up."""
    return FLAGS.get("checkout-redesign")


def best_us(call: Callable[[], object], number: int, repeat: int) -> float:
    return min(timeit.repeat(call, number=number, repeat=repeat)) / number * 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--number", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()

    scenarios: dict[str, Callable[[], object]] = {
        "baseline (dict look-up)": lambda: baseline(CONTEXT),
        "evaluate: 3 rules checked, split": lambda: evaluate(SNAPSHOT, CONTEXT, NOW),
        "evaluate: nested user.id, split": lambda: evaluate(SNAPSHOT, NESTED, NOW),
        "evaluate: no rollout_key, user_id": lambda: evaluate(UNKEYED, SNAKE, NOW),
        "evaluate: excluded by rule 1": lambda: evaluate(SNAPSHOT, {"country": "IR"}, NOW),
        "evaluate: explain=True, split": lambda: evaluate(SNAPSHOT, CONTEXT, NOW, explain=True),
        "evaluate: 1 regex rule": lambda: evaluate(REGEX_SNAPSHOT, CONTEXT, NOW),
    }
    evaluate(SNAPSHOT, CONTEXT, NOW)  # compile once, outside the timings
    evaluate(REGEX_SNAPSHOT, CONTEXT, NOW)
    evaluate(UNKEYED, SNAKE, NOW)
    timings = {name: best_us(call, args.number, args.repeat) for name, call in scenarios.items()}
    base = timings["baseline (dict look-up)"]
    print(f"{'scenario':<36} {'µs/eval':>9} {'× baseline':>11}")
    for name, micros in timings.items():
        print(f"{name:<36} {micros:>9.3f} {micros / base:>11.1f}")


if __name__ == "__main__":
    main()
