"""HTTP transport for webhooks, Slack, Mattermost and Telegram (httpx)."""

from __future__ import annotations

import httpx

from togglr.domain.notifications import DeliveryError


class HttpxTransport:
    """One shared client; redirects are not followed, so a signed body never lands elsewhere."""

    def __init__(self, timeout: float = 10.0) -> None:
        self._client = httpx.AsyncClient(timeout=timeout, follow_redirects=False)

    async def post_json(self, url: str, body: bytes, headers: dict[str, str]) -> tuple[int, str]:
        try:
            response = await self._client.post(url, content=body, headers=headers)
        except httpx.HTTPError as exc:
            raise DeliveryError(
                f"could not reach the receiver: {exc.__class__.__name__}: {exc}"[:300]
            ) from exc
        return response.status_code, response.text[:1000]

    async def close(self) -> None:
        await self._client.aclose()
