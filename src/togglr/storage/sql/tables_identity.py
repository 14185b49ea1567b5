"""Tables of identity protection: second factor, reset links, API tokens and rate-limit counters.

Every piece of sign-in state lives here rather than in process memory, so any node can finish a
login another node started.
"""

from __future__ import annotations

import sqlalchemy as sa

from togglr.storage.sql.tables import Id, Ts, metadata


def _user_fk() -> sa.ForeignKey:
    return sa.ForeignKey("users.id", ondelete="CASCADE")


# One row per user who has started 2FA setup. `secret` is the active (confirmed) secret,
# `pending_secret` one waiting for confirmation; both AES-GCM encrypted with the settings key.
two_factor = sa.Table(
    "two_factor",
    metadata,
    sa.Column("user_id", Id, _user_fk(), primary_key=True),
    sa.Column("secret", sa.String(255)),
    sa.Column("pending_secret", sa.String(255)),
    sa.Column("confirmed_at", Ts),
    sa.Column("last_step", sa.BigInteger, nullable=False, server_default="0"),  # replay guard
    sa.Column("updated_at", Ts, nullable=False),
)

recovery_codes = sa.Table(
    "recovery_codes",
    metadata,
    sa.Column("id", Id, primary_key=True),
    sa.Column("user_id", Id, _user_fk(), nullable=False),
    sa.Column("code_hash", sa.String(64), nullable=False),
    sa.Column("created_at", Ts, nullable=False),
    sa.Column("used_at", Ts),
    sa.Index("ix_recovery_codes_user_id", "user_id"),
)

# A login that passed the password check and waits for the second factor.
two_factor_sessions = sa.Table(
    "two_factor_sessions",
    metadata,
    sa.Column("id", sa.String(64), primary_key=True),
    sa.Column("user_id", Id, _user_fk(), nullable=False),
    sa.Column("created_at", Ts, nullable=False),
    sa.Column("expires_at", Ts, nullable=False),
    sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
    sa.Column("consumed_at", Ts),
    sa.Column("user_agent", sa.String(255), nullable=False, server_default=""),
    sa.Column("ip", sa.String(64), nullable=False, server_default=""),
)

# Short numeric codes sent by e-mail (to disable 2FA without the authenticator).
email_codes = sa.Table(
    "email_codes",
    metadata,
    sa.Column("user_id", Id, _user_fk(), primary_key=True),
    sa.Column("purpose", sa.String(30), primary_key=True),
    sa.Column("code_hash", sa.String(64), nullable=False),
    sa.Column("created_at", Ts, nullable=False),
    sa.Column("expires_at", Ts, nullable=False),
    sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
)

password_resets = sa.Table(
    "password_resets",
    metadata,
    sa.Column("id", Id, primary_key=True),
    sa.Column("user_id", Id, _user_fk(), nullable=False),
    sa.Column("token_hash", sa.String(64), nullable=False, unique=True),
    sa.Column("created_at", Ts, nullable=False),
    sa.Column("expires_at", Ts, nullable=False),
    sa.Column("used_at", Ts),
    sa.Column("ip", sa.String(64), nullable=False, server_default=""),
    sa.Index("ix_password_resets_user_id", "user_id"),
)

api_tokens = sa.Table(
    "api_tokens",
    metadata,
    sa.Column("id", Id, primary_key=True),
    sa.Column("user_id", Id, _user_fk(), nullable=False),
    sa.Column("project_id", Id, sa.ForeignKey("projects.id", ondelete="CASCADE"), nullable=False),
    sa.Column("name", sa.String(100), nullable=False),
    sa.Column("role_key", sa.String(20), nullable=False),
    sa.Column("token_hash", sa.String(64), nullable=False, unique=True),
    sa.Column(
        "hint", sa.String(16), nullable=False
    ),  # the first characters, to recognise it in lists
    sa.Column("created_at", Ts, nullable=False),
    sa.Column("expires_at", Ts),
    sa.Column("last_used_at", Ts),
    sa.Column("revoked_at", Ts),
    sa.Index("ix_api_tokens_user_id", "user_id"),
)

rate_limits = sa.Table(
    "rate_limits",
    metadata,
    sa.Column("key", sa.String(255), primary_key=True),
    sa.Column("count", sa.Integer, nullable=False),
    sa.Column("reset_at", Ts, nullable=False),
    sa.Index("ix_rate_limits_reset_at", "reset_at"),
)
