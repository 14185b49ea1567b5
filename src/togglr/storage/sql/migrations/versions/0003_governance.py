"""governance: schedules, pending changes, auto-disable, notifications

Revision ID: 0003_governance
Revises: 0001
Create Date: 2026-11-28
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0003_governance"
down_revision = "0001"
branch_labels = ("governance",)
depends_on = None

ID = sa.String(length=36)
TS = sa.DateTime(timezone=True)
JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")


def _fk(table: str, column: str, target: str, ondelete: str = "CASCADE") -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        [column], [f"{target}.id"], name=op.f(f"fk_{table}_{column}_{target}"), ondelete=ondelete
    )


def upgrade() -> None:
    op.create_table(
        "feature_schedules",
        sa.Column("id", ID, nullable=False),
        sa.Column("project_id", ID, nullable=False),
        sa.Column("feature_id", ID, nullable=False),
        sa.Column("environment_id", ID, nullable=False),
        sa.Column("action", sa.String(length=10), nullable=False),
        sa.Column("starts_at", TS, nullable=True),
        sa.Column("ends_at", TS, nullable=True),
        sa.Column("cron", sa.String(length=255), nullable=True),
        sa.Column("duration_seconds", sa.Integer(), nullable=True),
        sa.Column("timezone", sa.String(length=50), server_default="UTC", nullable=False),
        sa.Column("created_by", sa.String(length=255), server_default="", nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("updated_at", TS, nullable=False),
        _fk("feature_schedules", "project_id", "projects"),
        _fk("feature_schedules", "feature_id", "features"),
        _fk("feature_schedules", "environment_id", "environments"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_feature_schedules")),
    )
    op.create_index(
        "ix_feature_schedules_feature_id_environment_id",
        "feature_schedules",
        ["feature_id", "environment_id"],
    )
    op.create_index("ix_feature_schedules_environment_id", "feature_schedules", ["environment_id"])

    op.create_table(
        "schedule_transitions",
        sa.Column("feature_id", ID, nullable=False),
        sa.Column("environment_id", ID, nullable=False),
        sa.Column("at", TS, nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("recorded_at", TS, nullable=False),
        _fk("schedule_transitions", "feature_id", "features"),
        _fk("schedule_transitions", "environment_id", "environments"),
        sa.PrimaryKeyConstraint(
            "feature_id", "environment_id", "at", name=op.f("pk_schedule_transitions")
        ),
    )

    op.create_table(
        "pending_changes",
        sa.Column("id", ID, nullable=False),
        sa.Column("project_id", ID, nullable=False),
        sa.Column("environment_id", ID, nullable=True),
        sa.Column("feature_id", ID, nullable=True),
        sa.Column("feature_key", sa.String(length=50), nullable=True),
        sa.Column("operation", sa.String(length=50), nullable=False),
        sa.Column("arguments", JSON, nullable=False),
        sa.Column("diff", JSON, nullable=False),
        sa.Column("summary", sa.String(length=500), server_default="", nullable=False),
        sa.Column("origin", sa.String(length=20), server_default="user", nullable=False),
        sa.Column("reason", sa.String(length=500), server_default="", nullable=False),
        sa.Column("status", sa.String(length=10), server_default="pending", nullable=False),
        sa.Column("requested_by", sa.String(length=255), nullable=False),
        sa.Column("requested_by_id", ID, nullable=True),
        sa.Column("request_id", sa.String(length=64), nullable=True),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("updated_at", TS, nullable=False),
        sa.Column("decided_at", TS, nullable=True),
        sa.Column("decided_by", sa.String(length=255), nullable=True),
        sa.Column("decided_by_id", ID, nullable=True),
        sa.Column("decision_reason", sa.String(length=500), nullable=True),
        _fk("pending_changes", "project_id", "projects"),
        _fk("pending_changes", "environment_id", "environments"),
        _fk("pending_changes", "requested_by_id", "users", "SET NULL"),
        _fk("pending_changes", "decided_by_id", "users", "SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pending_changes")),
    )
    op.create_index(
        "ix_pending_changes_project_id_status", "pending_changes", ["project_id", "status"]
    )
    op.create_index("ix_pending_changes_feature_id", "pending_changes", ["feature_id"])

    op.create_table(
        "pending_change_approvals",
        sa.Column("pending_change_id", ID, nullable=False),
        sa.Column("user_id", ID, nullable=False),
        sa.Column("username", sa.String(length=255), nullable=False),
        sa.Column("method", sa.String(length=10), nullable=False),
        sa.Column("approved_at", TS, nullable=False),
        _fk("pending_change_approvals", "pending_change_id", "pending_changes"),
        _fk("pending_change_approvals", "user_id", "users"),
        sa.PrimaryKeyConstraint(
            "pending_change_id", "user_id", name=op.f("pk_pending_change_approvals")
        ),
    )

    op.create_table(
        "change_locks",
        sa.Column("lock_key", sa.String(length=120), nullable=False),
        sa.Column("pending_change_id", ID, nullable=False),
        sa.Column("created_at", TS, nullable=False),
        _fk("change_locks", "pending_change_id", "pending_changes"),
        sa.PrimaryKeyConstraint("lock_key", name=op.f("pk_change_locks")),
    )
    op.create_index("ix_change_locks_pending_change_id", "change_locks", ["pending_change_id"])

    op.create_table(
        "auto_disable_events",
        sa.Column("id", ID, nullable=False),
        sa.Column("project_id", ID, nullable=False),
        sa.Column("environment_id", ID, nullable=False),
        sa.Column("feature_id", ID, nullable=False),
        sa.Column("outcome", sa.String(length=10), nullable=False),
        sa.Column("pending_change_id", ID, nullable=True),
        sa.Column("reason", sa.String(length=500), nullable=False),
        sa.Column("errors", sa.Integer(), nullable=False),
        sa.Column("created_at", TS, nullable=False),
        _fk("auto_disable_events", "project_id", "projects"),
        _fk("auto_disable_events", "environment_id", "environments"),
        _fk("auto_disable_events", "feature_id", "features"),
        _fk("auto_disable_events", "pending_change_id", "pending_changes", "SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_auto_disable_events")),
    )
    op.create_index(
        "ix_auto_disable_events_feature_id_environment_id",
        "auto_disable_events",
        ["feature_id", "environment_id"],
    )
    op.create_index(
        "ix_auto_disable_events_project_id_created_at",
        "auto_disable_events",
        ["project_id", "created_at"],
    )

    op.create_table(
        "notification_channels",
        sa.Column("id", ID, nullable=False),
        sa.Column("project_id", ID, nullable=False),
        sa.Column("environment_id", ID, nullable=True),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("type", sa.String(length=20), nullable=False),
        sa.Column("config", JSON, nullable=False),
        sa.Column("triggers", JSON, nullable=False),
        sa.Column("enabled", sa.Boolean(), server_default=sa.true(), nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("updated_at", TS, nullable=False),
        _fk("notification_channels", "project_id", "projects"),
        _fk("notification_channels", "environment_id", "environments"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notification_channels")),
    )
    op.create_index("ix_notification_channels_project_id", "notification_channels", ["project_id"])

    op.create_table(
        "notification_outbox",
        sa.Column("id", ID, nullable=False),
        sa.Column("channel_id", ID, nullable=False),
        sa.Column("project_id", ID, nullable=False),
        sa.Column("trigger", sa.String(length=30), nullable=False),
        sa.Column("payload", JSON, nullable=False),
        sa.Column("dedup_key", sa.String(length=100), nullable=False),
        sa.Column("status", sa.String(length=10), server_default="pending", nullable=False),
        sa.Column("attempts", sa.Integer(), server_default="0", nullable=False),
        sa.Column("next_attempt_at", TS, nullable=True),
        sa.Column("locked_until", TS, nullable=True),
        sa.Column("last_error", sa.String(length=500), nullable=True),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("sent_at", TS, nullable=True),
        _fk("notification_outbox", "channel_id", "notification_channels"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notification_outbox")),
        sa.UniqueConstraint(
            "channel_id", "dedup_key", name=op.f("uq_notification_outbox_channel_id_dedup_key")
        ),
    )
    op.create_index(
        "ix_notification_outbox_status_next_attempt_at",
        "notification_outbox",
        ["status", "next_attempt_at"],
    )

    op.create_table(
        "user_notifications",
        sa.Column("id", ID, nullable=False),
        sa.Column("user_id", ID, nullable=False),
        sa.Column("project_id", ID, nullable=True),
        sa.Column("type", sa.String(length=30), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("body", sa.String(length=1000), server_default="", nullable=False),
        sa.Column("data", JSON, nullable=False),
        sa.Column("dedup_key", sa.String(length=100), nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("read_at", TS, nullable=True),
        _fk("user_notifications", "user_id", "users"),
        _fk("user_notifications", "project_id", "projects"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_user_notifications")),
        sa.UniqueConstraint(
            "user_id", "dedup_key", name=op.f("uq_user_notifications_user_id_dedup_key")
        ),
    )
    op.create_index(
        "ix_user_notifications_user_id_created_at", "user_notifications", ["user_id", "created_at"]
    )


def downgrade() -> None:
    op.drop_index("ix_user_notifications_user_id_created_at", table_name="user_notifications")
    op.drop_table("user_notifications")
    op.drop_index("ix_notification_outbox_status_next_attempt_at", table_name="notification_outbox")
    op.drop_table("notification_outbox")
    op.drop_index("ix_notification_channels_project_id", table_name="notification_channels")
    op.drop_table("notification_channels")
    op.drop_index("ix_auto_disable_events_project_id_created_at", table_name="auto_disable_events")
    op.drop_index(
        "ix_auto_disable_events_feature_id_environment_id", table_name="auto_disable_events"
    )
    op.drop_table("auto_disable_events")
    op.drop_index("ix_change_locks_pending_change_id", table_name="change_locks")
    op.drop_table("change_locks")
    op.drop_table("pending_change_approvals")
    op.drop_index("ix_pending_changes_feature_id", table_name="pending_changes")
    op.drop_index("ix_pending_changes_project_id_status", table_name="pending_changes")
    op.drop_table("pending_changes")
    op.drop_table("schedule_transitions")
    op.drop_index("ix_feature_schedules_environment_id", table_name="feature_schedules")
    op.drop_index("ix_feature_schedules_feature_id_environment_id", table_name="feature_schedules")
    op.drop_table("feature_schedules")
