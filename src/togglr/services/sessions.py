"""Sign-in sessions (refresh-token families) a user can see and end."""

from __future__ import annotations

from typing import Any

from togglr.domain.accounts import Principal, signed_in_user_id
from togglr.domain.errors import NotFoundError
from togglr.domain.identity import SignInSession
from togglr.services.common import Clock, audit


class SessionService:
    def __init__(self, storage: Any, clock: Clock) -> None:
        self._storage = storage
        self._now = clock

    async def list_mine(self, principal: Principal) -> list[SignInSession]:
        user_id = _signed_in(principal)
        async with self._storage.unit_of_work() as uow:
            sessions: list[SignInSession] = await uow.security.list_sessions(user_id, self._now())
            return sessions

    async def revoke(self, principal: Principal, session_id: str) -> None:
        """End one session: its refresh token stops working (access tokens run out on their own)."""
        user_id = _signed_in(principal)
        now = self._now()
        async with self._storage.unit_of_work() as uow:
            if await uow.security.session_owner(session_id) != user_id:
                raise NotFoundError("session", session_id)
            await uow.refresh_tokens.revoke_family(session_id, now)
            await audit(
                uow,
                principal,
                now,
                entity="session",
                entity_id=session_id,
                action="revoke",
                project_id=None,
            )

    async def revoke_all(self, principal: Principal) -> None:
        """Sign out everywhere."""
        user_id = _signed_in(principal)
        now = self._now()
        async with self._storage.unit_of_work() as uow:
            await uow.refresh_tokens.revoke_user(user_id, now)
            await audit(
                uow,
                principal,
                now,
                entity="session",
                entity_id=user_id,
                action="revoke_all",
                project_id=None,
            )


def _signed_in(principal: Principal) -> str:
    return signed_in_user_id(principal, "sessions")
