"""One transaction per use case, with every repository bound to it."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from sqlalchemy.exc import DataError, DBAPIError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from togglr.domain.errors import InvalidInputError
from togglr.storage.sql import directory as sql_directory
from togglr.storage.sql import experiments as sql_experiments
from togglr.storage.sql import governance as sql_governance
from togglr.storage.sql import identity as sql_identity
from togglr.storage.sql.accounts import (
    SqlMembershipRepository,
    SqlRefreshTokenRepository,
    SqlUserRepository,
)
from togglr.storage.sql.audit import SqlAuditRepository
from togglr.storage.sql.engine import create_engine
from togglr.storage.sql.events import SqlEventRepository
from togglr.storage.sql.features import SqlFeatureRepository, SqlFeatureStateRepository
from togglr.storage.sql.migrate import is_current, upgrade_async
from togglr.storage.sql.projects import (
    SqlEnvironmentRepository,
    SqlProjectRepository,
    SqlSettingsRepository,
)
from togglr.storage.sql.segments import SqlSegmentRepository
from togglr.storage.sql.tags import SqlCategoryRepository, SqlTagRepository


def _is_bad_value(exc: BaseException) -> bool:
    """Driver errors of SQL class 22 ("data exception") and encoding failures of a value."""
    if isinstance(exc, DataError | UnicodeEncodeError):
        return True
    orig = getattr(exc, "orig", None)
    sqlstate = str(getattr(orig, "sqlstate", "") or getattr(orig, "pgcode", "") or "")
    return sqlstate.startswith("22") or isinstance(
        getattr(orig, "__cause__", None), UnicodeEncodeError
    )


class SqlUnitOfWork:
    def __init__(self, conn: AsyncConnection) -> None:
        self.connection = conn
        self.projects = SqlProjectRepository(conn)
        self.environments = SqlEnvironmentRepository(conn)
        self.settings = SqlSettingsRepository(conn)
        self.features = SqlFeatureRepository(conn)
        self.states = SqlFeatureStateRepository(conn)
        self.segments = SqlSegmentRepository(conn)
        self.tags = SqlTagRepository(conn)
        self.categories = SqlCategoryRepository(conn)
        self.users = SqlUserRepository(conn)
        self.memberships = SqlMembershipRepository(conn)
        self.refresh_tokens = SqlRefreshTokenRepository(conn)
        self.audit = SqlAuditRepository(conn)
        self.events = SqlEventRepository(conn)
        self.schedules = sql_governance.SqlScheduleRepository(conn)
        self.changes = sql_governance.SqlChangeRepository(conn)
        self.notification_channels = sql_governance.SqlChannelRepository(conn)
        self.outbox = sql_governance.SqlOutboxRepository(conn)
        self.user_notifications = sql_governance.SqlUserNotificationRepository(conn)
        self.health = sql_governance.SqlHealthRepository(conn)
        self.ldap_config = sql_directory.SqlLdapConfigRepository(conn)
        self.ldap_sync = sql_directory.SqlLdapSyncRepository(conn)
        self.external_identities = sql_directory.SqlExternalIdentityRepository(conn)
        self.sso_providers = sql_directory.SqlSsoProviderRepository(conn)
        self.sso_requests = sql_directory.SqlSsoRequestRepository(conn)
        self.two_factor = sql_identity.SqlTwoFactorRepository(conn)
        self.two_factor_sessions = sql_identity.SqlTwoFactorSessionRepository(conn)
        self.password_resets = sql_identity.SqlPasswordResetRepository(conn)
        self.api_tokens = sql_identity.SqlApiTokenRepository(conn)
        self.rate_limits = sql_identity.SqlRateLimitRepository(conn)
        self.security = sql_identity.SqlSecurityReadRepository(conn)
        self.experiments = sql_experiments.SqlExperimentRepository(conn)
        self.feedback_journal = sql_experiments.SqlFeedbackJournalRepository(conn)
        self.feedback_rollups = sql_experiments.SqlRollupRepository(conn)
        self.feedback_retention = sql_experiments.SqlFeedbackRetentionRepository(conn)


class SqlStorage:
    """Owns the engine; hands out units of work."""

    def __init__(self, url: str, engine: AsyncEngine) -> None:
        self.url = url
        self.engine = engine

    @classmethod
    def open(cls, url: str) -> SqlStorage:
        return cls(url, create_engine(url))

    async def migrate(self) -> None:
        if not await is_current(self.engine):
            await upgrade_async(self.url)

    async def close(self) -> None:
        await self.engine.dispose()

    async def ping(self) -> bool:
        async with self.engine.connect() as conn:
            await conn.exec_driver_sql("SELECT 1")
        return True

    @asynccontextmanager
    async def unit_of_work(self) -> AsyncIterator[SqlUnitOfWork]:
        """Commit when the block exits normally, roll back on any exception."""
        try:
            async with self.engine.begin() as conn:
                yield SqlUnitOfWork(conn)
        except (DBAPIError, UnicodeEncodeError) as exc:
            if not _is_bad_value(exc):
                raise
            # e.g. a NUL character or a lone surrogate (PostgreSQL text holds neither), or a
            # number out of range: the client's value, not the server, is at fault.
            raise InvalidInputError(
                "a value cannot be stored: it contains a NUL character, an invalid character, "
                "or a number out of range",
                code="invalid_input",
            ) from exc
