"""Tables of directory sign-in: LDAP configuration and sync runs, SSO providers, SAML relay
states, and the links between Togglr users and their identity in a directory or an IdP.

Sync progress, the "one sync at a time" lock and SAML relay states live in the database, not in
process memory, so any node can serve the status and finish a login another node started.
"""

from __future__ import annotations

import sqlalchemy as sa

from togglr.storage.sql.tables import Id, Json, Ts, metadata

# A single row (id = 1). `bind_password` is ciphertext, opened only by the LDAP service.
ldap_config = sa.Table(
    "ldap_config",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("config", Json, nullable=False),
    sa.Column("bind_password", sa.Text),
    sa.Column("updated_at", Ts, nullable=False),
)

# `running_slot` is 1 while a run is in progress and NULL afterwards; its unique constraint is the
# cluster-wide lock that keeps two syncs from running at once (NULLs never collide).
ldap_sync_runs = sa.Table(
    "ldap_sync_runs",
    metadata,
    sa.Column("id", Id, primary_key=True),
    sa.Column("trigger", sa.String(10), nullable=False),
    sa.Column("status", sa.String(10), nullable=False),
    sa.Column("running_slot", sa.Integer, unique=True),
    sa.Column("started_by", sa.String(255), nullable=False),
    sa.Column("started_at", Ts, nullable=False),
    sa.Column("heartbeat_at", Ts, nullable=False),
    sa.Column("finished_at", Ts),
    sa.Column("total", sa.Integer, nullable=False, server_default="0"),
    sa.Column("processed", sa.Integer, nullable=False, server_default="0"),
    sa.Column("created", sa.Integer, nullable=False, server_default="0"),
    sa.Column("updated", sa.Integer, nullable=False, server_default="0"),
    sa.Column("reactivated", sa.Integer, nullable=False, server_default="0"),
    sa.Column("deactivated", sa.Integer, nullable=False, server_default="0"),
    sa.Column("skipped", sa.Integer, nullable=False, server_default="0"),
    sa.Column("errors", sa.Integer, nullable=False, server_default="0"),
    sa.Column("message", sa.String(1000), nullable=False, server_default=""),
    sa.Index("ix_ldap_sync_runs_started_at", "started_at"),
)

ldap_sync_logs = sa.Table(
    "ldap_sync_logs",
    metadata,
    sa.Column(
        "id",
        sa.BigInteger().with_variant(sa.Integer, "sqlite"),
        primary_key=True,
        autoincrement=True,
    ),
    sa.Column("run_id", Id, sa.ForeignKey("ldap_sync_runs.id", ondelete="CASCADE"), nullable=False),
    sa.Column("level", sa.String(10), nullable=False),
    sa.Column("username", sa.String(255)),
    sa.Column("message", sa.String(1000), nullable=False),
    sa.Column("created_at", Ts, nullable=False),
    sa.Index("ix_ldap_sync_logs_run_id", "run_id"),
)

# provider is "ldap" or "saml:<name>"; subject is the directory username or the SAML NameID.
external_identities = sa.Table(
    "external_identities",
    metadata,
    sa.Column("provider", sa.String(64), primary_key=True),
    sa.Column("subject", sa.String(512), primary_key=True),
    sa.Column("user_id", Id, sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    sa.Column("created_at", Ts, nullable=False),
    sa.Column("last_seen_at", Ts, nullable=False),
    # Set when a sync deactivated the user, so only those users come back when they reappear
    # (an administrator's own deactivation is never undone by the directory).
    sa.Column("deactivated_by_sync", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.UniqueConstraint("provider", "user_id"),
    sa.Index("ix_external_identities_user_id", "user_id"),
)

sso_providers = sa.Table(
    "sso_providers",
    metadata,
    sa.Column("name", sa.String(50), primary_key=True),
    sa.Column("protocol", sa.String(10), nullable=False),
    sa.Column("display_name", sa.String(100), nullable=False),
    sa.Column("enabled", sa.Boolean, nullable=False),
    sa.Column("config", Json, nullable=False),
    sa.Column("created_at", Ts, nullable=False),
    sa.Column("updated_at", Ts, nullable=False),
)

# One row per SP-initiated login. `id` is the SHA-256 of the RelayState handed to the browser;
# the row is consumed once, so a response can neither be replayed nor arrive unsolicited.
sso_requests = sa.Table(
    "sso_requests",
    metadata,
    sa.Column("id", sa.String(64), primary_key=True),
    sa.Column("provider", sa.String(50), nullable=False),
    sa.Column("request_id", sa.String(128), nullable=False),
    sa.Column("created_at", Ts, nullable=False),
    sa.Column("expires_at", Ts, nullable=False),
    sa.Column("used_at", Ts),
    sa.Index("ix_sso_requests_expires_at", "expires_at"),
)
