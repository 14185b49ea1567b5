"""Tags, categories and the rule-attribute dictionary."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from togglr.domain.errors import NotFoundError
from togglr.domain.tags import Category, Tag
from togglr.storage.sql import tables as t
from togglr.storage.sql.errors import translate_integrity


def _tag(row: Any) -> Tag:
    return Tag(
        id=row.id,
        project_id=row.project_id,
        slug=row.slug,
        name=row.name,
        color=row.color,
        description=row.description,
        category_id=row.category_id,
    )


def _category(row: Any) -> Category:
    return Category(
        id=row.id,
        slug=row.slug,
        name=row.name,
        description=row.description,
        color=row.color,
        kind=row.kind,
    )


class SqlTagRepository:
    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn

    async def add(self, tag: Tag) -> None:
        with translate_integrity(f"tag {tag.slug!r}"):
            await self._conn.execute(
                t.tags.insert().values(
                    id=tag.id,
                    project_id=tag.project_id,
                    slug=tag.slug,
                    name=tag.name,
                    color=tag.color,
                    description=tag.description,
                    category_id=tag.category_id,
                )
            )

    async def update(self, tag: Tag) -> None:
        with translate_integrity(f"tag {tag.slug!r}"):
            await self._conn.execute(
                t.tags.update()
                .where(t.tags.c.id == tag.id)
                .values(
                    slug=tag.slug,
                    name=tag.name,
                    color=tag.color,
                    description=tag.description,
                    category_id=tag.category_id,
                )
            )

    async def delete(self, tag_id: str) -> None:
        await self._conn.execute(t.tags.delete().where(t.tags.c.id == tag_id))

    async def get(self, tag_id: str) -> Tag:
        row = (await self._conn.execute(t.tags.select().where(t.tags.c.id == tag_id))).first()
        if row is None:
            raise NotFoundError("tag", tag_id)
        return _tag(row)

    async def list(self, project_id: str) -> list[Tag]:
        rows = await self._conn.execute(
            t.tags.select().where(t.tags.c.project_id == project_id).order_by(t.tags.c.slug)
        )
        return [_tag(r) for r in rows]


class SqlCategoryRepository:
    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn

    async def add(self, category: Category) -> None:
        with translate_integrity(f"category {category.slug!r}"):
            await self._conn.execute(
                t.categories.insert().values(
                    id=category.id,
                    slug=category.slug,
                    name=category.name,
                    description=category.description,
                    color=category.color,
                    kind=category.kind,
                )
            )

    async def update(self, category: Category) -> None:
        with translate_integrity(f"category {category.slug!r}"):
            await self._conn.execute(
                t.categories.update()
                .where(t.categories.c.id == category.id)
                .values(name=category.name, description=category.description, color=category.color)
            )

    async def delete(self, category_id: str) -> None:
        await self._conn.execute(t.categories.delete().where(t.categories.c.id == category_id))

    async def get(self, category_id: str) -> Category:
        row = (
            await self._conn.execute(t.categories.select().where(t.categories.c.id == category_id))
        ).first()
        if row is None:
            raise NotFoundError("category", category_id)
        return _category(row)

    async def list(self) -> list[Category]:
        return [
            _category(r)
            for r in await self._conn.execute(t.categories.select().order_by(t.categories.c.name))
        ]

    async def list_attributes(self) -> list[tuple[str, str]]:
        rows = await self._conn.execute(
            t.rule_attributes.select().order_by(t.rule_attributes.c.name)
        )
        return [(r.name, r.description) for r in rows]

    async def add_attribute(self, name: str, description: str) -> None:
        with translate_integrity(f"attribute {name!r}"):
            await self._conn.execute(
                t.rule_attributes.insert().values(name=name, description=description)
            )

    async def delete_attribute(self, name: str) -> None:
        await self._conn.execute(t.rule_attributes.delete().where(t.rule_attributes.c.name == name))

    async def count_attributes(self) -> int:
        return int(
            (
                await self._conn.execute(sa.select(sa.func.count()).select_from(t.rule_attributes))
            ).scalar_one()
        )
