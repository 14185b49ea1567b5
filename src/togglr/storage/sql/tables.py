"""Table definitions shared by SQLite and PostgreSQL. Constraint names follow one convention so
Alembic batch operations on SQLite can address them."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

metadata = sa.MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "ck": "ck_%(table_name)s_%(constraint_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)

Json = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
Id = sa.String(36)


class UtcDateTime(sa.TypeDecorator[datetime]):
    """Timezone-aware UTC in and out, also on SQLite (which stores naive text)."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the database")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


Ts = UtcDateTime()


def _fk(target: str, ondelete: str = "CASCADE") -> sa.ForeignKey:
    return sa.ForeignKey(target, ondelete=ondelete)


projects = sa.Table(
    "projects",
    metadata,
    sa.Column("id", Id, primary_key=True),
    sa.Column("name", sa.String(128), nullable=False, unique=True),
    sa.Column("description", sa.String(1000), nullable=False, server_default=""),
    sa.Column("created_at", Ts, nullable=False),
    sa.Column("updated_at", Ts, nullable=False),
    sa.Column("archived_at", Ts),
)

environments = sa.Table(
    "environments",
    metadata,
    sa.Column("id", Id, primary_key=True),
    sa.Column("project_id", Id, _fk("projects.id"), nullable=False),
    sa.Column("key", sa.String(20), nullable=False),
    sa.Column("name", sa.String(50), nullable=False),
    sa.Column("api_key", sa.String(64), nullable=False, unique=True),
    sa.Column("requires_approval", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("created_at", Ts, nullable=False),
    sa.UniqueConstraint("project_id", "key"),
)

project_settings = sa.Table(
    "project_settings",
    metadata,
    sa.Column("project_id", Id, _fk("projects.id"), primary_key=True),
    sa.Column("name", sa.String(100), primary_key=True),
    sa.Column("value", Json, nullable=False),
    sa.Column("updated_at", Ts, nullable=False),
)

categories = sa.Table(
    "categories",
    metadata,
    sa.Column("id", Id, primary_key=True),
    sa.Column("slug", sa.String(100), nullable=False, unique=True),
    sa.Column("name", sa.String(100), nullable=False, unique=True),
    sa.Column("description", sa.String(300), nullable=False, server_default=""),
    sa.Column("color", sa.String(7), nullable=False, server_default="#64748B"),
    sa.Column("kind", sa.String(10), nullable=False, server_default="user"),
)

tags = sa.Table(
    "tags",
    metadata,
    sa.Column("id", Id, primary_key=True),
    sa.Column("project_id", Id, _fk("projects.id"), nullable=False),
    sa.Column("category_id", Id, _fk("categories.id", "SET NULL")),
    sa.Column("slug", sa.String(100), nullable=False),
    sa.Column("name", sa.String(100), nullable=False),
    sa.Column("color", sa.String(7), nullable=False, server_default="#64748B"),
    sa.Column("description", sa.String(300), nullable=False, server_default=""),
    sa.UniqueConstraint("project_id", "slug"),
)

features = sa.Table(
    "features",
    metadata,
    sa.Column("id", Id, primary_key=True),
    sa.Column("project_id", Id, _fk("projects.id"), nullable=False),
    sa.Column("key", sa.String(50), nullable=False),
    sa.Column("name", sa.String(100), nullable=False),
    sa.Column("description", sa.String(1000), nullable=False, server_default=""),
    sa.Column("kind", sa.String(15), nullable=False),
    sa.Column("rollout_key", sa.String(100)),
    sa.Column("category_id", Id, _fk("categories.id", "SET NULL")),
    sa.Column("created_at", Ts, nullable=False),
    sa.Column("updated_at", Ts, nullable=False),
    sa.UniqueConstraint("project_id", "key"),
)

feature_tags = sa.Table(
    "feature_tags",
    metadata,
    sa.Column("feature_id", Id, _fk("features.id"), primary_key=True),
    sa.Column("tag_id", Id, _fk("tags.id"), primary_key=True),
)

feature_states = sa.Table(
    "feature_states",
    metadata,
    sa.Column("feature_id", Id, _fk("features.id"), primary_key=True),
    sa.Column("environment_id", Id, _fk("environments.id"), primary_key=True),
    sa.Column("enabled", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("default_value", sa.String(1024), nullable=False, server_default=""),
    sa.Column("updated_at", Ts, nullable=False),
    sa.Column("last_evaluated_at", Ts),
)

variants = sa.Table(
    "variants",
    metadata,
    sa.Column("id", Id, primary_key=True),
    sa.Column("feature_id", Id, _fk("features.id"), nullable=False),
    sa.Column("environment_id", Id, _fk("environments.id"), nullable=False),
    sa.Column("name", sa.String(128), nullable=False),
    sa.Column("rollout_percent", sa.Float, nullable=False),
    sa.Column("value", Json),
    sa.UniqueConstraint("feature_id", "environment_id", "name"),
)

segments = sa.Table(
    "segments",
    metadata,
    sa.Column("id", Id, primary_key=True),
    sa.Column("project_id", Id, _fk("projects.id"), nullable=False),
    sa.Column("name", sa.String(255), nullable=False),
    sa.Column("description", sa.String(1000), nullable=False, server_default=""),
    sa.Column("condition", Json, nullable=False),
    sa.Column("created_at", Ts, nullable=False),
    sa.Column("updated_at", Ts, nullable=False),
    sa.UniqueConstraint("project_id", "name"),
)

rules = sa.Table(
    "rules",
    metadata,
    sa.Column("id", Id, primary_key=True),
    sa.Column("feature_id", Id, _fk("features.id"), nullable=False),
    sa.Column("environment_id", Id, _fk("environments.id"), nullable=False),
    sa.Column("action", sa.String(10), nullable=False),
    sa.Column("priority", sa.Integer, nullable=False),
    sa.Column("condition", Json, nullable=False),
    sa.Column("variant", sa.String(128)),
    sa.Column("segment_id", Id, _fk("segments.id", "SET NULL")),
    sa.Column("is_customized", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("created_at", Ts, nullable=False),
    sa.UniqueConstraint("feature_id", "environment_id", "action", "priority"),
    sa.Index("ix_rules_segment_id", "segment_id"),
)

rule_attributes = sa.Table(
    "rule_attributes",
    metadata,
    sa.Column("name", sa.String(100), primary_key=True),
    sa.Column("description", sa.String(300), nullable=False, server_default=""),
)

users = sa.Table(
    "users",
    metadata,
    sa.Column("id", Id, primary_key=True),
    sa.Column("username", sa.String(255), nullable=False, unique=True),
    sa.Column("email", sa.String(255), nullable=False, unique=True),
    sa.Column("password_hash", sa.String(255), nullable=False, server_default=""),
    sa.Column("is_superuser", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("is_active", sa.Boolean, nullable=False, server_default=sa.true()),
    sa.Column("is_tmp_password", sa.Boolean, nullable=False, server_default=sa.true()),
    sa.Column("is_external", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("two_fa_enabled", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("created_at", Ts, nullable=False),
    sa.Column("updated_at", Ts, nullable=False),
    sa.Column("last_login", Ts),
)

memberships = sa.Table(
    "memberships",
    metadata,
    sa.Column("id", Id, primary_key=True),
    sa.Column("project_id", Id, _fk("projects.id"), nullable=False),
    sa.Column("user_id", Id, _fk("users.id"), nullable=False),
    sa.Column("role_key", sa.String(20), nullable=False),
    sa.Column("created_at", Ts, nullable=False),
    sa.UniqueConstraint("project_id", "user_id"),
)

refresh_tokens = sa.Table(
    "refresh_tokens",
    metadata,
    sa.Column("id", Id, primary_key=True),  # the token's jti
    sa.Column("user_id", Id, _fk("users.id"), nullable=False),
    sa.Column("family_id", Id, nullable=False),  # one login session; reuse revokes the family
    sa.Column("created_at", Ts, nullable=False),
    sa.Column("expires_at", Ts, nullable=False),
    sa.Column("used_at", Ts),
    sa.Column("revoked_at", Ts),
    sa.Column("user_agent", sa.String(255), nullable=False, server_default=""),
    sa.Column("ip", sa.String(64), nullable=False, server_default=""),
    sa.Index("ix_refresh_tokens_family_id", "family_id"),
)

audit_log = sa.Table(
    "audit_log",
    metadata,
    sa.Column(
        "id",
        sa.BigInteger().with_variant(sa.Integer, "sqlite"),
        primary_key=True,
        autoincrement=True,
    ),
    sa.Column("project_id", Id),
    sa.Column("environment_id", Id),
    sa.Column("feature_id", Id),
    sa.Column("entity", sa.String(50), nullable=False),
    sa.Column("entity_id", sa.String(64), nullable=False),
    sa.Column("action", sa.String(30), nullable=False),
    sa.Column("actor", sa.String(10), nullable=False),
    sa.Column("user_id", Id),
    sa.Column("username", sa.String(255), nullable=False),
    sa.Column("request_id", sa.String(64)),
    sa.Column("old_value", Json),
    sa.Column("new_value", Json),
    sa.Column("created_at", Ts, nullable=False),
    sa.Index("ix_audit_log_project_id_created_at", "project_id", "created_at"),
    sa.Index("ix_audit_log_feature_id", "feature_id"),
)

feedback_events = sa.Table(
    "feedback_events",
    metadata,
    sa.Column(
        "id",
        sa.BigInteger().with_variant(sa.Integer, "sqlite"),
        primary_key=True,
        autoincrement=True,
    ),
    sa.Column("project_id", Id, nullable=False),
    sa.Column("environment_id", Id, nullable=False),
    sa.Column("feature_id", Id, nullable=False),
    sa.Column("feature_key", sa.String(50), nullable=False),
    sa.Column("algorithm_slug", sa.String(50)),
    sa.Column("variant_key", sa.String(128)),
    sa.Column("event_type", sa.String(20), nullable=False),
    sa.Column("reward", sa.Float, nullable=False, server_default="0"),
    sa.Column("context", Json),
    sa.Column("dedup_key", sa.String(200)),
    sa.Column("created_at", Ts, nullable=False),
    sa.Column("received_at", Ts, nullable=False),
    sa.UniqueConstraint("environment_id", "feature_id", "dedup_key"),
    sa.Index("ix_feedback_events_feature_id_received_at", "feature_id", "received_at"),
)

error_reports = sa.Table(
    "error_reports",
    metadata,
    sa.Column(
        "id",
        sa.BigInteger().with_variant(sa.Integer, "sqlite"),
        primary_key=True,
        autoincrement=True,
    ),
    sa.Column("project_id", Id, nullable=False),
    sa.Column("environment_id", Id, nullable=False),
    sa.Column("feature_id", Id, nullable=False),
    sa.Column("error_type", sa.String(100), nullable=False),
    sa.Column("error_message", sa.Text, nullable=False),
    sa.Column("context", Json),
    sa.Column("created_at", Ts, nullable=False),
    sa.Index(
        "ix_error_reports_feature_id_environment_id_created_at",
        "feature_id",
        "environment_id",
        "created_at",
    ),
)
