"""Pending-change rules: diffs, locks, who approves, what is guarded."""

from __future__ import annotations

from togglr.domain.accounts import Principal
from togglr.domain.changes import (
    ApprovalPolicy,
    EntityChange,
    ProposedChange,
    conflict_keys,
    diff_fields,
    diff_items,
    is_approver,
    is_guarded,
    lock_keys,
)


def _principal(
    role: str | None, *, superuser: bool = False, user_id: str | None = "u1"
) -> Principal:
    return Principal(user_id, "someone", superuser, {"p": role} if role else {})


def test_diff_fields_keeps_only_changed_fields() -> None:
    assert diff_fields({"a": 1, "b": 2}, {"a": 1, "b": 3, "c": None}) == {"b": {"old": 2, "new": 3}}
    assert diff_fields({"x": None}, {}) == {}


def test_diff_items_reports_create_update_delete() -> None:
    old = {"blue": {"rollout_percent": 50}, "red": {"rollout_percent": 50}}
    new = {"blue": {"rollout_percent": 60}, "green": {"rollout_percent": 40}}
    changes = {
        (c.entity_id, c.action): c.changes
        for c in diff_items("variant", old, new, label="variant ")
    }
    assert changes == {
        ("blue", "update"): {"rollout_percent": {"old": 50, "new": 60}},
        ("green", "create"): {"rollout_percent": {"old": None, "new": 40}},
        ("red", "delete"): {"rollout_percent": {"old": 50, "new": None}},
    }


def test_locks_scope_and_conflicts() -> None:
    assert lock_keys("f", "e") == ("feature:f:env:e",)
    assert lock_keys("f", None) == ("feature:f",)
    assert lock_keys("f", None, exclusive=True) == ("feature:f:all",)
    # An environment change is blocked by its own lock or a pending delete, not by other envs.
    assert conflict_keys("f", "e") == (("feature:f:env:e", "feature:f:all"), None)
    # A delete is blocked by any lock of the feature.
    assert conflict_keys("f", None, exclusive=True) == ((), "feature:f")


def test_empty_proposals_need_no_approval() -> None:
    noop = ProposedChange(
        "p", "e", "f", "feature.toggle", {}, (EntityChange("feature_state", "x", "update", {}),), ""
    )
    assert noop.is_empty
    delete = ProposedChange(
        "p", None, "f", "feature.delete", {}, (EntityChange("feature", "f", "delete", {}),), ""
    )
    assert not delete.is_empty


def test_approvers_are_owners_and_managers_or_the_configured_list() -> None:
    policy = ApprovalPolicy()
    assert is_approver(_principal("owner"), "p", policy)
    assert is_approver(_principal("manager"), "p", policy)
    assert not is_approver(_principal("member"), "p", policy)
    assert not is_approver(_principal(None), "p", policy)
    assert is_approver(_principal(None, superuser=True), "p", policy)
    assert not is_approver(_principal("owner", user_id=None), "p", policy)
    listed = ApprovalPolicy(approver_ids=frozenset({"u1"}))
    assert is_approver(_principal("viewer"), "p", listed)
    assert not is_approver(Principal("u2", "other", False, {"p": "owner"}), "p", listed)


def test_guarded_by_tag_environment_or_project() -> None:
    assert is_guarded(["guarded"], environment_requires_approval=False, policy=ApprovalPolicy())
    assert is_guarded([], environment_requires_approval=True, policy=ApprovalPolicy())
    assert is_guarded(
        [], environment_requires_approval=False, policy=ApprovalPolicy(requires_approval=True)
    )
    assert not is_guarded(
        ["critical"], environment_requires_approval=False, policy=ApprovalPolicy()
    )
