"""SAML single sign-on against a real identity provider (pysaml2's IdP over HTTP, signed assertions)."""

from __future__ import annotations

import base64
import re
import shutil
from collections.abc import AsyncIterator, Iterator
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
import sqlalchemy as sa
from tests.conftest import POSTGRES_URL, Api, fresh_postgres_url, fresh_sqlite_url, start_api
from tests.support.certs import self_signed, write_pair
from tests.support.saml_idp import SamlIdp, form_fields

from togglr.storage.sql import tables

pytestmark = pytest.mark.skipif(
    shutil.which("xmlsec1") is None, reason="xmlsec1 is not installed (see .ci/run)"
)


@pytest.fixture(scope="module")
def sp_keys(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """Togglr's SP key pair, made once: RSA key generation is the slow part of an app start."""
    cert, key = write_pair(tmp_path_factory.mktemp("sp"), "sp", *self_signed("togglr-sp"))
    return {"saml_sp_cert_file": cert, "saml_sp_key_file": key}


@pytest.fixture(
    params=[pytest.param("sqlite"), pytest.param("postgres", marks=pytest.mark.postgres)]
)
async def api(
    request: pytest.FixtureRequest, tmp_path: Any, sp_keys: dict[str, Any]
) -> AsyncIterator[Api]:
    """Like the shared `api` fixture (SQLite and PostgreSQL), with the module's SP key pair."""
    if request.param == "postgres":
        if POSTGRES_URL is None:
            pytest.skip("PostgreSQL not configured: set TOGGLR_TEST_POSTGRES_URL (always on in CI)")
        url = await fresh_postgres_url()
    else:
        url = await fresh_sqlite_url(tmp_path)
    async for a in start_api(url, tmp_path, **sp_keys):
        yield a


@pytest.fixture
async def sqlite_api(tmp_path: Any, sp_keys: dict[str, Any]) -> AsyncIterator[Api]:
    async for a in start_api(await fresh_sqlite_url(tmp_path), tmp_path, **sp_keys):
        yield a


@pytest.fixture(scope="module")
def idp(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SamlIdp]:
    server = SamlIdp(tmp_path_factory.mktemp("idp")).start()
    server.add_user(
        "sam", "sam-password", uid="sam", mail="Sam@Example.org", displayName="Sam Sample"
    )
    server.add_user("noemail", "noemail-password", uid="noemail")
    server.add_user("admin2", "admin2-password", uid="admin2", mail="admin@togglr.dev")
    yield server
    server.stop()


async def add_provider(
    api: Api, h: dict[str, str], idp: SamlIdp, name: str = "corp", **extra: Any
) -> dict[str, Any]:
    """Configure the provider in Togglr, then register Togglr's SP metadata at the IdP."""
    body = {"display_name": "Sign in with Corp", "idp_metadata_url": idp.metadata_url, **extra}
    r = await api.client.put(f"/api/v1/sso/providers/{name}", json=body, headers=h)
    assert r.status_code in (200, 201), r.text
    metadata = await api.client.get(f"/api/v1/auth/sso/{name}/metadata")
    assert metadata.status_code == 200, metadata.text
    idp.trust_sp(metadata.text)
    return dict(r.json())


async def idp_response(
    api: Api, idp: SamlIdp, username: str, password: str, name: str = "corp"
) -> dict[str, str]:
    """Start at Togglr, sign in at the IdP like a browser, and return the form the IdP posts back."""
    r = await api.client.get(f"/api/v1/auth/sso/{name}/login")
    assert r.status_code == 302, r.text
    location = r.headers["location"]
    assert location.startswith(f"{idp.base_url}/sso/redirect?")
    async with httpx.AsyncClient() as browser:
        page = await browser.get(location)
        assert page.status_code == 200, page.text
        login = form_fields(page.text)
        answer = await browser.post(
            f"{idp.base_url}{login['__action__']}",
            data={
                "SAMLRequest": login["SAMLRequest"],
                "RelayState": login["RelayState"],
                "username": username,
                "password": password,
            },
        )
    assert answer.status_code == 200, answer.text
    return form_fields(answer.text)


async def post_to_acs(api: Api, form: dict[str, str]) -> httpx.Response:
    action = urlsplit(form["__action__"])
    data = {k: v for k, v in form.items() if k != "__action__"}
    return await api.client.post(action.path, data=data)


def tokens_of(response: httpx.Response) -> dict[str, str]:
    location = response.headers["location"]
    assert location.startswith("/auth/sso/callback#"), location
    assert "?" not in location  # tokens travel in the fragment only
    return {k: v[0] for k, v in parse_qs(location.split("#", 1)[1]).items()}


def rewrite(form: dict[str, str], change: Any) -> dict[str, str]:
    xml = base64.b64decode(form["SAMLResponse"]).decode()
    return {**form, "SAMLResponse": base64.b64encode(change(xml).encode()).decode()}


async def audit_rows(api: Api, entity: str) -> list[tuple[str, Any]]:
    c = tables.audit_log.c
    async with api.services.storage.unit_of_work() as uow:
        rows = await uow.connection.execute(
            sa.select(c.action, c.new_value).where(c.entity == entity).order_by(c.id)
        )
        return [(r.action, r.new_value) for r in rows]


async def test_a_user_signs_in_through_the_saml_idp(api: Api, idp: SamlIdp) -> None:
    h = await api.admin()
    provider = await add_provider(api, h, idp)
    assert provider["source"] == "api"
    assert provider["acs_url"] == "/api/v1/auth/sso/corp/acs"

    r = await api.client.get("/api/v1/auth/sso/providers")
    assert r.json() == {
        "providers": [
            {
                "name": "corp",
                "display_name": "Sign in with Corp",
                "protocol": "saml",
                "login_url": "/api/v1/auth/sso/corp/login",
            }
        ]
    }

    form = await idp_response(api, idp, "sam", "sam-password")
    assert form["__action__"] == "http://togglr.test/api/v1/auth/sso/corp/acs"
    r = await post_to_acs(api, form)
    assert r.status_code == 302, r.text
    tokens = tokens_of(r)
    me = await api.client.get("/api/v1/users/me", headers=api.auth(tokens["access_token"]))
    assert me.status_code == 200, me.text
    assert me.json()["username"] == "sam"
    assert me.json()["email"] == "sam@example.org"
    assert me.json()["is_external"] is True
    assert me.json()["is_superuser"] is False
    r = await api.client.post(
        "/api/v1/auth/refresh", json={"refresh_token": tokens["refresh_token"]}
    )
    assert r.status_code == 200

    # The second sign-in finds the same account through its NameID link.
    again = tokens_of(await post_to_acs(api, await idp_response(api, idp, "sam", "sam-password")))
    me2 = await api.client.get("/api/v1/users/me", headers=api.auth(again["access_token"]))
    assert me2.json()["id"] == me.json()["id"]

    logins = [new for action, new in await audit_rows(api, "sso") if action == "login"]
    assert [(e["provider"], e["name_id"], e["account"]) for e in logins] == [
        ("corp", "idp-sam", "created"),
        ("corp", "idp-sam", "unchanged"),
    ]


async def test_a_tampered_or_unsigned_assertion_is_refused(api: Api, idp: SamlIdp) -> None:
    h = await api.admin()
    await add_provider(api, h, idp)

    form = await idp_response(api, idp, "sam", "sam-password")
    forged = rewrite(form, lambda xml: xml.replace("Sam@Example.org", "admin@togglr.dev"))
    r = await post_to_acs(api, forged)
    assert r.status_code == 401, r.text
    assert r.json()["error"]["code"] == "sso_invalid_response"

    form = await idp_response(api, idp, "sam", "sam-password")
    unsigned = rewrite(
        form,
        lambda xml: re.sub(r"<(\w+:)?Signature[ >].*?</(\w+:)?Signature>", "", xml, flags=re.S),
    )
    assert "SignatureValue" not in base64.b64decode(unsigned["SAMLResponse"]).decode()
    r = await post_to_acs(api, unsigned)
    assert r.status_code == 401, r.text
    assert r.json()["error"]["code"] == "sso_invalid_response"

    users = (await api.client.get("/api/v1/users", headers=h)).json()["items"]
    assert [u["username"] for u in users] == ["admin"]  # nobody was created or signed in
    failures = [
        new["code"] for action, new in await audit_rows(api, "sso") if action == "login_failed"
    ]
    assert failures == ["sso_invalid_response", "sso_invalid_response"]


async def test_the_relay_state_is_required_single_use_and_bound_to_its_request(
    api: Api, idp: SamlIdp
) -> None:
    h = await api.admin()
    await add_provider(api, h, idp)
    first = await idp_response(api, idp, "sam", "sam-password")
    second = await idp_response(api, idp, "sam", "sam-password")

    # Unsolicited: no RelayState at all.
    r = await post_to_acs(api, {k: v for k, v in first.items() if k != "RelayState"})
    assert r.status_code == 400
    assert r.json()["error"]["code"] == "sso_unsolicited"
    # A relay state Togglr never issued.
    r = await post_to_acs(api, {**first, "RelayState": "forged-state"})
    assert r.status_code == 401
    assert r.json()["error"]["code"] == "sso_state_invalid"
    # A genuine response carried with the relay state of another sign-in attempt.
    r = await post_to_acs(api, {**first, "RelayState": second["RelayState"]})
    assert r.status_code == 401
    assert r.json()["error"]["code"] == "sso_invalid_response"
    # That attempt's relay state is now spent, even for its own response.
    r = await post_to_acs(api, second)
    assert r.status_code == 401
    assert r.json()["error"]["code"] == "sso_state_invalid"
    # The untouched pair works exactly once: a replay is refused.
    assert (await post_to_acs(api, first)).status_code == 302
    r = await post_to_acs(api, first)
    assert r.status_code == 401
    assert r.json()["error"]["code"] == "sso_state_invalid"

    r = await api.client.post(
        "/api/v1/auth/sso/corp/acs", json={"SAMLResponse": "x", "RelayState": "y"}
    )
    assert r.status_code == 400  # not a form
    r = await api.client.post(
        "/api/v1/auth/sso/corp/acs", data={"SAMLResponse": "%%%", "RelayState": "y"}
    )
    assert r.status_code == 401


async def test_account_rules_on_first_sign_in(api: Api, idp: SamlIdp) -> None:
    h = await api.admin()
    await add_provider(api, h, idp)

    # No e-mail attribute: refused with a clear reason.
    r = await post_to_acs(api, await idp_response(api, idp, "noemail", "noemail-password"))
    assert r.status_code == 401
    assert r.json()["error"]["code"] == "sso_missing_attribute"

    # An IdP identity never takes over a local account with the same e-mail ...
    r = await post_to_acs(api, await idp_response(api, idp, "admin2", "admin2-password"))
    assert r.status_code == 409
    assert r.json()["error"]["code"] == "account_conflict"
    # ... unless the administrator allows linking by e-mail.
    await add_provider(api, h, idp, link_by_email=True)
    r = await post_to_acs(api, await idp_response(api, idp, "admin2", "admin2-password"))
    assert r.status_code == 302
    me = await api.client.get("/api/v1/users/me", headers=api.auth(tokens_of(r)["access_token"]))
    assert me.json()["username"] == "admin"

    # Without create_users only existing (linked) accounts get in.
    await add_provider(api, h, idp, name="strict", create_users=False)
    r = await post_to_acs(api, await idp_response(api, idp, "sam", "sam-password", name="strict"))
    assert r.status_code == 403
    assert r.json()["error"]["code"] == "no_account"

    # A deactivated account stays out.
    r = await post_to_acs(api, await idp_response(api, idp, "sam", "sam-password"))
    sam = (
        await api.client.get("/api/v1/users/me", headers=api.auth(tokens_of(r)["access_token"]))
    ).json()
    await api.client.patch(f"/api/v1/users/{sam['id']}", json={"is_active": False}, headers=h)
    r = await post_to_acs(api, await idp_response(api, idp, "sam", "sam-password"))
    assert r.status_code == 401
    assert r.json()["error"]["code"] == "inactive_user"


async def test_provider_administration(sqlite_api: Api, idp: SamlIdp) -> None:
    api = sqlite_api
    h = await api.admin()
    r = await api.client.get("/api/v1/sso/providers", headers=h)
    assert r.json() == []
    r = await api.client.put(
        "/api/v1/sso/providers/corp",
        json={"display_name": "Corp", "idp_metadata_url": idp.metadata_url, "enabled": False},
        headers=h,
    )
    assert r.status_code == 201
    r = await api.client.put(
        "/api/v1/sso/providers/corp",
        json={"display_name": "Corp", "idp_metadata_url": idp.metadata_url},
        headers=h,
    )
    assert r.status_code == 200

    bad_bodies = [
        ({"display_name": "x"}, "exactly one"),
        (
            {"display_name": "x", "idp_metadata_url": idp.metadata_url, "idp_metadata_xml": "<x/>"},
            "exactly one",
        ),
        ({"display_name": "x", "idp_metadata_url": "ftp://idp"}, "idp_metadata_url"),
        (
            {"display_name": "x", "idp_metadata_url": f"{idp.base_url}/nothing-here"},
            "could not be fetched",
        ),
        ({"display_name": "x", "idp_metadata_xml": "<EntityDescriptor>broken"}, "idp_metadata_xml"),
        (
            {
                "display_name": "x",
                "idp_metadata_url": idp.metadata_url,
                "attribute_mapping": {"role": "r"},
            },
            "role",
        ),
        (
            {"display_name": "x", "idp_metadata_url": idp.metadata_url, "protocol": "oidc"},
            "protocol",
        ),
        ({"display_name": "x", "idp_metadata_url": idp.metadata_url, "surprise": True}, "surprise"),
    ]
    for body, message in bad_bodies:
        r = await api.client.put("/api/v1/sso/providers/other", json=body, headers=h)
        assert r.status_code == 400, (body, r.text)
        assert message in r.json()["error"]["message"], (body, r.json())
    r = await api.client.put(
        "/api/v1/sso/providers/Bad Name", json={"display_name": "x"}, headers=h
    )
    assert r.status_code == 400

    # Disabled providers are neither offered nor usable, but their SP metadata is served for setup.
    r = await api.client.put(
        "/api/v1/sso/providers/corp",
        json={"display_name": "Corp", "idp_metadata_url": idp.metadata_url, "enabled": False},
        headers=h,
    )
    assert (await api.client.get("/api/v1/auth/sso/providers")).json() == {"providers": []}
    assert (await api.client.get("/api/v1/auth/sso/corp/login")).status_code == 404
    r = await api.client.get("/api/v1/auth/sso/corp/metadata")
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("application/samlmetadata+xml")
    assert 'Location="http://togglr.test/api/v1/auth/sso/corp/acs"' in r.text
    assert (await api.client.get("/api/v1/auth/sso/ghost/metadata")).status_code == 404

    await api.create_user(h, "plain")
    uh = api.auth(await api.login("plain", "user-password-1"))
    assert (await api.client.get("/api/v1/sso/providers", headers=uh)).status_code == 403
    assert (await api.client.get("/api/v1/sso/providers/corp", headers=uh)).status_code == 403
    assert (await api.client.delete("/api/v1/sso/providers/corp", headers=uh)).status_code == 403
    assert (await api.client.get("/api/v1/sso/providers")).status_code == 401

    assert (await api.client.delete("/api/v1/sso/providers/corp", headers=h)).status_code == 204
    assert (await api.client.delete("/api/v1/sso/providers/corp", headers=h)).status_code == 404
    actions = [a for a, _ in await audit_rows(api, "sso")]
    assert actions == ["create", "update", "update", "delete"]


@pytest.fixture
async def configured_api(
    tmp_path: Any, idp: SamlIdp, sp_keys: dict[str, Any]
) -> AsyncIterator[Api]:
    """An app whose provider comes from the settings (TOGGLR_SAML_PROVIDERS)."""
    providers = {
        "okta": {"display_name": "Sign in with Okta", "idp_metadata_url": idp.metadata_url}
    }
    async for api in start_api(
        await fresh_sqlite_url(tmp_path),
        tmp_path,
        saml_providers=providers,
        frontend_url="https://flags.example.org/",
        saml_sp_base_url="https://togglr.example.org",
        **sp_keys,
    ):
        yield api


async def test_providers_from_settings_are_read_only_and_use_the_public_urls(
    configured_api: Api, idp: SamlIdp
) -> None:
    api = configured_api
    h = await api.admin()
    listed = (await api.client.get("/api/v1/sso/providers", headers=h)).json()
    assert [(p["name"], p["source"]) for p in listed] == [("okta", "settings")]
    r = await api.client.put(
        "/api/v1/sso/providers/okta",
        json={"display_name": "x", "idp_metadata_url": idp.metadata_url},
        headers=h,
    )
    assert r.status_code == 409
    assert (await api.client.delete("/api/v1/sso/providers/okta", headers=h)).status_code == 409

    metadata = (await api.client.get("/api/v1/auth/sso/okta/metadata")).text
    assert 'entityID="https://togglr.example.org/api/v1/auth/sso/okta/metadata"' in metadata
    idp.trust_sp(metadata)
    form = await idp_response(api, idp, "sam", "sam-password", name="okta")
    assert form["__action__"] == "https://togglr.example.org/api/v1/auth/sso/okta/acs"
    r = await post_to_acs(api, form)
    assert r.status_code == 302, r.text
    assert r.headers["location"].startswith(
        "https://flags.example.org/auth/sso/callback#access_token="
    )
