"""A real SAML 2.0 identity provider for tests: pysaml2's IdP behind a small HTTP server.

It serves its metadata, shows a login form for an AuthnRequest (HTTP-Redirect binding), checks
the password of one of its users, and answers with a signed assertion in an auto-posting form
(HTTP-POST binding), as Keycloak, Okta or ADFS would. Keys are generated at start.
"""

from __future__ import annotations

import html
import re
import threading
import warnings
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

from cryptography.utils import CryptographyDeprecationWarning

with warnings.catch_warnings():
    warnings.simplefilter("ignore", CryptographyDeprecationWarning)  # pysaml2's import-time alias
    from saml2 import BINDING_HTTP_POST, BINDING_HTTP_REDIRECT
    from saml2.authn_context import PASSWORD, AuthnBroker, authn_context_class_ref
    from saml2.config import IdPConfig
    from saml2.metadata import create_metadata_string
    from saml2.saml import NAME_FORMAT_URI, NAMEID_FORMAT_PERSISTENT, NameID
    from saml2.server import Server
    from saml2.sigver import get_xmlsec_binary

from tests.support.certs import self_signed, write_pair
from tests.support.slapd import free_port


@dataclass
class IdpUser:
    password: str
    attributes: dict[str, list[str]]


@dataclass
class SamlIdp:
    workdir: Path
    port: int = field(default_factory=free_port)
    users: dict[str, IdpUser] = field(default_factory=dict)
    trusted_sp_metadata: dict[str, str] = field(default_factory=dict)  # entity id -> metadata
    _server: Server | None = None
    _http: ThreadingHTTPServer | None = None

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def entity_id(self) -> str:
        return f"{self.base_url}/metadata"

    @property
    def metadata_url(self) -> str:
        return f"{self.base_url}/metadata"

    def start(self) -> SamlIdp:
        self.cert_file, self.key_file = write_pair(self.workdir, "idp", *self_signed("test-idp"))
        self._rebuild()
        self._http = ThreadingHTTPServer(("127.0.0.1", self.port), _handler(self))
        threading.Thread(target=self._http.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self._http is not None:
            self._http.shutdown()
            self._http.server_close()

    def add_user(self, username: str, password: str, **attributes: str) -> None:
        self.users[username] = IdpUser(password, {k: [v] for k, v in attributes.items()})

    def trust_sp(self, metadata_xml: str) -> None:
        """Register a service provider (its metadata names its ACS URL and entity id); replaces an
        earlier registration of the same entity, as re-uploading metadata to a real IdP would."""
        entity = re.search(r'entityID="([^"]+)"', metadata_xml)
        assert entity is not None, "not SAML metadata"
        if self.trusted_sp_metadata.get(entity.group(1)) != metadata_xml:
            self.trusted_sp_metadata[entity.group(1)] = metadata_xml
            self._rebuild()

    def _config(self) -> dict[str, Any]:
        return {
            "entityid": self.entity_id,
            "xmlsec_binary": get_xmlsec_binary(),
            "key_file": str(self.key_file),
            "cert_file": str(self.cert_file),
            "metadata": {"inline": list(self.trusted_sp_metadata.values())}
            if self.trusted_sp_metadata
            else {},
            "service": {
                "idp": {
                    "endpoints": {
                        "single_sign_on_service": [
                            (f"{self.base_url}/sso/redirect", BINDING_HTTP_REDIRECT)
                        ]
                    },
                    "policy": {
                        "default": {
                            "lifetime": {"minutes": 15},
                            "attribute_restrictions": None,
                            "name_form": NAME_FORMAT_URI,
                        }
                    },
                    "name_id_format": [NAMEID_FORMAT_PERSISTENT],
                    "sign_assertion": True,
                    "sign_response": False,
                    "want_authn_requests_signed": False,
                }
            },
        }

    def _rebuild(self) -> None:
        config = IdPConfig()
        config.load(self._config())
        self._server = Server(config=config)

    def metadata(self) -> str:
        assert self._server is not None
        xml = create_metadata_string(None, config=self._server.config, sign=False)
        return xml.decode() if isinstance(xml, bytes) else str(xml)

    # --- the two steps of a sign-in ------------------------------------------------------------
    def login_form(self, saml_request: str, relay_state: str) -> str:
        assert self._server is not None
        self._server.parse_authn_request(
            saml_request, BINDING_HTTP_REDIRECT
        )  # refuse garbage early
        return (
            '<html><body><form method="post" action="/sso/login">'
            f'<input type="hidden" name="SAMLRequest" value="{html.escape(saml_request)}"/>'
            f'<input type="hidden" name="RelayState" value="{html.escape(relay_state)}"/>'
            '<input name="username"/><input name="password" type="password"/>'
            "</form></body></html>"
        )

    def answer(
        self, saml_request: str, relay_state: str, username: str, password: str
    ) -> tuple[int, str]:
        """(status, HTML): on success a form that posts the signed response to the SP's ACS."""
        assert self._server is not None
        user = self.users.get(username)
        if user is None or user.password != password:
            return 401, "<html><body>wrong username or password</body></html>"
        request = self._server.parse_authn_request(saml_request, BINDING_HTTP_REDIRECT)
        args = self._server.response_args(request.message, [BINDING_HTTP_POST])
        broker = AuthnBroker()
        broker.add(authn_context_class_ref(PASSWORD), "")
        response = self._server.create_authn_response(
            {**user.attributes},
            userid=username,
            name_id=NameID(format=NAMEID_FORMAT_PERSISTENT, text=f"idp-{username}"),
            authn=broker.get_authn_by_accr(PASSWORD),
            sign_assertion=True,
            sign_response=False,
            **args,
        )
        http_args = self._server.apply_binding(
            BINDING_HTTP_POST, str(response), args["destination"], relay_state, response=True
        )
        return 200, str(http_args["data"])


def form_fields(page: str) -> dict[str, str]:
    """Hidden inputs and the action of an HTML form (what a browser would post)."""
    fields = {
        html.unescape(m.group(1)): html.unescape(m.group(2))
        for m in re.finditer(r'<input[^>]*name="([^"]+)"[^>]*value="([^"]*)"', page)
    }
    action = re.search(r'<form[^>]*action="([^"]+)"', page)
    if action:
        fields["__action__"] = html.unescape(action.group(1))
    return fields


def _handler(idp: SamlIdp) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:  # keep test output quiet
            return

        def _send(self, status: int, body: str, content_type: str = "text/html") -> None:
            data = body.encode()
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self) -> None:
            url = urlsplit(self.path)
            query = {k: v[0] for k, v in parse_qs(url.query).items()}
            if url.path == "/metadata":
                self._send(200, idp.metadata(), "application/samlmetadata+xml")
            elif url.path == "/sso/redirect" and "SAMLRequest" in query:
                try:
                    self._send(
                        200, idp.login_form(query["SAMLRequest"], query.get("RelayState", ""))
                    )
                except Exception as exc:
                    self._send(400, f"bad request: {exc}")
            else:
                self._send(404, "not found")

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", "0"))
            form = {k: v[0] for k, v in parse_qs(self.rfile.read(length).decode()).items()}
            if urlsplit(self.path).path != "/sso/login":
                self._send(404, "not found")
                return
            try:
                status, page = idp.answer(
                    form.get("SAMLRequest", ""),
                    form.get("RelayState", ""),
                    form.get("username", ""),
                    form.get("password", ""),
                )
            except Exception as exc:
                status, page = 400, f"bad request: {exc}"
            self._send(status, page)

    return Handler
