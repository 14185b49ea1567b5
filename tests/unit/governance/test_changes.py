"""Pending-change rules: diffs, locks, who approves, what is guarded."""

from __future__ import annotations

from dataclasses import replace

from togglr.domain.accounts import Principal
from togglr.domain.changes import (
    ApprovalPolicy,
    EntityChange,
    GuardFacts,
    GuardSettings,
    ProposedChange,
    conflict_keys,
    diff_fields,
    diff_items,
    is_approver,
    is_guarded,
    lock_keys,
    needs_approval,
    weakens,
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
    # A listed user approves only while their role may approve (issue 10: a listed viewer did).
    assert is_approver(_principal("manager"), "p", listed)
    assert not is_approver(_principal("viewer"), "p", listed)
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


def _guard(**changes: object) -> GuardSettings:
    base = GuardSettings(
        requires_approval=True,
        required_approvals=2,
        approver_ids=frozenset({"u1"}),
        guarded_environments=frozenset({"prod"}),
    )
    return replace(base, **changes)  # type: ignore[arg-type]


def test_weakening_the_guard_is_any_loosening_or_another_approver_list() -> None:
    before = _guard()
    assert not weakens(before, before)
    assert not weakens(before, _guard(required_approvals=3))
    assert not weakens(before, _guard(guarded_environments=frozenset({"prod", "dev"})))
    assert weakens(before, _guard(requires_approval=False))
    assert weakens(before, _guard(required_approvals=1))
    assert weakens(before, _guard(guarded_environments=frozenset()))
    assert weakens(before, _guard(approver_ids=frozenset({"u1", "u2"})))
    assert weakens(before, _guard(approver_ids=frozenset()))
    assert not weakens(_guard(requires_approval=False), before)


def _proposal(scope: str, **fields: object) -> ProposedChange:
    base = ProposedChange("p", None, None, "op", {}, (), "", scope=scope)  # type: ignore[arg-type]
    return replace(base, **fields)  # type: ignore[arg-type]


def test_needs_approval_covers_features_the_guard_and_containers() -> None:
    open_project = GuardFacts(
        _guard(requires_approval=False, guarded_environments=frozenset()), (), False
    )
    tagged = replace(open_project, has_tagged_features=True)
    prod_guarded = GuardFacts(_guard(requires_approval=False), (), False)
    loosened = _guard(requires_approval=False, required_approvals=1)
    # features: tag, environment, project
    assert not needs_approval(_proposal("feature", environment_id="prod"), open_project)
    assert needs_approval(
        _proposal("feature", environment_id="dev"), replace(open_project, feature_tags=("guarded",))
    )
    assert needs_approval(_proposal("feature", environment_id="prod"), prod_guarded)
    assert not needs_approval(_proposal("feature", environment_id="dev"), prod_guarded)
    assert needs_approval(_proposal("feature"), prod_guarded)  # feature-wide
    # the guard itself: weakening needs approval once anything is guarded
    assert needs_approval(_proposal("guard", guard_after=loosened), tagged)
    assert not needs_approval(_proposal("guard", guard_after=loosened), open_project)
    assert not needs_approval(_proposal("guard", guard_after=_guard(required_approvals=5)), tagged)
    # removing containers
    assert needs_approval(_proposal("environment", environment_id="prod"), prod_guarded)
    assert needs_approval(_proposal("environment", environment_id="dev"), tagged)
    assert not needs_approval(_proposal("environment", environment_id="dev"), open_project)
    assert needs_approval(_proposal("project"), prod_guarded)
    assert not needs_approval(_proposal("project"), open_project)
