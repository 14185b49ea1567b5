"""Storage port. Importing this package pulls in no SQLAlchemy."""

from togglr.storage.protocols import Storage, UnitOfWork

__all__ = ["Storage", "UnitOfWork"]
