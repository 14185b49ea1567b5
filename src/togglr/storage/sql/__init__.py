"""SQLAlchemy implementation of the storage port, for SQLite and PostgreSQL."""

from togglr.storage.sql.unit_of_work import SqlStorage

__all__ = ["SqlStorage"]
