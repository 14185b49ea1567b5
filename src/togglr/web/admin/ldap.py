"""LDAP administration (superusers): configuration, connection test, user sync and its logs."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Body, Depends, Query, Response
from pydantic import BaseModel, Field, StrictBool

from togglr.services.ldap import (
    KEEP,
    CheckResult,
    LdapService,
    StoredConfig,
    SyncLog,
    SyncRun,
    SyncStatus,
)
from togglr.web.auth import CurrentPrincipal, Svc
from togglr.web.schemas import PageRead, Request

router = APIRouter(tags=["ldap"])


def _service(svc: Svc) -> LdapService:
    service: LdapService = svc.extra["ldap"]
    return service


Ldap = Annotated[LdapService, Depends(_service)]


class LdapConfigBase(BaseModel):
    enabled: StrictBool = False
    url: str = Field("", max_length=500, description="ldap://host:389 or ldaps://host:636")
    bind_dn: str = Field(
        "", max_length=500, description="Service account that searches users; empty = anonymous"
    )
    user_base_dn: str = Field("", max_length=500, description="Where users are searched")
    user_filter: str = Field("(objectClass=inetOrgPerson)", min_length=3, max_length=1000)
    username_attribute: str = Field("uid", min_length=1, max_length=64)
    email_attribute: str = Field("mail", min_length=1, max_length=64)
    start_tls: StrictBool = False
    tls_verify: StrictBool = Field(
        True, description="Verify the server certificate (StartTLS and ldaps)"
    )
    tls_ca_cert: str = Field(
        "", max_length=20000, description="PEM of the CA to trust; empty = system store"
    )
    timeout_seconds: int = Field(10, ge=1, le=120)
    sync_interval_seconds: int = Field(
        0, ge=0, description="Seconds between periodic syncs; 0 = off"
    )


class LdapConfigUpdate(LdapConfigBase, Request):
    """The whole configuration. Omit bind_password (or send null) to keep the stored one."""

    bind_password: str | None = Field(
        None, max_length=256, description='Stored encrypted; "" clears it'
    )


class LdapTestRequest(Request):
    """Unsaved changes to try; omitted fields come from the stored configuration."""

    enabled: StrictBool | None = None
    url: str | None = Field(None, max_length=500)
    bind_dn: str | None = Field(None, max_length=500)
    bind_password: str | None = Field(None, max_length=256)
    user_base_dn: str | None = Field(None, max_length=500)
    user_filter: str | None = Field(None, min_length=3, max_length=1000)
    username_attribute: str | None = Field(None, min_length=1, max_length=64)
    email_attribute: str | None = Field(None, min_length=1, max_length=64)
    start_tls: StrictBool | None = None
    tls_verify: StrictBool | None = None
    tls_ca_cert: str | None = Field(None, max_length=20000)
    timeout_seconds: int | None = Field(None, ge=1, le=120)


class LdapConfigRead(LdapConfigBase):
    has_bind_password: bool = Field(
        description="Whether a bind password is stored (it is never returned)"
    )
    updated_at: datetime | None

    @classmethod
    def of(cls, stored: StoredConfig) -> LdapConfigRead:
        return cls(
            **stored.config.to_dict(),
            has_bind_password=stored.has_bind_password,
            updated_at=stored.updated_at,
        )


class LdapTestRead(BaseModel):
    success: bool
    message: str
    steps: list[str]
    users_found: int
    sample_users: list[str]

    @classmethod
    def of(cls, result: CheckResult) -> LdapTestRead:
        return cls(
            success=result.success,
            message=result.message,
            steps=result.steps,
            users_found=result.users_found,
            sample_users=result.sample_users,
        )


class SyncRunRead(BaseModel):
    id: str
    trigger: Literal["manual", "periodic"]
    status: Literal["running", "completed", "failed", "cancelled"]
    started_by: str
    started_at: datetime
    heartbeat_at: datetime
    finished_at: datetime | None
    progress: float = Field(description="Share of directory entries applied, 0..1")
    total: int = Field(description="Users listed by the directory")
    processed: int
    created: int
    updated: int
    reactivated: int
    deactivated: int
    skipped: int
    errors: int
    message: str

    @classmethod
    def of(cls, run: SyncRun) -> SyncRunRead:
        return cls(
            id=run.id,
            trigger=run.trigger,  # type: ignore[arg-type]
            status=run.status,  # type: ignore[arg-type]
            started_by=run.started_by,
            started_at=run.started_at,
            heartbeat_at=run.heartbeat_at,
            finished_at=run.finished_at,
            progress=round(run.progress, 4),
            message=run.message,
            **run.counts.as_dict(),
        )


class SyncStatusRead(BaseModel):
    is_running: bool
    current: SyncRunRead | None = Field(description="The sync in progress")
    last: SyncRunRead | None = Field(description="The latest finished sync")

    @classmethod
    def of(cls, status: SyncStatus) -> SyncStatusRead:
        return cls(
            is_running=status.current is not None,
            current=SyncRunRead.of(status.current) if status.current else None,
            last=SyncRunRead.of(status.last) if status.last else None,
        )


class SyncLogRead(BaseModel):
    id: int
    run_id: str
    level: Literal["info", "warning", "error"]
    username: str | None
    message: str
    created_at: datetime

    @classmethod
    def of(cls, entry: SyncLog) -> SyncLogRead:
        return cls.model_validate(entry, from_attributes=True)


def _password(body: LdapConfigUpdate | LdapTestRequest) -> Any:
    return body.bind_password if body.bind_password is not None else KEEP


@router.get("/ldap/config")
async def get_config(principal: CurrentPrincipal, ldap: Ldap) -> LdapConfigRead:
    return LdapConfigRead.of(await ldap.get_config(principal))


@router.put("/ldap/config")
async def put_config(
    body: LdapConfigUpdate, principal: CurrentPrincipal, ldap: Ldap
) -> LdapConfigRead:
    changes = body.model_dump(exclude={"bind_password"})
    return LdapConfigRead.of(await ldap.put_config(principal, changes, _password(body)))


@router.post("/ldap/test")
async def test_connection(
    principal: CurrentPrincipal, ldap: Ldap, body: Annotated[LdapTestRequest | None, Body()] = None
) -> LdapTestRead:
    body = body or LdapTestRequest.model_validate({})
    changes = body.model_dump(exclude_unset=True, exclude_none=True, exclude={"bind_password"})
    return LdapTestRead.of(await ldap.test_connection(principal, changes, _password(body)))


@router.post("/ldap/sync", status_code=202)
async def start_sync(principal: CurrentPrincipal, ldap: Ldap) -> SyncRunRead:
    return SyncRunRead.of(await ldap.start_sync(principal))


@router.get("/ldap/sync/status")
async def sync_status(
    principal: CurrentPrincipal, ldap: Ldap, response: Response
) -> SyncStatusRead:
    response.headers["Cache-Control"] = "no-store"
    return SyncStatusRead.of(await ldap.status(principal))


@router.get("/ldap/sync/logs")
async def sync_logs(
    principal: CurrentPrincipal,
    ldap: Ldap,
    run_id: str | None = Query(None, max_length=36),
    level: Literal["info", "warning", "error"] | None = None,
    username: str | None = Query(None, max_length=255),
    page: int = Query(1, ge=1, le=1_000_000),
    per_page: int = Query(50, ge=1, le=500),
) -> PageRead[SyncLogRead]:
    result = await ldap.list_logs(
        principal, run_id=run_id, level=level, username=username, page=page, per_page=per_page
    )
    return PageRead[SyncLogRead](
        items=[SyncLogRead.of(e) for e in result.items],
        total=result.total,
        page=page,
        per_page=per_page,
    )
