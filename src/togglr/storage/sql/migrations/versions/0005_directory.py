"""directory: LDAP configuration and sync runs, SSO providers, relay states, external identities

Revision ID: 0005_directory
Revises: 0001
Create Date: 2026-11-28
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0005_directory"
down_revision = "0001"
branch_labels = ("directory",)
depends_on = None

Id = sa.String(length=36)
Json = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")
Ts = sa.DateTime(timezone=True)
BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def _count(name: str) -> sa.Column[int]:
    return sa.Column(name, sa.Integer(), server_default="0", nullable=False)


def upgrade() -> None:
    op.create_table(
        "ldap_config",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("config", Json, nullable=False),
        sa.Column("bind_password", sa.Text(), nullable=True),
        sa.Column("updated_at", Ts, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_ldap_config"),
    )
    op.create_table(
        "ldap_sync_runs",
        sa.Column("id", Id, nullable=False),
        sa.Column("trigger", sa.String(length=10), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("running_slot", sa.Integer(), nullable=True),
        sa.Column("started_by", sa.String(length=255), nullable=False),
        sa.Column("started_at", Ts, nullable=False),
        sa.Column("heartbeat_at", Ts, nullable=False),
        sa.Column("finished_at", Ts, nullable=True),
        _count("total"),
        _count("processed"),
        _count("created"),
        _count("updated"),
        _count("reactivated"),
        _count("deactivated"),
        _count("skipped"),
        _count("errors"),
        sa.Column("message", sa.String(length=1000), server_default="", nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_ldap_sync_runs"),
        sa.UniqueConstraint("running_slot", name="uq_ldap_sync_runs_running_slot"),
    )
    op.create_index("ix_ldap_sync_runs_started_at", "ldap_sync_runs", ["started_at"])
    op.create_table(
        "ldap_sync_logs",
        sa.Column("id", BigId, autoincrement=True, nullable=False),
        sa.Column("run_id", Id, nullable=False),
        sa.Column("level", sa.String(length=10), nullable=False),
        sa.Column("username", sa.String(length=255), nullable=True),
        sa.Column("message", sa.String(length=1000), nullable=False),
        sa.Column("created_at", Ts, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_ldap_sync_logs"),
        sa.ForeignKeyConstraint(
            ["run_id"],
            ["ldap_sync_runs.id"],
            name="fk_ldap_sync_logs_run_id_ldap_sync_runs",
            ondelete="CASCADE",
        ),
    )
    op.create_index("ix_ldap_sync_logs_run_id", "ldap_sync_logs", ["run_id"])
    op.create_table(
        "external_identities",
        sa.Column("provider", sa.String(length=64), nullable=False),
        sa.Column("subject", sa.String(length=512), nullable=False),
        sa.Column("user_id", Id, nullable=False),
        sa.Column("created_at", Ts, nullable=False),
        sa.Column("last_seen_at", Ts, nullable=False),
        sa.Column("deactivated_by_sync", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.PrimaryKeyConstraint("provider", "subject", name="pk_external_identities"),
        sa.UniqueConstraint("provider", "user_id", name="uq_external_identities_provider_user_id"),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name="fk_external_identities_user_id_users",
            ondelete="CASCADE",
        ),
    )
    op.create_index("ix_external_identities_user_id", "external_identities", ["user_id"])
    op.create_table(
        "sso_providers",
        sa.Column("name", sa.String(length=50), nullable=False),
        sa.Column("protocol", sa.String(length=10), nullable=False),
        sa.Column("display_name", sa.String(length=100), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("config", Json, nullable=False),
        sa.Column("created_at", Ts, nullable=False),
        sa.Column("updated_at", Ts, nullable=False),
        sa.PrimaryKeyConstraint("name", name="pk_sso_providers"),
    )
    op.create_table(
        "sso_requests",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("provider", sa.String(length=50), nullable=False),
        sa.Column("request_id", sa.String(length=128), nullable=False),
        sa.Column("created_at", Ts, nullable=False),
        sa.Column("expires_at", Ts, nullable=False),
        sa.Column("used_at", Ts, nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_sso_requests"),
    )
    op.create_index("ix_sso_requests_expires_at", "sso_requests", ["expires_at"])


def downgrade() -> None:
    op.drop_index("ix_sso_requests_expires_at", table_name="sso_requests")
    op.drop_table("sso_requests")
    op.drop_table("sso_providers")
    op.drop_index("ix_external_identities_user_id", table_name="external_identities")
    op.drop_table("external_identities")
    op.drop_index("ix_ldap_sync_logs_run_id", table_name="ldap_sync_logs")
    op.drop_table("ldap_sync_logs")
    op.drop_index("ix_ldap_sync_runs_started_at", table_name="ldap_sync_runs")
    op.drop_table("ldap_sync_runs")
    op.drop_table("ldap_config")
