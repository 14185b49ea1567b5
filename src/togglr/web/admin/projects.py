"""Projects, environments (with SDK keys) and project settings."""

from __future__ import annotations

from fastapi import APIRouter, Query, Response

from togglr.web.auth import CurrentPrincipal, Svc
from togglr.web.errors import PENDING_RESPONSE
from togglr.web.schemas import (
    EnvironmentCreate,
    EnvironmentRead,
    EnvironmentUpdate,
    PageRead,
    ProjectCreate,
    ProjectRead,
    ProjectSettingsRead,
    ProjectSettingsUpdate,
    ProjectUpdate,
)

router = APIRouter(tags=["projects"])


@router.get("/projects")
async def list_projects(
    principal: CurrentPrincipal,
    svc: Svc,
    search: str | None = Query(None, max_length=100),
    include_archived: bool = False,
    page: int = Query(1, ge=1, le=1_000_000),
    per_page: int = Query(50, ge=1, le=500),
) -> PageRead[ProjectRead]:
    result = await svc.projects.list(
        principal, search=search, include_archived=include_archived, page=page, per_page=per_page
    )
    return PageRead[ProjectRead](
        items=[ProjectRead.of(p) for p in result.items],
        total=result.total,
        page=page,
        per_page=per_page,
    )


@router.post("/projects", status_code=201)
async def create_project(body: ProjectCreate, principal: CurrentPrincipal, svc: Svc) -> ProjectRead:
    return ProjectRead.of(
        await svc.projects.create(principal, name=body.name, description=body.description)
    )


@router.get("/projects/{project_id}")
async def get_project(project_id: str, principal: CurrentPrincipal, svc: Svc) -> ProjectRead:
    return ProjectRead.of(await svc.projects.get(principal, project_id))


@router.patch("/projects/{project_id}", responses=PENDING_RESPONSE)
async def update_project(
    project_id: str, body: ProjectUpdate, principal: CurrentPrincipal, svc: Svc
) -> ProjectRead:
    project = await svc.projects.update(
        principal, project_id, name=body.name, description=body.description, archived=body.archived
    )
    return ProjectRead.of(project)


@router.delete("/projects/{project_id}", status_code=204, responses=PENDING_RESPONSE)
async def delete_project(project_id: str, principal: CurrentPrincipal, svc: Svc) -> Response:
    await svc.projects.delete(principal, project_id)
    return Response(status_code=204)


@router.get("/projects/{project_id}/environments")
async def list_environments(
    project_id: str, principal: CurrentPrincipal, svc: Svc
) -> PageRead[EnvironmentRead]:
    envs = await svc.projects.list_environments(principal, project_id)
    return PageRead[EnvironmentRead](
        items=[EnvironmentRead.of(e) for e in envs],
        total=len(envs),
        page=1,
        per_page=max(len(envs), 1),
    )


@router.post("/projects/{project_id}/environments", status_code=201)
async def create_environment(
    project_id: str, body: EnvironmentCreate, principal: CurrentPrincipal, svc: Svc
) -> EnvironmentRead:
    env = await svc.projects.create_environment(
        principal,
        project_id,
        key=body.key,
        name=body.name,
        requires_approval=body.requires_approval,
    )
    return EnvironmentRead.of(env)


@router.get("/projects/{project_id}/environments/{env_key}")
async def get_environment(
    project_id: str, env_key: str, principal: CurrentPrincipal, svc: Svc
) -> EnvironmentRead:
    return EnvironmentRead.of(await svc.projects.get_environment(principal, project_id, env_key))


@router.patch("/projects/{project_id}/environments/{env_key}", responses=PENDING_RESPONSE)
async def update_environment(
    project_id: str, env_key: str, body: EnvironmentUpdate, principal: CurrentPrincipal, svc: Svc
) -> EnvironmentRead:
    env = await svc.projects.update_environment(
        principal, project_id, env_key, name=body.name, requires_approval=body.requires_approval
    )
    return EnvironmentRead.of(env)


@router.post("/projects/{project_id}/environments/{env_key}/rotate-key")
async def rotate_key(
    project_id: str, env_key: str, principal: CurrentPrincipal, svc: Svc
) -> EnvironmentRead:
    return EnvironmentRead.of(await svc.projects.rotate_key(principal, project_id, env_key))


@router.delete(
    "/projects/{project_id}/environments/{env_key}", status_code=204, responses=PENDING_RESPONSE
)
async def delete_environment(
    project_id: str, env_key: str, principal: CurrentPrincipal, svc: Svc
) -> Response:
    await svc.projects.delete_environment(principal, project_id, env_key)
    return Response(status_code=204)


@router.get("/projects/{project_id}/settings")
async def get_settings(
    project_id: str, principal: CurrentPrincipal, svc: Svc
) -> ProjectSettingsRead:
    return ProjectSettingsRead.of(await svc.projects.get_settings(principal, project_id))


@router.put("/projects/{project_id}/settings", responses=PENDING_RESPONSE)
async def put_settings(
    project_id: str, body: ProjectSettingsUpdate, principal: CurrentPrincipal, svc: Svc
) -> ProjectSettingsRead:
    changes = body.model_dump(exclude_none=True)
    return ProjectSettingsRead.of(await svc.projects.put_settings(principal, project_id, changes))
