"""Request and response models of the management API. Names follow <Thing><Create|Update|Read|Page>."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Annotated, Any, Generic, Literal, TypeVar

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, StrictBool

from togglr.domain.accounts import ROLES, Membership, User
from togglr.domain.audit import AuditEntry
from togglr.domain.features import Feature, FeatureState
from togglr.domain.projects import Environment, Project, ProjectSettings
from togglr.domain.segments import Segment
from togglr.domain.tags import Category, Tag

T = TypeVar("T")


class Request(BaseModel):
    """A request body. Booleans are `StrictBool`: pydantic would read 0, 1 or "no" as booleans."""

    model_config = ConfigDict(extra="forbid")


_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def _iso_text(value: Any) -> Any:
    # Pydantic reads numbers and numeric strings ("0.5") as Unix times; the API documents
    # ISO 8601 (format date-time) only.
    if isinstance(value, int | float) or (isinstance(value, str) and not _ISO_DATE.match(value)):
        raise ValueError("expected an ISO 8601 date-time, e.g. 2025-06-01T00:00:00Z")
    return value


DateTime = Annotated[datetime, BeforeValidator(_iso_text)]
"""A date-time given as ISO 8601 text (query parameters, request bodies), never a number."""


class ErrorDetail(BaseModel):
    code: str
    message: str


class ErrorRead(BaseModel):
    error: ErrorDetail


class PageRead(BaseModel, Generic[T]):
    items: list[T]
    total: int
    page: int
    per_page: int


# --- auth -------------------------------------------------------------------------------
class LoginRequest(Request):
    username: str = Field(min_length=1, max_length=255, description="Username or e-mail")
    password: str = Field(min_length=1, max_length=256)


class RefreshRequest(Request):
    refresh_token: str = Field(min_length=1, max_length=4096)


class TokenRead(BaseModel):
    access_token: str
    refresh_token: str
    token_type: Literal["bearer"] = "bearer"
    expires_in: int = Field(description="Seconds until the access token expires")
    is_tmp_password: bool


class ChangePasswordRequest(Request):
    old_password: str = Field(min_length=1, max_length=256)
    new_password: str = Field(min_length=1, max_length=256)


# --- users ------------------------------------------------------------------------------
class UserCreate(Request):
    username: str = Field(min_length=1, max_length=255, pattern=r"^[A-Za-z0-9_.@+-]+$")
    email: str = Field(min_length=3, max_length=255, pattern=r"^[^@\s]+@[^@\s]+$")
    password: str = Field(min_length=1, max_length=256)
    is_superuser: StrictBool = False


class UserUpdate(Request):
    is_active: StrictBool | None = None
    is_superuser: StrictBool | None = None
    email: str | None = Field(None, min_length=3, max_length=255, pattern=r"^[^@\s]+@[^@\s]+$")


class UserRead(BaseModel):
    id: str
    username: str
    email: str
    is_superuser: bool
    is_active: bool
    is_tmp_password: bool
    is_external: bool
    two_fa_enabled: bool
    created_at: datetime
    last_login: datetime | None

    @classmethod
    def of(cls, u: User) -> UserRead:
        return cls(
            id=u.id,
            username=u.username,
            email=u.email,
            is_superuser=u.is_superuser,
            is_active=u.is_active,
            is_tmp_password=u.is_tmp_password,
            is_external=u.is_external,
            two_fa_enabled=u.two_fa_enabled,
            created_at=u.created_at,
            last_login=u.last_login,
        )


class MeRead(UserRead):
    project_roles: dict[str, str] = Field(description="project id -> role key")
    project_permissions: dict[str, list[str]] = Field(description="project id -> permissions")
    can_create_projects: bool


class PasswordRead(BaseModel):
    password: str


class RoleRead(BaseModel):
    id: str
    key: str
    name: str
    permissions: list[str]


class RolesRead(BaseModel):
    items: list[RoleRead]


def roles_read() -> RolesRead:
    return RolesRead(
        items=[RoleRead(id=k, key=k, name=n, permissions=sorted(p)) for k, (n, p) in ROLES.items()]
    )


class MembershipCreate(Request):
    user_id: str
    role_id: str = Field(description="Role key: owner, manager, member or viewer")


class MembershipUpdate(Request):
    role_id: str


class MembershipRead(BaseModel):
    id: str
    project_id: str
    user_id: str
    role_id: str
    role_key: str
    username: str | None = None
    email: str | None = None
    created_at: datetime

    @classmethod
    def of(cls, m: Membership, user: User | None = None) -> MembershipRead:
        return cls(
            id=m.id,
            project_id=m.project_id,
            user_id=m.user_id,
            role_id=m.role_key,
            role_key=m.role_key,
            username=user.username if user else None,
            email=(user.email or None) if user else None,  # hidden from who may not manage
            created_at=m.created_at,
        )


# --- projects and environments --------------------------------------------------------------
class ProjectCreate(Request):
    name: str = Field(min_length=1, max_length=128)
    description: str = Field("", max_length=1000)


class ProjectUpdate(Request):
    name: str | None = Field(None, min_length=1, max_length=128)
    description: str | None = Field(None, max_length=1000)
    archived: StrictBool | None = None


class ProjectRead(BaseModel):
    id: str
    name: str
    description: str
    created_at: datetime
    updated_at: datetime
    archived_at: datetime | None

    @classmethod
    def of(cls, p: Project) -> ProjectRead:
        return cls(
            id=p.id,
            name=p.name,
            description=p.description,
            created_at=p.created_at,
            updated_at=p.updated_at,
            archived_at=p.archived_at,
        )


class EnvironmentCreate(Request):
    key: str = Field(min_length=1, max_length=20)
    name: str = Field("", max_length=50)
    requires_approval: StrictBool = False


class EnvironmentUpdate(Request):
    name: str | None = Field(None, max_length=50)
    requires_approval: StrictBool | None = None


class EnvironmentRead(BaseModel):
    id: str
    project_id: str
    key: str
    name: str
    api_key: str
    requires_approval: bool
    created_at: datetime

    @classmethod
    def of(cls, e: Environment) -> EnvironmentRead:
        return cls(
            id=e.id,
            project_id=e.project_id,
            key=e.key,
            name=e.name,
            api_key=e.api_key,
            requires_approval=e.requires_approval,
            created_at=e.created_at,
        )


class ProjectSettingsRead(BaseModel):
    auto_disable_enabled: bool
    auto_disable_error_threshold: int
    auto_disable_time_window_sec: int
    auto_disable_requires_approval: bool
    required_approvals: int
    audit_log_retention_days: int

    @classmethod
    def of(cls, s: ProjectSettings) -> ProjectSettingsRead:
        return cls(**{k: getattr(s, k) for k in cls.model_fields})


class ProjectSettingsUpdate(Request):
    auto_disable_enabled: StrictBool | None = None
    auto_disable_error_threshold: int | None = Field(None, ge=1, le=1_000_000)
    auto_disable_time_window_sec: int | None = Field(None, ge=1, le=86_400)
    auto_disable_requires_approval: StrictBool | None = None
    required_approvals: int | None = Field(None, ge=1, le=10)
    audit_log_retention_days: int | None = Field(None, ge=1, le=3650)


# --- features ------------------------------------------------------------------------------
JsonValue = str | int | float | bool | dict[str, Any] | list[Any] | None


class FeatureCreate(Request):
    key: str = Field(min_length=2, max_length=50, pattern=r"^[A-Za-z0-9_:@!#$.-]+$")
    name: str = Field(min_length=1, max_length=100)
    kind: Literal["simple", "multivariant"] = "simple"
    rollout_key: str | None = Field(None, max_length=100)
    description: str = Field("", max_length=1000)
    tags: list[str] = Field(default_factory=list, max_length=50, description="Tag slugs")
    category_id: str | None = None


class FeatureUpdate(Request):
    name: str | None = Field(None, min_length=1, max_length=100)
    description: str | None = Field(None, max_length=1000)
    rollout_key: str | None = Field(None, max_length=100, description="Empty string clears it")
    tags: list[str] | None = Field(None, max_length=50)
    category_id: str | None = None


class FeatureRead(BaseModel):
    id: str
    project_id: str
    key: str
    name: str
    description: str
    kind: str
    rollout_key: str | None
    tags: list[str]
    category_id: str | None
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, f: Feature) -> FeatureRead:
        return cls(
            id=f.id,
            project_id=f.project_id,
            key=f.key,
            name=f.name,
            description=f.description,
            kind=f.kind,
            rollout_key=f.rollout_key,
            tags=list(f.tags),
            category_id=f.category_id,
            created_at=f.created_at,
            updated_at=f.updated_at,
        )


class VariantModel(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = Field(min_length=1, max_length=128)
    rollout_percent: float = Field(ge=0, le=100)
    value: JsonValue = Field(
        None, description="Optional typed value: string, number, boolean or JSON"
    )


class RuleWrite(Request):
    id: str | None = Field(None, max_length=36)
    action: Literal["assign", "include", "exclude"]
    priority: int = Field(0, ge=0, le=10_000)
    condition: dict[str, Any] | None = Field(
        None, description="Condition tree; omitted when built from a segment"
    )
    variant: str | None = Field(None, max_length=128)
    segment_id: str | None = Field(None, max_length=36)


class RuleRead(BaseModel):
    id: str
    action: str
    priority: int
    condition: dict[str, Any]
    variant: str | None
    segment_id: str | None
    is_customized: bool


class StateWrite(Request):
    enabled: StrictBool
    default_value: str = Field("", max_length=1024)
    variants: list[VariantModel] = Field(default_factory=list, max_length=50)
    rules: list[RuleWrite] = Field(default_factory=list, max_length=100)
    comment: str = Field(
        "",
        max_length=500,
        description="Why: shown to the approvers when the change needs an approval",
    )


class ToggleRequest(Request):
    enabled: StrictBool


class StateRead(BaseModel):
    feature_id: str
    environment_id: str
    environment_key: str
    enabled: bool
    default_value: str
    variants: list[VariantModel]
    rules: list[RuleRead]
    updated_at: datetime | None
    last_evaluated_at: datetime | None

    @classmethod
    def of(cls, s: FeatureState) -> StateRead:
        return cls(
            feature_id=s.feature_id,
            environment_id=s.environment_id,
            environment_key=s.environment_key,
            enabled=s.enabled,
            default_value=s.default_value,
            variants=[
                VariantModel(name=v.name, rollout_percent=v.rollout_percent, value=v.value)
                for v in s.variants
            ],
            rules=[
                RuleRead(
                    id=r.id,
                    action=r.action.value,
                    priority=r.priority,
                    condition=r.condition,
                    variant=r.variant,
                    segment_id=r.segment_id,
                    is_customized=r.is_customized,
                )
                for r in s.rules
            ],
            updated_at=s.updated_at,
            last_evaluated_at=s.last_evaluated_at,
        )


class FeatureDetailRead(FeatureRead):
    environments: list[StateRead]


class FeatureListItem(FeatureRead):
    state: StateRead | None = Field(None, description="State in the requested environment")


# --- segments, tags, categories -----------------------------------------------------------
class SegmentCreate(Request):
    name: str = Field(min_length=1, max_length=255)
    description: str = Field("", max_length=1000)
    condition: dict[str, Any]


class SegmentUpdate(Request):
    name: str | None = Field(None, min_length=1, max_length=255)
    description: str | None = Field(None, max_length=1000)
    condition: dict[str, Any] | None = None


class SegmentRead(BaseModel):
    id: str
    project_id: str
    name: str
    description: str
    condition: dict[str, Any]
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, s: Segment) -> SegmentRead:
        return cls(
            id=s.id,
            project_id=s.project_id,
            name=s.name,
            description=s.description,
            condition=s.condition,
            created_at=s.created_at,
            updated_at=s.updated_at,
        )


class SegmentUsageRead(BaseModel):
    feature_id: str
    feature_key: str
    environment_id: str
    environment_key: str
    rule_id: str
    is_customized: bool


class SegmentUsagesRead(BaseModel):
    items: list[SegmentUsageRead]


class TagCreate(Request):
    name: str = Field(min_length=1, max_length=100)
    slug: str | None = Field(None, max_length=100)
    color: str = Field("#64748B", pattern=r"^#[0-9A-Fa-f]{6}$")
    description: str = Field("", max_length=300)
    category_id: str | None = None


class TagUpdate(Request):
    name: str | None = Field(None, min_length=1, max_length=100)
    color: str | None = Field(None, pattern=r"^#[0-9A-Fa-f]{6}$")
    description: str | None = Field(None, max_length=300)
    category_id: str | None = None


class TagRead(BaseModel):
    id: str
    project_id: str
    slug: str
    name: str
    color: str
    description: str
    category_id: str | None

    @classmethod
    def of(cls, t: Tag) -> TagRead:
        return cls(
            id=t.id,
            project_id=t.project_id,
            slug=t.slug,
            name=t.name,
            color=t.color,
            description=t.description,
            category_id=t.category_id,
        )


class TagsRead(BaseModel):
    items: list[TagRead]


class CategoryCreate(Request):
    name: str = Field(min_length=1, max_length=100)
    color: str = Field("#64748B", pattern=r"^#[0-9A-Fa-f]{6}$")
    description: str = Field("", max_length=300)


class CategoryRead(BaseModel):
    id: str
    slug: str
    name: str
    description: str
    color: str
    kind: str

    @classmethod
    def of(cls, c: Category) -> CategoryRead:
        return cls(
            id=c.id, slug=c.slug, name=c.name, description=c.description, color=c.color, kind=c.kind
        )


class CategoriesRead(BaseModel):
    items: list[CategoryRead]


class AttributeModel(BaseModel):
    name: str = Field(min_length=1, max_length=100, pattern=r"^[A-Za-z0-9_.:-]+$")
    description: str = Field("", max_length=300)


class AttributesRead(BaseModel):
    items: list[AttributeModel]


# --- audit, explain -------------------------------------------------------------------------
class AuditRead(BaseModel):
    id: int | None
    project_id: str | None
    environment_id: str | None
    feature_id: str | None
    entity: str
    entity_id: str
    action: str
    actor: str
    user_id: str | None
    username: str
    request_id: str | None
    old_value: Any
    new_value: Any
    created_at: datetime

    @classmethod
    def of(cls, a: AuditEntry) -> AuditRead:
        return cls(**{k: getattr(a, k) for k in cls.model_fields})


class ExplainRequest(Request):
    context: dict[str, Any] = Field(default_factory=dict)


class TraceStepRead(BaseModel):
    step: str
    outcome: str
    rule_id: str | None = None
    detail: str | None = None


class SplitRead(BaseModel):
    """Which context attribute the percentage split reads, for a multivariant feature."""

    attribute: str | None = Field(
        description="The attribute this context was split by; null when it has none of them"
    )
    missing: bool = Field(description="The context lacks the split attribute: default value")
    configured: str | None = Field(
        description="The feature's rollout_key; null means the default order "
        "(targetingKey, user.id, userId, user_id)"
    )


class ExplainRead(BaseModel):
    feature_key: str
    environment_key: str
    enabled: bool
    value: str
    variant: str | None
    variant_value: Any = None
    reason: str
    rule_id: str | None
    trace: list[TraceStepRead]
    split: SplitRead | None = Field(None, description="Set for multivariant features")
