"""Authenticated encryption of small secrets at rest (TOTP secrets, directory passwords)."""

from __future__ import annotations

import base64
import os

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

_VERSION = "v1:"  # lets a later key scheme live beside this one
_NONCE = 12


class SecretBox:
    """AES-256-GCM with a key derived from the settings key, so any key length works.

    `purpose` binds ciphertexts to their use: a TOTP secret cannot be replayed as an LDAP password.
    """

    def __init__(self, secret_key: str, purpose: str) -> None:
        if not secret_key:
            raise ValueError("secret_key must not be empty")
        self._purpose = purpose.encode()
        derived = HKDF(
            algorithm=hashes.SHA256(), length=32, salt=b"togglr-secret-box", info=self._purpose
        )
        self._aead = AESGCM(derived.derive(secret_key.encode()))

    def seal(self, plaintext: str) -> str:
        nonce = os.urandom(_NONCE)
        sealed = self._aead.encrypt(nonce, plaintext.encode(), self._purpose)
        return _VERSION + base64.urlsafe_b64encode(nonce + sealed).decode()

    def open(self, token: str) -> str:
        """Decrypt; ValueError when the text was not sealed with this key and purpose."""
        if not token.startswith(_VERSION):
            raise ValueError("unknown secret format")
        try:
            raw = base64.urlsafe_b64decode(token[len(_VERSION) :])
            return self._aead.decrypt(raw[:_NONCE], raw[_NONCE:], self._purpose).decode()
        except (InvalidTag, ValueError) as exc:
            raise ValueError("secret cannot be decrypted with the configured secret_key") from exc
