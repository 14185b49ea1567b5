"""Projects and their environments."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

DEFAULT_ENVIRONMENTS: tuple[tuple[str, str], ...] = (
    ("dev", "Development"),
    ("stage", "Staging"),
    ("prod", "Production"),
)


@dataclass(frozen=True, slots=True)
class Project:
    id: str
    name: str
    description: str
    created_at: datetime
    updated_at: datetime
    archived_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class Environment:
    id: str
    project_id: str
    key: str
    name: str
    api_key: str
    created_at: datetime
    requires_approval: bool = False


@dataclass(frozen=True, slots=True)
class ProjectSettings:
    """Per-project governance knobs; defaults match a new project."""

    auto_disable_enabled: bool = True
    auto_disable_error_threshold: int = 10
    auto_disable_time_window_sec: int = 60
    auto_disable_requires_approval: bool = False
    required_approvals: int = 1
    audit_log_retention_days: int = 180
