"""Project tags, global categories and the rule-attribute dictionary."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from togglr.domain.accounts import Principal
from togglr.domain.errors import (
    ConflictError,
    InvalidInputError,
    NotFoundError,
    PermissionDeniedError,
)
from togglr.domain.ids import SLUG_PATTERN, new_id, slugify
from togglr.domain.tags import DEFAULT_CATEGORIES, SAFETY_TAGS, Category, Tag
from togglr.services.common import Clock, audit, require
from togglr.services.projects import check_color

DEFAULT_ATTRIBUTES: tuple[tuple[str, str], ...] = (
    ("user.id", "Stable user identifier"),
    ("user.email", "User e-mail"),
    ("user.anonymous", "true for anonymous users"),
    ("country_code", "ISO 3166 country code"),
    ("region", "Region"),
    ("city", "City"),
    ("device_type", "mobile, desktop, tablet"),
    ("os", "Operating system"),
    ("os_version", "Operating system version"),
    ("browser", "Browser"),
    ("browser_version", "Browser version"),
    ("language", "Language tag"),
    ("app_version", "Application version (semver)"),
    ("platform", "Platform"),
    ("plan", "Subscription plan"),
    ("age", "Age in years"),
)
_SAFETY = {s[0] for s in SAFETY_TAGS}


class TagService:
    def __init__(self, storage: Any, clock: Clock) -> None:
        self._storage = storage
        self._now = clock

    async def seed_defaults(self) -> None:
        """Categories and rule attributes of a new installation (idempotent)."""
        async with self._storage.unit_of_work() as uow:
            existing = {c.slug for c in await uow.categories.list()}
            for slug, name, color, kind in DEFAULT_CATEGORIES:
                if slug not in existing:
                    await uow.categories.add(Category(new_id(), slug, name, "", color, kind))
            if await uow.categories.count_attributes() == 0:
                for name, text in DEFAULT_ATTRIBUTES:
                    await uow.categories.add_attribute(name, text)

    async def list_tags(self, principal: Principal, project_id: str) -> list[Tag]:
        if not principal.can(project_id, "project.view"):
            raise NotFoundError("project", project_id)
        async with self._storage.unit_of_work() as uow:
            await uow.projects.get(project_id)
            return list(await uow.tags.list(project_id))

    async def create_tag(
        self,
        principal: Principal,
        project_id: str,
        *,
        name: str,
        slug: str | None,
        color: str,
        description: str,
        category_id: str | None,
    ) -> Tag:
        require(principal, project_id, "tag.manage")
        slug = slug or slugify(name)
        if not SLUG_PATTERN.match(slug):
            raise InvalidInputError("slug: lower-case letters, digits, '-' and '_'")
        if not 1 <= len(name.strip()) <= 100:
            raise InvalidInputError("name: 1-100 characters")
        tag = Tag(
            new_id(),
            project_id,
            slug,
            name.strip(),
            check_color(color),
            description[:300],
            category_id or None,
        )
        async with self._storage.unit_of_work() as uow:
            await uow.projects.get(project_id)
            if category_id:
                await uow.categories.get(category_id)
            await uow.tags.add(tag)
            await audit(
                uow,
                principal,
                self._now(),
                entity="tag",
                entity_id=tag.id,
                action="create",
                project_id=project_id,
                new={"slug": slug, "name": tag.name},
            )
        return tag

    async def update_tag(
        self,
        principal: Principal,
        tag_id: str,
        *,
        name: str | None,
        color: str | None,
        description: str | None,
        category_id: str | None,
    ) -> Tag:
        async with self._storage.unit_of_work() as uow:
            old = await uow.tags.get(tag_id)
            require(principal, old.project_id, "tag.manage")
            new = replace(
                old,
                name=old.name if name is None else name.strip()[:100],
                color=old.color if color is None else check_color(color),
                description=old.description if description is None else description[:300],
                category_id=old.category_id if category_id is None else (category_id or None),
            )
            await uow.tags.update(new)
            await audit(
                uow,
                principal,
                self._now(),
                entity="tag",
                entity_id=tag_id,
                action="update",
                project_id=old.project_id,
                old={"name": old.name, "color": old.color},
                new={"name": new.name, "color": new.color},
            )
            return new

    async def delete_tag(self, principal: Principal, tag_id: str) -> None:
        async with self._storage.unit_of_work() as uow:
            tag = await uow.tags.get(tag_id)
            require(principal, tag.project_id, "tag.manage")
            if tag.slug in _SAFETY:
                raise ConflictError(
                    f"the safety tag {tag.slug!r} cannot be deleted", code="safety_tag"
                )
            await uow.tags.delete(tag_id)
            await audit(
                uow,
                principal,
                self._now(),
                entity="tag",
                entity_id=tag_id,
                action="delete",
                project_id=tag.project_id,
                old={"slug": tag.slug},
            )

    async def list_categories(self) -> list[Category]:
        async with self._storage.unit_of_work() as uow:
            return list(await uow.categories.list())

    async def create_category(
        self, principal: Principal, *, name: str, color: str, description: str
    ) -> Category:
        if not principal.is_superuser and not any(
            principal.can(p, "tag.manage") for p in principal.roles
        ):
            raise PermissionDeniedError("permission denied: tag.manage is required")
        if not 1 <= len(name.strip()) <= 100:
            raise InvalidInputError("name: 1-100 characters")
        category = Category(
            new_id(), slugify(name), name.strip(), description[:300], check_color(color), "user"
        )
        async with self._storage.unit_of_work() as uow:
            await uow.categories.add(category)
            await audit(
                uow,
                principal,
                self._now(),
                entity="category",
                entity_id=category.id,
                action="create",
                project_id=None,
                new={"name": category.name},
            )
        return category

    async def delete_category(self, principal: Principal, category_id: str) -> None:
        if not principal.is_superuser:
            raise PermissionDeniedError("only superusers delete categories")
        async with self._storage.unit_of_work() as uow:
            category = await uow.categories.get(category_id)
            if category.kind == "system":
                raise ConflictError("system categories cannot be deleted", code="system_category")
            await uow.categories.delete(category_id)
            await audit(
                uow,
                principal,
                self._now(),
                entity="category",
                entity_id=category_id,
                action="delete",
                project_id=None,
                old={"name": category.name},
            )

    async def list_attributes(self) -> list[tuple[str, str]]:
        async with self._storage.unit_of_work() as uow:
            return list(await uow.categories.list_attributes())

    async def add_attribute(self, principal: Principal, name: str, description: str) -> None:
        if not principal.is_superuser:
            raise PermissionDeniedError("only superusers edit the attribute dictionary")
        async with self._storage.unit_of_work() as uow:
            await uow.categories.add_attribute(name, description[:300])

    async def delete_attribute(self, principal: Principal, name: str) -> None:
        if not principal.is_superuser:
            raise PermissionDeniedError("only superusers edit the attribute dictionary")
        async with self._storage.unit_of_work() as uow:
            await uow.categories.delete_attribute(name)
