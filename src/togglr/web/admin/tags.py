"""Tags, categories and the rule-attribute dictionary."""

from __future__ import annotations

from fastapi import APIRouter, Response

from togglr.web.auth import CurrentPrincipal, Svc
from togglr.web.schemas import (
    AttributeModel,
    AttributesRead,
    CategoriesRead,
    CategoryCreate,
    CategoryRead,
    TagCreate,
    TagRead,
    TagsRead,
    TagUpdate,
)

router = APIRouter(tags=["tags"])


@router.get("/projects/{project_id}/tags")
async def list_tags(project_id: str, principal: CurrentPrincipal, svc: Svc) -> TagsRead:
    return TagsRead(items=[TagRead.of(t) for t in await svc.tags.list_tags(principal, project_id)])


@router.post("/projects/{project_id}/tags", status_code=201)
async def create_tag(
    project_id: str, body: TagCreate, principal: CurrentPrincipal, svc: Svc
) -> TagRead:
    tag = await svc.tags.create_tag(
        principal,
        project_id,
        name=body.name,
        slug=body.slug,
        color=body.color,
        description=body.description,
        category_id=body.category_id,
    )
    return TagRead.of(tag)


@router.patch("/tags/{tag_id}")
async def update_tag(
    tag_id: str, body: TagUpdate, principal: CurrentPrincipal, svc: Svc
) -> TagRead:
    tag = await svc.tags.update_tag(
        principal,
        tag_id,
        name=body.name,
        color=body.color,
        description=body.description,
        category_id=body.category_id,
    )
    return TagRead.of(tag)


@router.delete("/tags/{tag_id}", status_code=204)
async def delete_tag(tag_id: str, principal: CurrentPrincipal, svc: Svc) -> Response:
    await svc.tags.delete_tag(principal, tag_id)
    return Response(status_code=204)


@router.get("/categories")
async def list_categories(principal: CurrentPrincipal, svc: Svc) -> CategoriesRead:
    return CategoriesRead(items=[CategoryRead.of(c) for c in await svc.tags.list_categories()])


@router.post("/categories", status_code=201)
async def create_category(
    body: CategoryCreate, principal: CurrentPrincipal, svc: Svc
) -> CategoryRead:
    category = await svc.tags.create_category(
        principal, name=body.name, color=body.color, description=body.description
    )
    return CategoryRead.of(category)


@router.delete("/categories/{category_id}", status_code=204)
async def delete_category(category_id: str, principal: CurrentPrincipal, svc: Svc) -> Response:
    await svc.tags.delete_category(principal, category_id)
    return Response(status_code=204)


@router.get("/rule-attributes")
async def list_attributes(principal: CurrentPrincipal, svc: Svc) -> AttributesRead:
    return AttributesRead(
        items=[AttributeModel(name=n, description=d) for n, d in await svc.tags.list_attributes()]
    )


@router.post("/rule-attributes", status_code=201)
async def add_attribute(
    body: AttributeModel, principal: CurrentPrincipal, svc: Svc
) -> AttributeModel:
    await svc.tags.add_attribute(principal, body.name, body.description)
    return body


@router.delete("/rule-attributes/{name}", status_code=204)
async def delete_attribute(name: str, principal: CurrentPrincipal, svc: Svc) -> Response:
    await svc.tags.delete_attribute(principal, name)
    return Response(status_code=204)
