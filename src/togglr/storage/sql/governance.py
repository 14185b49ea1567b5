"""Governance repositories, gathered for the unit of work (one module per aggregate beside this)."""

from togglr.storage.sql.changes import SqlChangeRepository
from togglr.storage.sql.health import SqlHealthRepository
from togglr.storage.sql.notifications import (
    SqlChannelRepository,
    SqlOutboxRepository,
    SqlUserNotificationRepository,
)
from togglr.storage.sql.schedules import SqlScheduleRepository

__all__ = [
    "SqlChangeRepository",
    "SqlChannelRepository",
    "SqlHealthRepository",
    "SqlOutboxRepository",
    "SqlScheduleRepository",
    "SqlUserNotificationRepository",
]
