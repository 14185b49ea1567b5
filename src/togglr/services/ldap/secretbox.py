"""Authenticated encryption of small secrets kept in the database (the LDAP bind password)."""

from __future__ import annotations

import base64
import binascii
import hashlib
import os

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

_VERSION = "v1:"


class SecretBox:
    """AES-256-GCM with a key derived from the settings' secret key and a purpose label.

    The label keeps ciphertexts of different purposes from being swapped for one another, and
    lets the settings key have any length.
    """

    def __init__(self, secret_key: str, purpose: str) -> None:
        self._aead = AESGCM(hashlib.sha256(f"togglr/{purpose}\0{secret_key}".encode()).digest())
        self._aad = purpose.encode()

    def seal(self, plaintext: str) -> str:
        nonce = os.urandom(12)
        sealed = self._aead.encrypt(nonce, plaintext.encode(), self._aad)
        return _VERSION + base64.b64encode(nonce + sealed).decode()

    def open(self, token: str) -> str | None:
        """The plaintext, or None when the token was sealed with another key or is damaged."""
        if not token.startswith(_VERSION):
            return None
        try:
            raw = base64.b64decode(token[len(_VERSION) :], validate=True)
            return self._aead.decrypt(raw[:12], raw[12:], self._aad).decode()
        except (InvalidTag, ValueError, binascii.Error):
            return None
