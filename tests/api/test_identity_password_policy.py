"""New passwords follow NIST SP 800-63B: not common, not the account's own words, any characters."""

from __future__ import annotations

from typing import Any

import pytest
from asgi_lifespan import LifespanManager
from tests.conftest import Api, make_settings

from togglr.bootstrap import build_app
from togglr.domain.errors import InvalidInputError


async def _create(api: Api, admin: dict[str, str], username: str, password: str) -> Any:
    return await api.client.post(
        "/api/v1/users",
        json={"username": username, "email": f"{username}@example.com", "password": password},
        headers=admin,
    )


def _weak(r: Any) -> str:
    assert r.status_code == 400, r.text
    assert r.json()["error"]["code"] == "weak_password", r.text
    return str(r.json()["error"]["message"])


async def test_common_and_guessable_passwords_are_refused_with_the_reason(api: Api) -> None:
    admin = await api.admin()
    message = _weak(await _create(api, admin, "weakling", "password"))
    assert "top-10 common password" in message
    for password in ("password1234", "qwertyuiop", "iloveyou2024", "aaaaaaaaaaaa", "12345678"):
        assert "too easy to guess" in _weak(await _create(api, admin, "weakling", password))
    assert "at least 8" in _weak(await _create(api, admin, "weakling", "Xk9#mQ2"))
    assert "only spaces" in _weak(await _create(api, admin, "weakling", " " * 12))


async def test_the_accounts_own_words_and_the_service_name_are_refused(api: Api) -> None:
    admin = await api.admin()
    # Strong for anyone else; not for the user named in it.
    _weak(await _create(api, admin, "zorbatrix", "zorbatrix-2024"))
    assert (await _create(api, admin, "quillon", "zorbatrix-2024")).status_code == 201
    _weak(await _create(api, admin, "weakling", "togglr2024!"))


async def test_long_passphrases_in_any_script_are_welcome(api: Api) -> None:
    """No composition rules; at least 64 characters, spaces and Unicode allowed."""
    admin = await api.admin()
    long = "Sieben Zwerge hinter den sieben Bergen, 七人の小人 🏔️ und ein Apfel " * 2
    assert 64 <= len(long) <= 256
    assert (await _create(api, admin, "poet", long)).status_code == 201, long
    assert (await _create(api, admin, "lower", "plain lower case words only")).status_code == 201
    too_long = await _create(api, admin, "toolong", "x" * 257)
    assert too_long.status_code == 400


async def test_changing_to_a_weak_password_is_refused(api: Api) -> None:
    admin = await api.admin()
    await api.create_user(admin, "changer")
    h = api.auth(await api.login("changer", "user-password-1"))
    for weak in ("password", "changer2024", "togglr2024!"):
        r = await api.client.post(
            "/api/v1/users/me/change-password",
            json={"old_password": "user-password-1", "new_password": weak},
            headers=h,
        )
        _weak(r)
    r = await api.client.post(
        "/api/v1/users/me/change-password",
        json={"old_password": "user-password-1", "new_password": "violet tram at dusk"},
        headers=h,
    )
    assert r.status_code == 204, r.text


async def test_a_weak_configured_admin_password_stops_the_first_start(
    api: Api, tmp_path: Any
) -> None:
    """On an empty database, TOGGLR_ADMIN_PASSWORD is held to the policy: say why, start no node."""
    url = api.app.runtime.settings.database_url
    async with api.services.storage.unit_of_work() as uow:  # back to an empty users table
        for user in (await uow.users.list(search=None, offset=0, limit=10))[0]:
            await uow.users.delete(user.id)
    settings = make_settings(url, tmp_path)
    weak = build_app(settings.model_copy(update={"admin_password": "password1"}))
    with pytest.raises(InvalidInputError, match="TOGGLR_ADMIN_PASSWORD is not acceptable"):
        async with LifespanManager(weak, startup_timeout=60):
            pass
    # A generated one (none configured) passes, of course.
    generated = build_app(settings.model_copy(update={"admin_password": None}))
    async with LifespanManager(generated, startup_timeout=60):
        assert generated.runtime.admin_password
