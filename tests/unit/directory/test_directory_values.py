"""Pure values of directory sign-in: LDAP config validation, the secret box, SAML provider specs."""

from __future__ import annotations

import pytest

from togglr.domain.errors import InvalidInputError
from togglr.services.ldap import LdapConfig, SecretBox
from togglr.services.sso import SamlProvider
from togglr.services.sso.saml import Assertion

METADATA = '<md:EntityDescriptor entityID="https://idp.example.org"/>'


def test_secret_box_round_trips_and_refuses_other_keys_and_purposes() -> None:
    box = SecretBox("key-one", "ldap-bind-password")
    sealed = box.seal("s3cret")
    assert "s3cret" not in sealed
    assert sealed != box.seal("s3cret")  # a fresh nonce every time
    assert box.open(sealed) == "s3cret"
    for other, token in (
        (SecretBox("key-two", "ldap-bind-password"), sealed),
        (SecretBox("key-one", "totp"), sealed),
        (box, "v1:not-base64!"),
        (box, sealed[:-4]),
        (box, "plain"),
    ):
        with pytest.raises(ValueError):
            other.open(token)


def test_ldap_config_defaults_are_valid_and_disabled() -> None:
    config = LdapConfig()
    config.validate()
    assert config.enabled is False
    assert config.is_complete is False


def test_ldap_config_merge_ignores_unknown_keys() -> None:
    config = LdapConfig().merged({"url": "ldap://dir:389", "user_base_dn": "dc=x", "nope": 1})
    assert config.url == "ldap://dir:389"
    assert config.is_complete
    assert LdapConfig.from_dict({**config.to_dict(), "legacy": True}) == config


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"enabled": True}, "url"),
        ({"enabled": True, "url": "ldap://dir"}, "user_base_dn"),
        ({"url": "ldaps://dir", "start_tls": True}, "start_tls"),
        ({"url": "ldap://dir/dc=x"}, "url"),
        ({"user_filter": "(uid=a"}, "user_filter"),
        ({"email_attribute": "1mail"}, "email_attribute"),
        ({"timeout_seconds": 500}, "timeout_seconds"),
        ({"sync_interval_seconds": 4}, "sync_interval_seconds"),
    ],
)
def test_ldap_config_names_the_bad_field(changes: dict[str, object], field: str) -> None:
    with pytest.raises(InvalidInputError, match=f"^{field}"):
        LdapConfig().merged(changes).validate()


def test_saml_provider_spec_checks_types_and_fields() -> None:
    provider = SamlProvider.from_dict("corp", {"idp_metadata_xml": METADATA}, source="settings")
    assert provider.display_name == "corp"
    assert provider.attribute_mapping == {"username": "uid", "email": "mail"}
    assert "name" not in provider.settings()
    for spec, message in [
        ({"idp_metadata_xml": METADATA, "enabled": "yes"}, "enabled"),
        ({"idp_metadata_xml": METADATA, "attribute_mapping": ["uid"]}, "attribute_mapping"),
        (
            {"idp_metadata_xml": METADATA, "attribute_mapping": {"email": ""}},
            "attribute_mapping.email",
        ),
        ({"idp_metadata_xml": "<xml/>"}, "idp_metadata_xml"),
        ({}, "exactly one"),
        ({"idp_metadata_xml": METADATA, "colour": "red"}, "colour"),
    ]:
        with pytest.raises(InvalidInputError, match=message):
            SamlProvider.from_dict("corp", spec, source="api")
    with pytest.raises(InvalidInputError, match="name"):
        SamlProvider.from_dict("Corp!", {"idp_metadata_xml": METADATA}, source="api")


def test_assertion_attributes_match_case_insensitively() -> None:
    assertion = Assertion("nid", "idp", {"Mail": ["a@b.c", "x@y.z"], "uid": [""]})
    assert assertion.first("mail") == "a@b.c"
    assert assertion.first("uid") is None
    assert assertion.first("missing") is None
