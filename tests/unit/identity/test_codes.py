"""TOTP steps, recovery codes and role ceilings: the pure parts of identity protection."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pyotp
import pytest

from togglr.domain.accounts import ROLES
from togglr.domain.identity import ROLE_RANK, role_within
from togglr.services.api_tokens import is_api_token, new_token_secret
from togglr.services.twofactor import (
    matching_step,
    new_recovery_code,
    normalize_code,
    recovery_hash,
)

SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
NOW = datetime(2026, 3, 1, 8, 0, 10, tzinfo=UTC)
STEP = int(NOW.timestamp()) // 30


@pytest.mark.parametrize("delta", [-1, 0, 1])
def test_codes_of_the_current_and_neighbouring_steps_match(delta: int) -> None:
    code = pyotp.TOTP(SECRET).at(NOW + timedelta(seconds=30 * delta))
    assert matching_step(SECRET, code, NOW) == STEP + delta


@pytest.mark.parametrize("code", ["", "12345", "1234567", "abcdef", "12 456"])
def test_malformed_codes_never_match(code: str) -> None:
    assert matching_step(SECRET, code, NOW) is None


def test_codes_two_steps_away_do_not_match() -> None:
    code = pyotp.TOTP(SECRET).at(NOW + timedelta(seconds=60))
    if code not in {pyotp.TOTP(SECRET).at(NOW + timedelta(seconds=30 * d)) for d in (-1, 0, 1)}:
        assert matching_step(SECRET, code, NOW) is None


def test_recovery_codes_are_80_bits_and_forgiving_to_type() -> None:
    codes = {new_recovery_code() for _ in range(200)}
    assert len(codes) == 200
    code = codes.pop()
    assert re.fullmatch(r"[a-z2-7]{4}(-[a-z2-7]{4}){3}", code)
    assert normalize_code(code) == code.replace("-", "")
    assert recovery_hash("u1", code) == recovery_hash("u1", f"  {code.upper().replace('-', ' ')} ")
    assert recovery_hash("u1", code) != recovery_hash("u2", code)  # salted per user


def test_role_ceiling_follows_role_strength() -> None:
    assert set(ROLE_RANK) == set(ROLES)
    assert role_within("viewer", "member") and role_within("manager", "manager")
    assert not role_within("owner", "manager")


def test_api_tokens_are_recognisable_without_decoding() -> None:
    token = new_token_secret()
    assert is_api_token(token) and len(token) > 40
    assert not is_api_token("eyJhbGciOiJIUzI1NiJ9.e30.sig")
