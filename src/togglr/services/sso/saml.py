"""Togglr as a SAML 2.0 service provider, through pysaml2 (signatures checked by xmlsec1).

Every method blocks (xmlsec1 runs as a subprocess); the service calls them in a worker thread.
"""

from __future__ import annotations

import shutil
import warnings
from dataclasses import dataclass
from typing import Any

from cryptography.utils import CryptographyDeprecationWarning

with warnings.catch_warnings():
    # pysaml2 names a cipher mode by its old alias at import; that is its business, not a failure.
    warnings.simplefilter("ignore", CryptographyDeprecationWarning)
    from saml2 import BINDING_HTTP_POST, BINDING_HTTP_REDIRECT
    from saml2.client import Saml2Client
    from saml2.config import SPConfig
    from saml2.metadata import create_metadata_string
    from saml2.saml import NAMEID_FORMAT_UNSPECIFIED

from togglr.services.sso.providers import SamlProvider

CLOCK_SKEW_SECONDS = 60


class SamlError(Exception):
    """The IdP's answer was refused (bad signature, wrong audience, expired, ...); `str()` says why."""


@dataclass(frozen=True, slots=True)
class ServiceProvider:
    """Togglr's own SAML identity for one provider: where the IdP sends answers, and our key."""

    entity_id: str
    acs_url: str
    cert_file: str
    key_file: str


@dataclass(frozen=True, slots=True)
class Assertion:
    """The parts of a verified assertion Togglr uses."""

    name_id: str
    issuer: str
    attributes: dict[str, list[str]]

    def first(self, name: str) -> str | None:
        """The first value of an attribute, matched case-insensitively by (friendly) name."""
        wanted = name.lower()
        for key, values in self.attributes.items():
            if key.lower() == wanted and values:
                return str(values[0]).strip() or None
        return None


def xmlsec_available() -> bool:
    return shutil.which("xmlsec1") is not None


class SamlClient:
    """pysaml2's client configured for one identity provider."""

    def __init__(self, sp: ServiceProvider, provider: SamlProvider, idp_metadata: str) -> None:
        self._sp = sp
        self._provider = provider
        config = SPConfig()
        config.load(
            {
                "entityid": sp.entity_id,
                "xmlsec_binary": shutil.which("xmlsec1"),
                "key_file": sp.key_file,
                "cert_file": sp.cert_file,
                # The same key decrypts assertions an IdP chose to encrypt for us.
                "encryption_keypairs": [{"key_file": sp.key_file, "cert_file": sp.cert_file}],
                "allow_unknown_attributes": True,
                "accepted_time_diff": CLOCK_SKEW_SECONDS,
                "metadata": {"inline": [idp_metadata]},
                "service": {
                    "sp": {
                        "endpoints": {
                            "assertion_consumer_service": [(sp.acs_url, BINDING_HTTP_POST)]
                        },
                        # Only answers to requests we made (and stored) are accepted.
                        "allow_unsolicited": False,
                        "authn_requests_signed": False,
                        "want_response_signed": False,
                        "want_assertions_signed": provider.require_signed_assertion,
                        "want_assertions_or_response_signed": True,
                        "name_id_format": [NAMEID_FORMAT_UNSPECIFIED],
                    }
                },
            }
        )
        self._client = Saml2Client(config)

    def idp_entity_id(self) -> str:
        idps = list(self._client.metadata.identity_providers())
        if self._provider.idp_entity_id:
            if self._provider.idp_entity_id not in idps:
                raise SamlError(
                    f"the metadata does not describe the IdP {self._provider.idp_entity_id}"
                )
            return self._provider.idp_entity_id
        if len(idps) != 1:
            raise SamlError(
                f"the metadata describes {len(idps)} identity providers; set idp_entity_id"
            )
        return str(idps[0])

    def metadata(self) -> str:
        xml = create_metadata_string(None, config=self._client.config, sign=False)
        return xml.decode() if isinstance(xml, bytes) else str(xml)

    def login_redirect(self, relay_state: str) -> tuple[str, str]:
        """(AuthnRequest id, URL of the IdP to send the browser to) for the HTTP-Redirect binding."""
        request_id, info = self._client.prepare_for_authenticate(
            entityid=self.idp_entity_id(), relay_state=relay_state, binding=BINDING_HTTP_REDIRECT
        )
        location = dict(info["headers"]).get("Location")
        if not location:
            raise SamlError("the IdP offers no HTTP-Redirect single sign-on endpoint")
        return str(request_id), str(location)

    def parse_response(self, saml_response: str, request_id: str) -> Assertion:
        """Verify a POSTed SAMLResponse that answers `request_id`; raise SamlError if refused."""
        try:
            response: Any = self._client.parse_authn_request_response(
                saml_response, BINDING_HTTP_POST, outstanding={request_id: self._sp.acs_url}
            )
        except Exception as exc:  # pysaml2 raises a dozen unrelated types for "refused"
            raise SamlError(_reason(exc)) from exc
        if response is None or response.assertion is None:
            raise SamlError("the response could not be read")
        if response.in_response_to != request_id:
            raise SamlError("the response answers another sign-in request")
        name_id = (
            response.name_id.text.strip()
            if response.name_id is not None and response.name_id.text
            else ""
        )
        if not name_id:
            raise SamlError("the assertion has no NameID")
        attributes = {str(k): [str(v) for v in vs] for k, vs in (response.ava or {}).items()}
        return Assertion(
            name_id=name_id, issuer=str(response.issuer() or ""), attributes=attributes
        )


def _reason(exc: Exception) -> str:
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    return f"{type(exc).__name__}: {text[:200]}" if text else type(exc).__name__
