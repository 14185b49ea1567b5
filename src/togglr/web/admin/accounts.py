"""Sign-in, the current user, user administration, roles and memberships."""

from __future__ import annotations

from fastapi import APIRouter, Query, Request, Response

from togglr.domain.accounts import ROLES
from togglr.web.auth import CurrentPrincipal, PrincipalOnHold, Svc, client_meta
from togglr.web.schemas import (
    ChangePasswordRequest,
    LoginRequest,
    MembershipCreate,
    MembershipRead,
    MembershipUpdate,
    MeRead,
    PageRead,
    PasswordRead,
    RefreshRequest,
    RolesRead,
    TokenRead,
    UserCreate,
    UserRead,
    UserUpdate,
    roles_read,
)

router = APIRouter()


def _tokens(pair: object) -> TokenRead:
    return TokenRead.model_validate(pair, from_attributes=True)


@router.post("/auth/login", tags=["auth"])
async def login(body: LoginRequest, request: Request, svc: Svc) -> TokenRead:
    ua, ip = client_meta(request)
    login_hook = svc.extra.get("login")  # 2FA / LDAP plug in here
    if login_hook is not None:
        return _tokens(await login_hook(body.username, body.password, ua, ip))
    return _tokens(await svc.accounts.login(body.username, body.password, user_agent=ua, ip=ip))


@router.post("/auth/refresh", tags=["auth"])
async def refresh(body: RefreshRequest, request: Request, svc: Svc) -> TokenRead:
    ua, ip = client_meta(request)
    refresh_hook = svc.extra.get("refresh")  # rate limiting plugs in here
    if refresh_hook is not None:
        return _tokens(await refresh_hook(body.refresh_token, ua, ip))
    return _tokens(await svc.accounts.refresh(body.refresh_token, user_agent=ua, ip=ip))


@router.post("/auth/logout", status_code=204, tags=["auth"])
async def logout(body: RefreshRequest, svc: Svc) -> Response:
    await svc.accounts.logout(body.refresh_token)
    return Response(status_code=204)


@router.get("/users/me", tags=["users"])
async def me(principal: PrincipalOnHold, svc: Svc) -> MeRead:
    user, roles = await svc.accounts.me(principal)
    perms = {p: sorted(ROLES[r][1]) for p, r in roles.items()}
    return MeRead(
        **UserRead.of(user).model_dump(),
        project_roles=roles,
        project_permissions=perms,
        can_create_projects=principal.can_create_projects(),
    )


@router.post("/users/me/change-password", status_code=204, tags=["users"])
async def change_password(
    body: ChangePasswordRequest, principal: PrincipalOnHold, svc: Svc
) -> Response:
    await svc.accounts.change_password(principal, body.old_password, body.new_password)
    return Response(status_code=204)


@router.get("/users", tags=["users"])
async def list_users(
    principal: CurrentPrincipal,
    svc: Svc,
    search: str | None = Query(None, max_length=100),
    page: int = Query(1, ge=1, le=1_000_000),
    per_page: int = Query(50, ge=1, le=500),
) -> PageRead[UserRead]:
    result = await svc.accounts.list_users(principal, search=search, page=page, per_page=per_page)
    return PageRead[UserRead](
        items=[UserRead.of(u) for u in result.items],
        total=result.total,
        page=page,
        per_page=per_page,
    )


@router.post("/users", status_code=201, tags=["users"])
async def create_user(body: UserCreate, principal: CurrentPrincipal, svc: Svc) -> UserRead:
    user = await svc.accounts.create_user(
        principal,
        username=body.username,
        email=body.email,
        password=body.password,
        is_superuser=body.is_superuser,
    )
    return UserRead.of(user)


@router.get("/users/{user_id}", tags=["users"])
async def get_user(user_id: str, principal: CurrentPrincipal, svc: Svc) -> UserRead:
    return UserRead.of(await svc.accounts.get_user(principal, user_id))


@router.patch("/users/{user_id}", tags=["users"])
async def update_user(
    user_id: str, body: UserUpdate, principal: CurrentPrincipal, svc: Svc
) -> UserRead:
    user = await svc.accounts.update_user(
        principal,
        user_id,
        is_active=body.is_active,
        is_superuser=body.is_superuser,
        email=body.email,
    )
    return UserRead.of(user)


@router.delete("/users/{user_id}", status_code=204, tags=["users"])
async def delete_user(user_id: str, principal: CurrentPrincipal, svc: Svc) -> Response:
    await svc.accounts.delete_user(principal, user_id)
    return Response(status_code=204)


@router.post("/users/{user_id}/reset-password", tags=["users"])
async def reset_password(user_id: str, principal: CurrentPrincipal, svc: Svc) -> PasswordRead:
    return PasswordRead(password=await svc.accounts.reset_password(principal, user_id))


@router.get("/roles", tags=["users"])
async def roles(principal: CurrentPrincipal) -> RolesRead:
    return roles_read()


@router.get("/projects/{project_id}/memberships", tags=["memberships"])
async def list_memberships(
    project_id: str, principal: CurrentPrincipal, svc: Svc
) -> PageRead[MembershipRead]:
    rows = await svc.accounts.list_memberships(principal, project_id)
    items = [MembershipRead.of(m, u) for m, u in rows]
    return PageRead[MembershipRead](
        items=items, total=len(items), page=1, per_page=max(len(items), 1)
    )


@router.post("/projects/{project_id}/memberships", status_code=201, tags=["memberships"])
async def add_membership(
    project_id: str, body: MembershipCreate, principal: CurrentPrincipal, svc: Svc
) -> MembershipRead:
    return MembershipRead.of(
        await svc.accounts.add_membership(principal, project_id, body.user_id, body.role_id)
    )


@router.put("/projects/{project_id}/memberships/{membership_id}", tags=["memberships"])
async def update_membership(
    project_id: str,
    membership_id: str,
    body: MembershipUpdate,
    principal: CurrentPrincipal,
    svc: Svc,
) -> MembershipRead:
    return MembershipRead.of(
        await svc.accounts.update_membership(principal, project_id, membership_id, body.role_id)
    )


@router.delete(
    "/projects/{project_id}/memberships/{membership_id}", status_code=204, tags=["memberships"]
)
async def delete_membership(
    project_id: str, membership_id: str, principal: CurrentPrincipal, svc: Svc
) -> Response:
    await svc.accounts.delete_membership(principal, project_id, membership_id)
    return Response(status_code=204)
