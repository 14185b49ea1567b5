"""Audit entries: who changed what, from what to what."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any


@dataclass(frozen=True, slots=True)
class AuditEntry:
    id: int | None
    project_id: str | None
    environment_id: str | None
    feature_id: str | None
    entity: str  # project | environment | feature | feature_state | segment | tag | membership ...
    entity_id: str
    action: str  # create | update | delete | toggle | rotate_key | ...
    actor: str  # user | sdk | system
    user_id: str | None
    username: str
    request_id: str | None
    old_value: Any
    new_value: Any
    created_at: datetime
