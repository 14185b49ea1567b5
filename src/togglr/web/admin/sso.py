"""Single sign-on: the public SAML endpoints (providers, metadata, login, ACS) and provider admin."""

from __future__ import annotations

from typing import Annotated, Any, Literal
from urllib.parse import parse_qs

from fastapi import APIRouter, Depends, Path, Request, Response
from fastapi.responses import RedirectResponse
from pydantic import BaseModel, Field, StrictBool

from togglr.domain.errors import InvalidInputError
from togglr.services.sso import ProviderLink, SamlProvider, SsoService
from togglr.services.sso.providers import DEFAULT_MAPPING
from togglr.web.auth import CurrentPrincipal, Svc, client_meta
from togglr.web.schemas import Request as RequestModel

router = APIRouter()
MAX_FORM_BYTES = 1024 * 1024  # signed responses with many attributes stay far below this
ACS_FORM = {
    "required": True,
    "content": {
        "application/x-www-form-urlencoded": {
            "schema": {
                "type": "object",
                "properties": {
                    "SAMLResponse": {"type": "string", "description": "Base64 SAML Response"},
                    "RelayState": {"type": "string", "description": "As handed out by /login"},
                },
                "required": ["SAMLResponse", "RelayState"],
            }
        }
    },
}


def _service(svc: Svc) -> SsoService:
    service: SsoService = svc.extra["sso"]
    return service


Sso = Annotated[SsoService, Depends(_service)]
ProviderName = Annotated[
    str, Path(pattern=r"^[a-z0-9][a-z0-9_-]{0,49}$", description="Provider name")
]


def _base(request: Request) -> str:
    return str(request.base_url).rstrip("/")


class ProviderLinkRead(BaseModel):
    name: str
    display_name: str
    protocol: Literal["saml"]
    login_url: str = Field(description="Send the browser here to sign in")

    @classmethod
    def of(cls, link: ProviderLink) -> ProviderLinkRead:
        return cls.model_validate(link, from_attributes=True)


class ProviderLinksRead(BaseModel):
    providers: list[ProviderLinkRead]


class ProviderWrite(RequestModel):
    """A SAML identity provider. Give exactly one of idp_metadata_xml and idp_metadata_url."""

    display_name: str = Field(
        min_length=1, max_length=100, description='Button text, e.g. "Sign in with Okta"'
    )
    enabled: StrictBool = True
    protocol: Literal["saml"] = "saml"
    idp_metadata_xml: str = Field("", max_length=500_000)
    idp_metadata_url: str = Field("", max_length=2000)
    idp_entity_id: str = Field(
        "", max_length=500, description="Only when the metadata lists several IdPs"
    )
    attribute_mapping: dict[str, str] = Field(
        default_factory=lambda: dict(DEFAULT_MAPPING),
        description="Togglr field (username, email) -> SAML attribute name; username falls back to NameID",
    )
    require_signed_assertion: StrictBool = Field(
        True, description="False accepts a signed Response instead"
    )
    create_users: StrictBool = Field(True, description="Create an account on a first sign-in")
    link_by_email: StrictBool = Field(
        False, description="Let a first sign-in claim an account with the same e-mail"
    )


class ProviderRead(BaseModel):
    name: str
    source: Literal["api", "settings"]
    display_name: str
    enabled: bool
    protocol: Literal["saml"]
    idp_metadata_xml: str
    idp_metadata_url: str
    idp_entity_id: str
    attribute_mapping: dict[str, str]
    require_signed_assertion: bool
    create_users: bool
    link_by_email: bool
    login_url: str
    metadata_url: str = Field(
        description="Togglr's SP metadata for this provider (give it to the IdP)"
    )
    acs_url: str = Field(description="Assertion consumer service path (HTTP-POST binding)")

    @classmethod
    def of(cls, p: SamlProvider) -> ProviderRead:
        prefix = f"/api/v1/auth/sso/{p.name}"
        return cls(
            name=p.name,
            source=p.source,  # type: ignore[arg-type]
            protocol=p.protocol,  # type: ignore[arg-type]
            login_url=f"{prefix}/login",
            metadata_url=f"{prefix}/metadata",
            acs_url=f"{prefix}/acs",
            **p.settings(),
        )


# --- sign-in (public) -------------------------------------------------------------------------
@router.get("/auth/sso/providers", tags=["auth"])
async def providers(sso: Sso) -> ProviderLinksRead:
    return ProviderLinksRead(providers=[ProviderLinkRead.of(p) for p in await sso.list_enabled()])


@router.get(
    "/auth/sso/{provider}/metadata",
    tags=["auth"],
    response_class=Response,
    responses={
        200: {"content": {"application/samlmetadata+xml": {}}, "description": "SP metadata"}
    },
)
async def metadata(provider: ProviderName, request: Request, sso: Sso) -> Response:
    xml = await sso.sp_metadata(provider, _base(request))
    return Response(xml, media_type="application/samlmetadata+xml")


@router.get(
    "/auth/sso/{provider}/login", tags=["auth"], status_code=302, response_class=RedirectResponse
)
async def login(provider: ProviderName, request: Request, sso: Sso) -> RedirectResponse:
    location = await sso.begin_login(provider, _base(request))
    return RedirectResponse(location, status_code=302, headers={"Cache-Control": "no-store"})


@router.post(
    "/auth/sso/{provider}/acs",
    tags=["auth"],
    status_code=302,
    response_class=RedirectResponse,
    openapi_extra={"requestBody": ACS_FORM},
)
async def acs(provider: ProviderName, request: Request, sso: Sso) -> RedirectResponse:
    """The IdP's HTTP-POST binding: a form with SAMLResponse and RelayState."""
    form = await _form(request)
    ua, ip = client_meta(request)
    location = await sso.complete_login(
        provider,
        form.get("SAMLResponse", ""),
        form.get("RelayState", ""),
        _base(request),
        user_agent=ua,
        ip=ip,
    )
    return RedirectResponse(location, status_code=302, headers={"Cache-Control": "no-store"})


async def _form(request: Request) -> dict[str, str]:
    # Parsed by hand: the only form Togglr receives, so no multipart parser is pulled in for it.
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type != "application/x-www-form-urlencoded":
        raise InvalidInputError("expected an application/x-www-form-urlencoded form")
    body = b""
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_FORM_BYTES:
            raise InvalidInputError("the form is too large")
    try:
        fields = parse_qs(body.decode("ascii"), max_num_fields=20)
    except (UnicodeDecodeError, ValueError):
        raise InvalidInputError("the form could not be read") from None
    return {k: v[0] for k, v in fields.items()}


# --- administration (superusers) --------------------------------------------------------------
@router.get("/sso/providers", tags=["sso"])
async def list_providers(principal: CurrentPrincipal, sso: Sso) -> list[ProviderRead]:
    return [ProviderRead.of(p) for p in await sso.list_providers(principal)]


@router.get("/sso/providers/{name}", tags=["sso"])
async def get_provider(name: ProviderName, principal: CurrentPrincipal, sso: Sso) -> ProviderRead:
    return ProviderRead.of(await sso.get_provider(principal, name))


@router.put("/sso/providers/{name}", tags=["sso"], responses={201: {"model": ProviderRead}})
async def put_provider(
    name: ProviderName,
    body: ProviderWrite,
    principal: CurrentPrincipal,
    request: Request,
    sso: Sso,
    response: Response,
) -> ProviderRead:
    spec: dict[str, Any] = body.model_dump()
    provider, created = await sso.put_provider(principal, name, spec, _base(request))
    response.status_code = 201 if created else 200
    return ProviderRead.of(provider)


@router.delete("/sso/providers/{name}", tags=["sso"], status_code=204)
async def delete_provider(name: ProviderName, principal: CurrentPrincipal, sso: Sso) -> Response:
    await sso.delete_provider(principal, name)
    return Response(status_code=204)
