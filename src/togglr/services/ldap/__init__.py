"""LDAP: sign-in through a directory and a sync that keeps Togglr's users in step with it."""

from togglr.services.ldap.config import LdapConfig
from togglr.services.ldap.directory import CheckResult
from togglr.services.ldap.service import KEEP, LdapService, StoredConfig, SyncStatus
from togglr.services.ldap.sync import SyncCounts, SyncLog, SyncRun
from togglr.services.secret_box import SecretBox

__all__ = [
    "KEEP",
    "CheckResult",
    "LdapConfig",
    "LdapService",
    "SecretBox",
    "StoredConfig",
    "SyncCounts",
    "SyncLog",
    "SyncRun",
    "SyncStatus",
]
