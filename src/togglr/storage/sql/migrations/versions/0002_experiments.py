"""experiments: algorithm attachments, shared state, feedback journal, rollups; on PostgreSQL the
feedback events become a time-partitioned table (docs/adr/0011-feedback-storage.md)

Revision ID: 0002_experiments
Revises: 0001
Create Date: 2026-11-29
"""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0002_experiments"
down_revision = "0001"
branch_labels = ("experiments",)
depends_on = None

ID = sa.String(length=36)
TS = sa.DateTime(timezone=True)
JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")
BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
PARTITION_DAYS_AHEAD = 7  # the server's maintenance job keeps this many days ready as well


def _fk(table: str, column: str, target: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        [column], [f"{target}.id"], name=op.f(f"fk_{table}_{column}_{target}"), ondelete="CASCADE"
    )


def upgrade() -> None:
    op.create_table(
        "feature_algorithms",
        sa.Column("id", ID, nullable=False),
        sa.Column("project_id", ID, nullable=False),
        sa.Column("environment_id", ID, nullable=False),
        sa.Column("feature_id", ID, nullable=False),
        sa.Column("algorithm", sa.String(length=50), nullable=False),
        sa.Column("settings", JSON, nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("created_by", sa.String(length=255), server_default="", nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("updated_at", TS, nullable=False),
        sa.Column("detached_at", TS, nullable=True),
        _fk("feature_algorithms", "project_id", "projects"),
        _fk("feature_algorithms", "environment_id", "environments"),
        _fk("feature_algorithms", "feature_id", "features"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_feature_algorithms")),
    )
    op.create_index(
        "uq_feature_algorithms_current",
        "feature_algorithms",
        ["feature_id", "environment_id"],
        unique=True,
        sqlite_where=sa.text("detached_at IS NULL"),
        postgresql_where=sa.text("detached_at IS NULL"),
    )
    op.create_index(
        "ix_feature_algorithms_environment_id", "feature_algorithms", ["environment_id"]
    )
    op.create_table(
        "algorithm_states",
        sa.Column("attachment_id", ID, nullable=False),
        sa.Column("state", JSON, nullable=False),
        sa.Column("version", sa.BigInteger(), nullable=False),
        sa.Column("updated_at", TS, nullable=False),
        sa.ForeignKeyConstraint(
            ["attachment_id"],
            ["feature_algorithms.id"],
            name=op.f("fk_algorithm_states_attachment_id_feature_algorithms"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("attachment_id", name=op.f("pk_algorithm_states")),
    )
    op.create_table(
        "feedback_journal",
        sa.Column("id", BIG_ID, autoincrement=True, nullable=False),
        sa.Column("attachment_id", ID, nullable=False),
        sa.Column("node", sa.String(length=100), nullable=False),
        sa.Column("variant_key", sa.String(length=128), nullable=True),
        sa.Column("event_type", sa.String(length=20), nullable=False),
        sa.Column("reward", sa.Float(), nullable=False),
        sa.Column("context", JSON, nullable=True),
        sa.Column("received_at", TS, nullable=False),
        sa.ForeignKeyConstraint(
            ["attachment_id"],
            ["feature_algorithms.id"],
            name=op.f("fk_feedback_journal_attachment_id_feature_algorithms"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_feedback_journal")),
    )
    op.create_index("ix_feedback_journal_node", "feedback_journal", ["node"])
    op.create_table(
        "experiment_nodes",
        sa.Column("node", sa.String(length=100), nullable=False),
        sa.Column("started_at", TS, nullable=False),
        sa.Column("seen_at", TS, nullable=False),
        sa.PrimaryKeyConstraint("node", name=op.f("pk_experiment_nodes")),
    )
    op.create_table(
        "feedback_rollups",
        sa.Column("attachment_id", ID, nullable=False),
        sa.Column("minute", TS, nullable=False),
        sa.Column("variant", sa.String(length=128), nullable=False),
        sa.Column("event_type", sa.String(length=20), nullable=False),
        sa.Column("count", sa.BigInteger(), nullable=False),
        sa.Column("reward_sum", sa.Float(), nullable=False),
        sa.ForeignKeyConstraint(
            ["attachment_id"],
            ["feature_algorithms.id"],
            name=op.f("fk_feedback_rollups_attachment_id_feature_algorithms"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "attachment_id", "minute", "variant", "event_type", name=op.f("pk_feedback_rollups")
        ),
    )
    if op.get_bind().dialect.name == "postgresql":
        _partition_feedback_events()


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        _unpartition_feedback_events()
    op.drop_table("feedback_rollups")
    op.drop_table("experiment_nodes")
    op.drop_index("ix_feedback_journal_node", table_name="feedback_journal")
    op.drop_table("feedback_journal")
    op.drop_table("algorithm_states")
    op.drop_index("ix_feature_algorithms_environment_id", table_name="feature_algorithms")
    op.drop_index("uq_feature_algorithms_current", table_name="feature_algorithms")
    op.drop_table("feature_algorithms")


# --- PostgreSQL: feedback_events partitioned by day, dedup kept in its own table ---------------

_COLUMNS = (
    "id, project_id, environment_id, feature_id, feature_key, algorithm_slug, variant_key, "
    "event_type, reward, context, dedup_key, created_at, received_at"
)

_CREATE_EVENTS = """
CREATE TABLE {name} (
    id BIGINT NOT NULL DEFAULT nextval('feedback_events_id_seq'),
    project_id VARCHAR(36) NOT NULL,
    environment_id VARCHAR(36) NOT NULL,
    feature_id VARCHAR(36) NOT NULL,
    feature_key VARCHAR(50) NOT NULL,
    algorithm_slug VARCHAR(50),
    variant_key VARCHAR(128),
    event_type VARCHAR(20) NOT NULL,
    reward FLOAT NOT NULL DEFAULT 0,
    context JSONB,
    dedup_key VARCHAR(200),
    created_at TIMESTAMP WITH TIME ZONE NOT NULL,
    received_at TIMESTAMP WITH TIME ZONE NOT NULL,
    CONSTRAINT {pk} PRIMARY KEY ({pk_columns})
    {extra}
){tail}
"""

# A duplicate dedup_key makes the insert a no-op (rowcount 0), exactly like the unique constraint
# with ON CONFLICT DO NOTHING that the unpartitioned table uses.
_DEDUP_FUNCTION = """
CREATE FUNCTION togglr_feedback_dedup() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.dedup_key IS NULL THEN
        RETURN NEW;
    END IF;
    INSERT INTO feedback_dedup (environment_id, feature_id, dedup_key, received_at)
    VALUES (NEW.environment_id, NEW.feature_id, NEW.dedup_key, NEW.received_at)
    ON CONFLICT DO NOTHING;
    IF FOUND THEN
        RETURN NEW;
    END IF;
    RETURN NULL;
END
$$
"""

# Creates the partition of one UTC day (idempotent, safe under concurrency); rows that landed in
# the default partition for that day are moved into it first.
_PARTITION_FUNCTION = """
CREATE FUNCTION togglr_feedback_partition(day date) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
    part text := 'feedback_events_p' || to_char(day, 'YYYYMMDD');
    lo timestamptz := day::timestamp AT TIME ZONE 'UTC';
    hi timestamptz := (day + 1)::timestamp AT TIME ZONE 'UTC';
BEGIN
    IF to_regclass(part) IS NOT NULL THEN
        RETURN part;
    END IF;
    PERFORM pg_advisory_xact_lock(hashtext('togglr_feedback_partition'));
    IF to_regclass(part) IS NOT NULL THEN
        RETURN part;
    END IF;
    EXECUTE format('CREATE TABLE %I (LIKE feedback_events INCLUDING DEFAULTS)', part);
    EXECUTE format(
        'WITH moved AS (DELETE FROM feedback_events_default WHERE received_at >= %L '
        'AND received_at < %L RETURNING *) INSERT INTO %I SELECT * FROM moved', lo, hi, part);
    EXECUTE format(
        'ALTER TABLE feedback_events ATTACH PARTITION %I FOR VALUES FROM (%L) TO (%L)',
        part, lo, hi);
    RETURN part;
END
$$
"""


def _has_timescaledb() -> bool:
    bind = op.get_bind()
    row = bind.exec_driver_sql(
        "SELECT 1 FROM pg_available_extensions WHERE name = 'timescaledb'"
    ).first()
    return row is not None


def _partition_feedback_events() -> None:
    timescale = _has_timescaledb()
    op.execute("ALTER TABLE feedback_events RENAME TO feedback_events_legacy")
    op.execute("ALTER SEQUENCE feedback_events_id_seq OWNED BY NONE")
    op.execute(
        "CREATE TABLE feedback_dedup (environment_id VARCHAR(36) NOT NULL, "
        "feature_id VARCHAR(36) NOT NULL, dedup_key VARCHAR(200) NOT NULL, "
        "received_at TIMESTAMP WITH TIME ZONE NOT NULL, "
        "CONSTRAINT pk_feedback_dedup PRIMARY KEY (environment_id, feature_id, dedup_key))"
    )
    op.execute("CREATE INDEX ix_feedback_dedup_received_at ON feedback_dedup (received_at)")
    # The legacy table still owns the index and constraint names: build under temporary ones.
    op.execute(
        _CREATE_EVENTS.format(
            name="feedback_events",
            pk="pk_feedback_events_new",
            pk_columns="id, received_at",
            extra="",
            tail="" if timescale else " PARTITION BY RANGE (received_at)",
        )
    )
    op.execute("ALTER SEQUENCE feedback_events_id_seq OWNED BY feedback_events.id")
    op.execute(_DEDUP_FUNCTION)
    op.execute(
        "CREATE TRIGGER togglr_feedback_dedup BEFORE INSERT ON feedback_events "
        "FOR EACH ROW EXECUTE FUNCTION togglr_feedback_dedup()"
    )
    if timescale:
        # Untested here (no timescaledb on the build machine); see the ADR.
        op.execute("CREATE EXTENSION IF NOT EXISTS timescaledb")
        op.execute(
            "SELECT create_hypertable('feedback_events', 'received_at', "
            "chunk_time_interval => INTERVAL '1 day')"
        )
    else:
        op.execute("CREATE TABLE feedback_events_default PARTITION OF feedback_events DEFAULT")
        op.execute(_PARTITION_FUNCTION)
        today = dt.datetime.now(dt.UTC).date()
        for offset in range(-1, PARTITION_DAYS_AHEAD + 1):
            day = today + dt.timedelta(days=offset)
            op.execute(f"SELECT togglr_feedback_partition(DATE '{day.isoformat()}')")
    op.execute(
        f"INSERT INTO feedback_events ({_COLUMNS}) "
        f"SELECT {_COLUMNS} FROM feedback_events_legacy ORDER BY id"
    )
    op.execute("DROP TABLE feedback_events_legacy")
    op.execute(
        "ALTER TABLE feedback_events RENAME CONSTRAINT pk_feedback_events_new TO pk_feedback_events"
    )
    op.execute(
        "CREATE INDEX ix_feedback_events_feature_id_received_at "
        "ON feedback_events (feature_id, received_at)"
    )


def _unpartition_feedback_events() -> None:
    op.execute("ALTER SEQUENCE feedback_events_id_seq OWNED BY NONE")
    op.execute(
        _CREATE_EVENTS.format(
            name="feedback_events_plain",
            pk="pk_feedback_events_plain",
            pk_columns="id",
            extra=", CONSTRAINT uq_feedback_events_plain UNIQUE (environment_id, feature_id, dedup_key)",
            tail="",
        )
    )
    op.execute(
        f"INSERT INTO feedback_events_plain ({_COLUMNS}) "
        f"SELECT {_COLUMNS} FROM feedback_events ORDER BY id ON CONFLICT DO NOTHING"
    )
    op.execute("DROP TABLE feedback_events CASCADE")
    op.execute("DROP FUNCTION IF EXISTS togglr_feedback_partition(date)")
    op.execute("DROP FUNCTION togglr_feedback_dedup()")
    op.execute("DROP TABLE feedback_dedup")
    op.execute("ALTER TABLE feedback_events_plain RENAME TO feedback_events")
    op.execute(
        "ALTER TABLE feedback_events RENAME CONSTRAINT pk_feedback_events_plain TO pk_feedback_events"
    )
    op.execute(
        "ALTER TABLE feedback_events RENAME CONSTRAINT uq_feedback_events_plain "
        "TO uq_feedback_events_environment_id_feature_id_dedup_key"
    )
    op.execute("ALTER SEQUENCE feedback_events_id_seq OWNED BY feedback_events.id")
    op.execute(
        "CREATE INDEX ix_feedback_events_feature_id_received_at "
        "ON feedback_events (feature_id, received_at)"
    )
