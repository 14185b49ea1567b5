"""Secrets at rest: AES-GCM under a key derived from the settings key, bound to its purpose."""

from __future__ import annotations

import pytest

from togglr.services.secret_box import SecretBox


def test_sealed_text_opens_with_the_same_key_and_purpose() -> None:
    box = SecretBox("short key", "totp")
    sealed = box.seal("JBSWY3DPEHPK3PXP")
    assert sealed.startswith("v1:") and "JBSWY3DPEHPK3PXP" not in sealed
    assert box.open(sealed) == "JBSWY3DPEHPK3PXP"
    assert SecretBox("short key", "totp").open(sealed) == "JBSWY3DPEHPK3PXP"


def test_each_seal_uses_a_fresh_nonce() -> None:
    box = SecretBox("k" * 64, "totp")
    assert box.seal("same") != box.seal("same")


@pytest.mark.parametrize(
    ("key", "purpose"),
    [("another key", "totp"), ("short key", "ldap")],
    ids=["wrong key", "wrong purpose"],
)
def test_it_refuses_another_key_or_purpose(key: str, purpose: str) -> None:
    sealed = SecretBox("short key", "totp").seal("secret")
    with pytest.raises(ValueError, match="cannot be decrypted"):
        SecretBox(key, purpose).open(sealed)


def test_it_refuses_tampered_or_foreign_text() -> None:
    box = SecretBox("short key", "totp")
    sealed = box.seal("secret")
    tampered = sealed[:-2] + ("A" if sealed[-2] != "A" else "B") + sealed[-1]
    for bad in (tampered, "plain text", "v1:not-base64!!", "v1:"):
        with pytest.raises(ValueError):
            box.open(bad)


def test_an_empty_key_is_a_configuration_error() -> None:
    with pytest.raises(ValueError):
        SecretBox("", "totp")
