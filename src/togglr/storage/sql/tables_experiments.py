"""Experiment tables: attachments, shared algorithm state, feedback journal and rollups. Migration
0002_experiments (which also partitions `feedback_events` on PostgreSQL; see
docs/adr/0011-feedback-storage.md)."""

from __future__ import annotations

import sqlalchemy as sa

from togglr.storage.sql.tables import Id, Json, Ts, metadata


def _fk(target: str) -> sa.ForeignKey:
    return sa.ForeignKey(target, ondelete="CASCADE")


BigId = sa.BigInteger().with_variant(sa.Integer, "sqlite")  # SQLite autoincrements INTEGER only

# One row per attachment ever made; the current one has detached_at NULL (at most one per
# feature and environment, enforced by a partial unique index).
feature_algorithms = sa.Table(
    "feature_algorithms",
    metadata,
    sa.Column("id", Id, primary_key=True),
    sa.Column("project_id", Id, _fk("projects.id"), nullable=False),
    sa.Column("environment_id", Id, _fk("environments.id"), nullable=False),
    sa.Column("feature_id", Id, _fk("features.id"), nullable=False),
    sa.Column("algorithm", sa.String(50), nullable=False),
    sa.Column("settings", Json, nullable=False),
    sa.Column("enabled", sa.Boolean, nullable=False),
    sa.Column("created_by", sa.String(255), nullable=False, server_default=""),
    sa.Column("created_at", Ts, nullable=False),
    sa.Column("updated_at", Ts, nullable=False),
    sa.Column("detached_at", Ts),
    sa.Index(
        "uq_feature_algorithms_current",
        "feature_id",
        "environment_id",
        unique=True,
        sqlite_where=sa.text("detached_at IS NULL"),
        postgresql_where=sa.text("detached_at IS NULL"),
    ),
    sa.Index("ix_feature_algorithms_environment_id", "environment_id"),
)

# The merged state every node converges on; `version` makes concurrent flushes safe.
algorithm_states = sa.Table(
    "algorithm_states",
    metadata,
    sa.Column("attachment_id", Id, _fk("feature_algorithms.id"), primary_key=True),
    sa.Column("state", Json, nullable=False),
    sa.Column("version", sa.BigInteger, nullable=False),
    sa.Column("updated_at", Ts, nullable=False),
)

# Accepted feedback not yet folded into algorithm_states (a write-ahead journal; rows live for
# one flush interval unless their node crashed).
feedback_journal = sa.Table(
    "feedback_journal",
    metadata,
    sa.Column("id", BigId, primary_key=True, autoincrement=True),
    sa.Column("attachment_id", Id, _fk("feature_algorithms.id"), nullable=False),
    sa.Column("node", sa.String(100), nullable=False),
    sa.Column("variant_key", sa.String(128)),
    sa.Column("event_type", sa.String(20), nullable=False),
    sa.Column("reward", sa.Float, nullable=False),
    sa.Column("context", Json),
    sa.Column("received_at", Ts, nullable=False),
    sa.Index("ix_feedback_journal_node", "node"),
)

# Live nodes and their lease: a node whose lease ran out has its journal folded in by others.
experiment_nodes = sa.Table(
    "experiment_nodes",
    metadata,
    sa.Column("node", sa.String(100), primary_key=True),
    sa.Column("started_at", Ts, nullable=False),
    sa.Column("seen_at", Ts, nullable=False),
)

# Per-minute rollups, maintained with additive upserts in the same transaction that folds the
# events into the shared state (so the two always agree).
feedback_rollups = sa.Table(
    "feedback_rollups",
    metadata,
    sa.Column("attachment_id", Id, _fk("feature_algorithms.id"), primary_key=True),
    sa.Column("minute", Ts, primary_key=True),
    sa.Column("variant", sa.String(128), primary_key=True),
    sa.Column("event_type", sa.String(20), primary_key=True),
    sa.Column("count", sa.BigInteger, nullable=False),
    sa.Column("reward_sum", sa.Float, nullable=False),
)

# PostgreSQL only (created by the migration, so it is not in the shared metadata): dedup keys of
# the partitioned feedback_events, which cannot carry a unique constraint without the partition key.
pg_metadata = sa.MetaData()
feedback_dedup = sa.Table(
    "feedback_dedup",
    pg_metadata,
    sa.Column("environment_id", Id, primary_key=True),
    sa.Column("feature_id", Id, primary_key=True),
    sa.Column("dedup_key", sa.String(200), primary_key=True),
    sa.Column("received_at", Ts, nullable=False),
)
