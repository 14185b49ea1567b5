"""Segments: reusable, project-wide condition trees."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any


@dataclass(frozen=True, slots=True)
class Segment:
    id: str
    project_id: str
    name: str
    description: str
    condition: dict[str, Any]
    created_at: datetime
    updated_at: datetime
