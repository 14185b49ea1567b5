"""Governance tables: schedules, pending changes, auto-disable, notifications. Migration 0003."""

from __future__ import annotations

import sqlalchemy as sa

from togglr.storage.sql.tables import Id, Json, Ts, metadata


def _fk(target: str, ondelete: str = "CASCADE") -> sa.ForeignKey:
    return sa.ForeignKey(target, ondelete=ondelete)


feature_schedules = sa.Table(
    "feature_schedules",
    metadata,
    sa.Column("id", Id, primary_key=True),
    sa.Column("project_id", Id, _fk("projects.id"), nullable=False),
    sa.Column("feature_id", Id, _fk("features.id"), nullable=False),
    sa.Column("environment_id", Id, _fk("environments.id"), nullable=False),
    sa.Column("action", sa.String(10), nullable=False),
    sa.Column("starts_at", Ts),
    sa.Column("ends_at", Ts),
    sa.Column("cron", sa.String(255)),
    sa.Column("duration_seconds", sa.Integer),
    sa.Column("timezone", sa.String(50), nullable=False, server_default="UTC"),
    sa.Column("created_by", sa.String(255), nullable=False, server_default=""),
    sa.Column("created_at", Ts, nullable=False),
    sa.Column("updated_at", Ts, nullable=False),
    sa.Index("ix_feature_schedules_feature_id_environment_id", "feature_id", "environment_id"),
    sa.Index("ix_feature_schedules_environment_id", "environment_id"),
)

# One row per recorded on/off transition; the key makes recording idempotent across nodes.
schedule_transitions = sa.Table(
    "schedule_transitions",
    metadata,
    sa.Column("feature_id", Id, _fk("features.id"), primary_key=True),
    sa.Column("environment_id", Id, _fk("environments.id"), primary_key=True),
    sa.Column("at", Ts, primary_key=True),
    sa.Column("enabled", sa.Boolean, nullable=False),
    sa.Column("recorded_at", Ts, nullable=False),
)

# How far schedule transitions have been recorded (one row, the latest pass of any node). After a
# restart the runner resumes from here, so transitions that fell while no server ran are recorded.
scheduler_marks = sa.Table(
    "scheduler_marks",
    metadata,
    sa.Column("name", sa.String(40), primary_key=True),
    sa.Column("checked_until", Ts, nullable=False),
)

pending_changes = sa.Table(
    "pending_changes",
    metadata,
    sa.Column("id", Id, primary_key=True),
    sa.Column("project_id", Id, _fk("projects.id"), nullable=False),
    sa.Column("environment_id", Id, _fk("environments.id")),
    sa.Column("feature_id", Id),  # no FK: the history outlives a deleted feature
    sa.Column("feature_key", sa.String(50)),
    sa.Column("operation", sa.String(50), nullable=False),
    sa.Column("arguments", Json, nullable=False),
    sa.Column("diff", Json, nullable=False),
    sa.Column("summary", sa.String(500), nullable=False, server_default=""),
    sa.Column("origin", sa.String(20), nullable=False, server_default="user"),
    sa.Column("reason", sa.String(500), nullable=False, server_default=""),
    sa.Column("status", sa.String(10), nullable=False, server_default="pending"),
    sa.Column("requested_by", sa.String(255), nullable=False),
    sa.Column("requested_by_id", Id, _fk("users.id", "SET NULL")),
    sa.Column("request_id", sa.String(64)),
    sa.Column("created_at", Ts, nullable=False),
    sa.Column("updated_at", Ts, nullable=False),
    sa.Column("decided_at", Ts),
    sa.Column("decided_by", sa.String(255)),
    sa.Column("decided_by_id", Id, _fk("users.id", "SET NULL")),
    sa.Column("decision_reason", sa.String(500)),
    sa.Index("ix_pending_changes_project_id_status", "project_id", "status"),
    sa.Index("ix_pending_changes_feature_id", "feature_id"),
)

pending_change_approvals = sa.Table(
    "pending_change_approvals",
    metadata,
    sa.Column("pending_change_id", Id, _fk("pending_changes.id"), primary_key=True),
    sa.Column("user_id", Id, _fk("users.id"), primary_key=True),
    sa.Column("username", sa.String(255), nullable=False),
    sa.Column("method", sa.String(10), nullable=False),
    sa.Column("approved_at", Ts, nullable=False),
)

# A row per locked entity while its change is pending; the primary key is the lock.
change_locks = sa.Table(
    "change_locks",
    metadata,
    sa.Column("lock_key", sa.String(120), primary_key=True),
    sa.Column("pending_change_id", Id, _fk("pending_changes.id"), nullable=False),
    sa.Column("created_at", Ts, nullable=False),
    sa.Index("ix_change_locks_pending_change_id", "pending_change_id"),
)

auto_disable_events = sa.Table(
    "auto_disable_events",
    metadata,
    sa.Column("id", Id, primary_key=True),
    sa.Column("project_id", Id, _fk("projects.id"), nullable=False),
    sa.Column("environment_id", Id, _fk("environments.id"), nullable=False),
    sa.Column("feature_id", Id, _fk("features.id"), nullable=False),
    sa.Column("outcome", sa.String(10), nullable=False),  # disabled | pending
    sa.Column("pending_change_id", Id, _fk("pending_changes.id", "SET NULL")),
    sa.Column("reason", sa.String(500), nullable=False),
    sa.Column("errors", sa.Integer, nullable=False),
    sa.Column("created_at", Ts, nullable=False),
    sa.Index("ix_auto_disable_events_feature_id_environment_id", "feature_id", "environment_id"),
    sa.Index("ix_auto_disable_events_project_id_created_at", "project_id", "created_at"),
)

notification_channels = sa.Table(
    "notification_channels",
    metadata,
    sa.Column("id", Id, primary_key=True),
    sa.Column("project_id", Id, _fk("projects.id"), nullable=False),
    sa.Column("environment_id", Id, _fk("environments.id")),
    sa.Column("name", sa.String(100), nullable=False),
    sa.Column("type", sa.String(20), nullable=False),
    sa.Column("config", Json, nullable=False),
    sa.Column("triggers", Json, nullable=False),
    sa.Column("enabled", sa.Boolean, nullable=False, server_default=sa.true()),
    sa.Column("created_at", Ts, nullable=False),
    sa.Column("updated_at", Ts, nullable=False),
    sa.Index("ix_notification_channels_project_id", "project_id"),
)

notification_outbox = sa.Table(
    "notification_outbox",
    metadata,
    sa.Column("id", Id, primary_key=True),
    sa.Column("channel_id", Id, _fk("notification_channels.id"), nullable=False),
    sa.Column("project_id", Id, nullable=False),
    sa.Column("trigger", sa.String(30), nullable=False),
    sa.Column("payload", Json, nullable=False),
    sa.Column("dedup_key", sa.String(100), nullable=False),
    sa.Column("status", sa.String(10), nullable=False, server_default="pending"),
    sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
    sa.Column("next_attempt_at", Ts),
    sa.Column("locked_until", Ts),
    sa.Column("last_error", sa.String(500)),
    sa.Column("created_at", Ts, nullable=False),
    sa.Column("sent_at", Ts),
    sa.UniqueConstraint("channel_id", "dedup_key"),
    sa.Index("ix_notification_outbox_status_next_attempt_at", "status", "next_attempt_at"),
)

user_notifications = sa.Table(
    "user_notifications",
    metadata,
    sa.Column("id", Id, primary_key=True),
    sa.Column("user_id", Id, _fk("users.id"), nullable=False),
    sa.Column("project_id", Id, _fk("projects.id")),
    sa.Column("type", sa.String(30), nullable=False),
    sa.Column("title", sa.String(200), nullable=False),
    sa.Column("body", sa.String(1000), nullable=False, server_default=""),
    sa.Column("data", Json, nullable=False),
    sa.Column("dedup_key", sa.String(100), nullable=False),
    sa.Column("created_at", Ts, nullable=False),
    sa.Column("read_at", Ts),
    sa.UniqueConstraint("user_id", "dedup_key"),
    sa.Index("ix_user_notifications_user_id_created_at", "user_id", "created_at"),
)
