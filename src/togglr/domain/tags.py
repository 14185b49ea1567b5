"""Categories (global) and tags (per project)."""

from __future__ import annotations

from dataclasses import dataclass

GUARDED = "guarded"
AUTO_DISABLE = "auto-disable"
CRITICAL = "critical"

# (slug, name, colour, description) of the safety tags every project gets.
SAFETY_TAGS: tuple[tuple[str, str, str, str], ...] = (
    (CRITICAL, "Critical", "#DC2626", "Critical feature: ranked first on the dashboard"),
    (AUTO_DISABLE, "Auto-Disable", "#F97316", "Switched off automatically when SDKs report errors"),
    (GUARDED, "Guarded", "#F59E0B", "Changes need approval"),
)

# (slug, name, colour, kind) of the categories seeded on a new installation.
DEFAULT_CATEGORIES: tuple[tuple[str, str, str, str], ...] = (
    ("safety", "Safety", "#F59E0B", "system"),
    ("ui-ux", "UI/UX", "#6366F1", "domain"),
    ("backend", "Backend", "#0EA5E9", "domain"),
    ("infra", "Infra", "#64748B", "domain"),
)


@dataclass(frozen=True, slots=True)
class Category:
    id: str
    slug: str
    name: str
    description: str
    color: str
    kind: str


@dataclass(frozen=True, slots=True)
class Tag:
    id: str
    project_id: str
    slug: str
    name: str
    color: str
    description: str
    category_id: str | None = None
