"""The pure evaluation engine: snapshot + context + now → Decision. Standard library only."""

from togglr.evaluation.conditions import Predicate, compile_expression, lookup, matches
from togglr.evaluation.engine import evaluate, prepare
from togglr.evaluation.operators import apply, compile_test, semver_key, to_number
from togglr.evaluation.rollout import (
    BUCKETS,
    basis_points,
    bucket,
    format_number,
    pick_variant,
    position,
    split_layout,
    stable_hash,
    string_form,
    unit,
)
from togglr.evaluation.snapshot import (
    AlgorithmHook,
    Decision,
    FeatureKind,
    FlagSnapshot,
    Reason,
    RuleSpec,
    ScheduleSpec,
    TraceStep,
    VariantSpec,
    snapshot_from_json,
    snapshot_to_json,
)

__all__ = [
    "BUCKETS",
    "AlgorithmHook",
    "Decision",
    "FeatureKind",
    "FlagSnapshot",
    "Predicate",
    "Reason",
    "RuleSpec",
    "ScheduleSpec",
    "TraceStep",
    "VariantSpec",
    "apply",
    "basis_points",
    "bucket",
    "compile_expression",
    "compile_test",
    "evaluate",
    "format_number",
    "lookup",
    "matches",
    "pick_variant",
    "position",
    "prepare",
    "semver_key",
    "snapshot_from_json",
    "snapshot_to_json",
    "split_layout",
    "stable_hash",
    "string_form",
    "to_number",
    "unit",
]
