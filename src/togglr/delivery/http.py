"""HTTP transport for webhooks, Slack, Mattermost and Telegram (httpx), under the SSRF policy.

Every request looks the receiver's host up once, has the egress policy judge those addresses, and
connects to one of them by IP, with the original name in the Host header and as the TLS server
name (so certificates are still checked against the name). A name that answered a public address
when the channel was saved and an internal one now is refused now: there is no second look-up the
connection could make.
"""

from __future__ import annotations

import asyncio
import socket
import ssl

import httpx

from togglr.domain.egress import (
    DEFAULT_PORTS,
    EgressPolicy,
    EgressRefusedError,
    UnresolvableHostError,
)
from togglr.domain.notifications import DeliveryError

MAX_ANSWER_BYTES = 64 * 1024  # enough for any chat API's answer; the rest is not read


async def system_resolve(host: str, port: int) -> list[str]:
    """The operating system's answer for host:port (TCP), without duplicates."""
    try:
        infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError) as exc:
        raise UnresolvableHostError(host) from exc
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


class HttpxTransport:
    """One shared client. Redirects are not followed, so a signed body never lands elsewhere;
    connections are not kept, because a pooled connection is keyed by the IP it went to and could
    otherwise serve a request for another name on that IP; proxy variables are not read, because
    the policy judges where the server connects."""

    def __init__(
        self, egress: EgressPolicy, timeout: float = 10.0, verify: ssl.SSLContext | bool = True
    ) -> None:
        self._egress = egress
        self._deadline = 3 * timeout  # a receiver trickling its answer still ends here
        self._client = httpx.AsyncClient(
            verify=verify,
            timeout=timeout,
            follow_redirects=False,
            trust_env=False,
            limits=httpx.Limits(max_keepalive_connections=0),
        )

    async def post_json(self, url: str, body: bytes, headers: dict[str, str]) -> tuple[int, bytes]:
        try:
            async with asyncio.timeout(self._deadline):
                return await self._post(url, body, headers)
        except TimeoutError:
            raise DeliveryError("could not reach the receiver: no answer in time") from None

    async def _post(self, url: str, body: bytes, headers: dict[str, str]) -> tuple[int, bytes]:
        try:
            target = httpx.URL(url)
            host = target.raw_host.decode("ascii")
            port = target.port or DEFAULT_PORTS[target.scheme]
        except (httpx.InvalidURL, KeyError, UnicodeError):
            raise DeliveryError("the receiver URL is not a valid http(s) URL") from None
        try:
            addresses = await self._egress.addresses(host, port)
        except EgressRefusedError as exc:
            raise DeliveryError(f"refused: {exc}") from None
        except UnresolvableHostError:
            raise DeliveryError(f"could not resolve the receiver's host name {host}") from None
        failure: Exception | None = None
        for address in addresses:  # like a browser: the next address when one does not connect
            try:
                return await self._send(target, address, body, headers)
            except (httpx.ConnectError, httpx.ConnectTimeout) as exc:
                failure = exc
            except httpx.HTTPError as exc:
                failure = exc
                break
        # The class only: the text of some errors quotes what the other side sent.
        raise DeliveryError(f"could not reach the receiver: {failure.__class__.__name__}")

    async def _send(
        self, target: httpx.URL, address: str, body: bytes, headers: dict[str, str]
    ) -> tuple[int, bytes]:
        request = self._client.build_request(
            "POST",
            target.copy_with(host=address),
            content=body,
            headers={
                **headers,
                "Host": target.netloc.decode("ascii"),
                "Accept-Encoding": "identity",
            },
            extensions={"sni_hostname": target.raw_host.decode("ascii")}
            if target.scheme == "https"
            else {},
        )
        response = await self._client.send(request, stream=True)
        try:
            answer = bytearray()
            async for chunk in response.aiter_raw():
                answer += chunk
                if len(answer) >= MAX_ANSWER_BYTES:
                    break
        finally:
            await response.aclose()
        return response.status_code, bytes(answer[:MAX_ANSWER_BYTES])

    async def close(self) -> None:
        await self._client.aclose()
