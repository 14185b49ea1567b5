"""Single sign-on use cases: the provider list, SP-initiated SAML login, the ACS, and provider admin."""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import secrets
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlencode

import httpx

from togglr.domain.accounts import Principal
from togglr.domain.errors import (
    AuthenticationError,
    ConflictError,
    InvalidInputError,
    NotFoundError,
    PermissionDeniedError,
    TogglrError,
)
from togglr.services.accounts import AccountService
from togglr.services.common import Clock, audit
from togglr.services.external_users import Adoption, ExternalProfile, actor_for, provision
from togglr.services.sso.providers import SamlProvider
from togglr.services.sso.saml import Assertion, SamlClient, SamlError, ServiceProvider

log = logging.getLogger(__name__)

STATE_TTL = timedelta(minutes=10)
CLIENT_TTL = timedelta(hours=1)  # also how long fetched IdP metadata is trusted before a refetch
ANONYMOUS = Principal(None, "anonymous", False, {}, actor="user")


@dataclass(frozen=True, slots=True)
class SpSettings:
    """Togglr's side of SAML, from the settings."""

    base_url: str | None = None  # public URL of this server; None: the URL the request came to
    entity_id: str | None = None  # None: each provider's metadata URL


@dataclass(frozen=True, slots=True)
class ProviderLink:
    name: str
    display_name: str
    protocol: str
    login_url: str


def _require_admin(principal: Principal) -> None:
    if not principal.is_superuser or principal.token_project_id is not None:
        raise PermissionDeniedError("only superusers manage SSO providers")


def state_key(relay_state: str) -> str:
    """Relay states are stored hashed: a database reader cannot finish someone's sign-in."""
    return hashlib.sha256(relay_state.encode()).hexdigest()


class SsoService:
    def __init__(
        self,
        storage: Any,
        clock: Clock,
        accounts: AccountService,
        sp: SpSettings,
        keypair: Callable[[], tuple[str, str]],
        *,
        configured: dict[str, dict[str, Any]] | None = None,
        frontend_url: str | None = None,
        http_timeout: float = 10.0,
    ) -> None:
        self._storage = storage
        self._now = clock
        self._accounts = accounts
        self._sp = sp
        self._keypair = keypair  # (cert file, key file); may generate them, so called lazily
        self._frontend_url = (frontend_url or "").rstrip("/")
        self._http_timeout = http_timeout
        self._configured: dict[str, SamlProvider] = {}
        for name, spec in (configured or {}).items():
            try:
                self._configured[name] = SamlProvider.from_dict(name, spec, source="settings")
            except InvalidInputError as exc:
                raise ValueError(
                    f"TOGGLR_SAML_PROVIDERS: provider {name!r}: {exc.message}"
                ) from None
        self._clients: dict[tuple[str, str, str], tuple[datetime, SamlClient]] = {}

    # --- providers ------------------------------------------------------------------------------
    async def _find(self, name: str) -> SamlProvider | None:
        if name in self._configured:
            return self._configured[name]
        async with self._storage.unit_of_work() as uow:
            record = await uow.sso_providers.find(name)
        return _from_record(record) if record else None

    async def _get_enabled(self, name: str) -> SamlProvider:
        provider = await self._find(name)
        if provider is None or not provider.enabled:
            raise NotFoundError("SSO provider", name)
        return provider

    async def _all(self) -> list[SamlProvider]:
        async with self._storage.unit_of_work() as uow:
            records = await uow.sso_providers.list()
        stored = [_from_record(r) for r in records if r["name"] not in self._configured]
        return sorted([*self._configured.values(), *stored], key=lambda p: p.name)

    async def list_enabled(self) -> list[ProviderLink]:
        """What the sign-in page offers."""
        return [
            ProviderLink(p.name, p.display_name, p.protocol, f"/api/v1/auth/sso/{p.name}/login")
            for p in await self._all()
            if p.enabled
        ]

    # --- the SAML client per provider -----------------------------------------------------------
    async def _service_provider(self, provider: SamlProvider, request_base: str) -> ServiceProvider:
        base = (self._sp.base_url or request_base).rstrip("/")
        prefix = f"{base}/api/v1/auth/sso/{provider.name}"
        cert_file, key_file = await asyncio.to_thread(self._keypair)
        return ServiceProvider(
            entity_id=self._sp.entity_id or f"{prefix}/metadata",
            acs_url=f"{prefix}/acs",
            cert_file=cert_file,
            key_file=key_file,
        )

    async def _fetch_metadata(self, url: str) -> str:
        try:
            async with httpx.AsyncClient(
                timeout=self._http_timeout, follow_redirects=True
            ) as client:
                response = await client.get(url)
                response.raise_for_status()
        except httpx.HTTPError as exc:
            raise SamlError(
                f"the IdP metadata could not be fetched from {url}: {type(exc).__name__}"
            ) from exc
        return response.text

    async def _build_client(self, provider: SamlProvider, request_base: str) -> SamlClient:
        metadata = provider.idp_metadata_xml or await self._fetch_metadata(
            provider.idp_metadata_url
        )
        sp = await self._service_provider(provider, request_base)
        try:
            client = await asyncio.to_thread(SamlClient, sp, provider, metadata)
            await asyncio.to_thread(client.idp_entity_id)  # fails early on metadata without one IdP
        except SamlError:
            raise
        except Exception as exc:  # pysaml2 reports unreadable metadata in many ways
            raise SamlError(
                f"the IdP metadata could not be read: {type(exc).__name__}: {exc}"[:300]
            ) from exc
        return client

    @staticmethod
    def _cache_key(provider: SamlProvider, request_base: str) -> tuple[str, str, str]:
        fingerprint = hashlib.sha256(
            json.dumps(provider.settings(), sort_keys=True).encode()
        ).hexdigest()
        return provider.name, request_base, fingerprint

    def _remember(self, key: tuple[str, str, str], client: SamlClient) -> None:
        self._clients = {k: v for k, v in self._clients.items() if k[0] != key[0] or k == key}
        self._clients[key] = (self._now() + CLIENT_TTL, client)

    async def _client(self, provider: SamlProvider, request_base: str) -> SamlClient:
        # Rebuilt when the provider changes and at least hourly, which also picks up rotated IdP keys.
        key = self._cache_key(provider, request_base)
        cached = self._clients.get(key)
        if cached is not None and cached[0] > self._now():
            return cached[1]
        try:
            client = await self._build_client(provider, request_base)
        except SamlError as exc:
            log.warning("SSO provider %s unusable: %s", provider.name, exc)
            raise ConflictError(
                f"SSO provider {provider.name} is unusable: {exc}", code="idp_unavailable"
            ) from None
        self._remember(key, client)
        return client

    # --- sign-in --------------------------------------------------------------------------------
    async def sp_metadata(self, name: str, request_base: str) -> str:
        """Togglr's SP metadata for one provider (served even while it is disabled, for setup)."""
        provider = await self._find(name)
        if provider is None:
            raise NotFoundError("SSO provider", name)
        client = await self._client(provider, request_base)
        return await asyncio.to_thread(client.metadata)

    async def begin_login(self, name: str, request_base: str) -> str:
        """Where to send the browser: the IdP, with an AuthnRequest and a fresh relay state."""
        provider = await self._get_enabled(name)
        client = await self._client(provider, request_base)
        relay_state = secrets.token_urlsafe(32)
        request_id, location = await asyncio.to_thread(client.login_redirect, relay_state)
        now = self._now()
        async with self._storage.unit_of_work() as uow:
            await uow.sso_requests.add(
                state_key(relay_state), name, request_id, now, now + STATE_TTL
            )
        return location

    async def complete_login(
        self,
        name: str,
        saml_response: str,
        relay_state: str,
        request_base: str,
        *,
        user_agent: str = "",
        ip: str = "",
    ) -> str:
        """Verify the IdP's answer, find or create the user, and return the UI URL carrying tokens."""
        try:
            user_id = await self._accept(name, saml_response, relay_state, request_base)
        except TogglrError as exc:
            await self._audit_failure(name, exc, ip)
            raise
        pair = await self._accounts.issue_for(user_id, user_agent=user_agent, ip=ip)
        fragment = urlencode(
            {
                "access_token": pair.access_token,
                "refresh_token": pair.refresh_token,
                "token_type": "bearer",
                "expires_in": pair.expires_in,
                "provider": name,
            }
        )
        # A fragment never reaches a server log or a Referer header, unlike a query string.
        return f"{self._frontend_url}/auth/sso/callback#{fragment}"

    async def _accept(
        self, name: str, saml_response: str, relay_state: str, request_base: str
    ) -> str:
        provider = await self._get_enabled(name)
        if not relay_state:
            raise InvalidInputError(
                "RelayState is missing: only sign-ins started at Togglr are accepted",
                code="sso_unsolicited",
            )
        if not saml_response:
            raise InvalidInputError("SAMLResponse is missing", code="invalid_input")
        async with self._storage.unit_of_work() as uow:
            # Consumed before the response is checked: a relay state never gets a second try.
            request = await uow.sso_requests.consume(state_key(relay_state), name, self._now())
        if request is None:
            raise AuthenticationError(
                "this sign-in attempt is unknown, expired or already used; start again",
                code="sso_state_invalid",
            )
        client = await self._client(provider, request_base)
        try:
            assertion = await asyncio.to_thread(
                client.parse_response, saml_response, request["request_id"]
            )
        except SamlError as exc:
            raise AuthenticationError(
                f"the identity provider's response was refused: {exc}", code="sso_invalid_response"
            ) from None
        return await self._sign_in(provider, assertion)

    async def _sign_in(self, provider: SamlProvider, assertion: Assertion) -> str:
        mapping = provider.attribute_mapping
        username = assertion.first(mapping.get("username", "uid")) or assertion.name_id
        email = (assertion.first(mapping.get("email", "mail")) or "").lower()
        if "@" not in email:
            raise AuthenticationError(
                f"the identity provider sent no e-mail in attribute {mapping.get('email', 'mail')!r}",
                code="sso_missing_attribute",
            )
        source = f"saml:{provider.name}"
        profile = ExternalProfile(source, assertion.name_id, username[:255], email[:255])
        adoption = Adoption(
            by_email=provider.link_by_email, rename_on_clash=True, create=provider.create_users
        )
        now = self._now()
        async with self._storage.unit_of_work() as uow:
            user, outcome = await provision(
                uow, profile, now, adoption=adoption, actor=actor_for(source)
            )
            if not user.is_active:
                raise AuthenticationError("this account is deactivated", code="inactive_user")
            await uow.users.update(replace(user, last_login=now), now)
            principal = Principal(user.id, user.username, user.is_superuser, {}, actor="user")
            await audit(
                uow,
                principal,
                now,
                entity="sso",
                entity_id=user.id,
                action="login",
                project_id=None,
                new={"provider": provider.name, "name_id": assertion.name_id, "account": outcome},
            )
        return user.id

    async def _audit_failure(self, name: str, exc: TogglrError, ip: str) -> None:
        try:
            async with self._storage.unit_of_work() as uow:
                await audit(
                    uow,
                    ANONYMOUS,
                    self._now(),
                    entity="sso",
                    entity_id=name[:64],
                    action="login_failed",
                    project_id=None,
                    new={"code": exc.code, "reason": exc.message[:300], "ip": ip},
                )
        except Exception:  # the refusal itself matters more than its audit row
            log.exception("could not audit a refused SSO sign-in")

    # --- administration -------------------------------------------------------------------------
    async def list_providers(self, principal: Principal) -> list[SamlProvider]:
        _require_admin(principal)
        return await self._all()

    async def get_provider(self, principal: Principal, name: str) -> SamlProvider:
        _require_admin(principal)
        provider = await self._find(name)
        if provider is None:
            raise NotFoundError("SSO provider", name)
        return provider

    async def put_provider(
        self, principal: Principal, name: str, spec: dict[str, Any], request_base: str
    ) -> tuple[SamlProvider, bool]:
        """Create or replace a provider; (provider, created). Its metadata is checked before saving."""
        _require_admin(principal)
        if name in self._configured:
            raise ConflictError(
                f"SSO provider {name} is defined in the settings and read-only", code="read_only"
            )
        provider = SamlProvider.from_dict(name, spec, source="api")
        try:
            client = await self._build_client(provider, request_base)
        except SamlError as exc:
            field = "idp_metadata_url" if provider.idp_metadata_url else "idp_metadata_xml"
            raise InvalidInputError(f"{field}: {exc}") from None
        now = self._now()
        async with self._storage.unit_of_work() as uow:
            old = await uow.sso_providers.find(name)
            await uow.sso_providers.put(
                name,
                protocol=provider.protocol,
                display_name=provider.display_name,
                enabled=provider.enabled,
                config=provider.settings(),
                now=now,
            )
            await audit(
                uow,
                principal,
                now,
                entity="sso",
                entity_id=name,
                action="update" if old else "create",
                project_id=None,
                old=_summary(old["config"]) if old else None,
                new=_summary(provider.settings()),
            )
        self._remember(self._cache_key(provider, request_base), client)  # checked; reuse it
        return provider, old is None

    async def delete_provider(self, principal: Principal, name: str) -> None:
        _require_admin(principal)
        if name in self._configured:
            raise ConflictError(
                f"SSO provider {name} is defined in the settings and read-only", code="read_only"
            )
        async with self._storage.unit_of_work() as uow:
            record = await uow.sso_providers.find(name)
            if record is None:
                raise NotFoundError("SSO provider", name)
            await uow.sso_providers.delete(name)
            await audit(
                uow,
                principal,
                self._now(),
                entity="sso",
                entity_id=name,
                action="delete",
                project_id=None,
                old=_summary(record["config"]),
            )
        self._clients = {k: v for k, v in self._clients.items() if k[0] != name}


def _from_record(record: dict[str, Any]) -> SamlProvider:
    return SamlProvider.from_dict(record["name"], dict(record["config"]), source="api")


def _summary(settings: dict[str, Any]) -> dict[str, Any]:
    """Audit-sized view of provider settings (metadata XML is long and says little)."""
    out = dict(settings)
    if out.get("idp_metadata_xml"):
        out["idp_metadata_xml"] = f"<{len(out['idp_metadata_xml'])} characters>"
    return out
