"""Request bodies of the management API are limited (TOGGLR_API_MAX_BODY_BYTES, 1 MiB by default):
413 before a declared large body is read, and a streamed one is refused as soon as it passes the
limit, so a client cannot make the server hold a body of any size (issue 10, item 8)."""

from __future__ import annotations

import contextlib
import select
import socket
from collections.abc import AsyncIterator
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import orjson
import pytest
from tests.conftest import Api, fresh_sqlite_url, running_api
from tests.support.serve import togglr_serve

MIB = 1024 * 1024
CHUNK = 64 * 1024


class Upload:
    """A body fed to the app chunk by chunk (ASGI `receive` pulls one per call), counting what
    the app pulled."""

    def __init__(self, total: int) -> None:
        self.total = total
        self.pulled = 0

    async def chunks(self) -> AsyncIterator[bytes]:
        yield b'{"username": "'  # a JSON string that never ends
        while self.pulled < self.total:
            self.pulled += CHUNK
            yield b"a" * CHUNK

    async def post(self, api: Api, path: str, **headers: str) -> httpx.Response:
        return await api.client.post(
            path, content=self.chunks(), headers={"Content-Type": "application/json", **headers}
        )


def assert_too_large(status: int, body: bytes, limit: int) -> None:
    assert status == 413, body[:200]
    assert orjson.loads(body) == {
        "error": {"code": "too_large", "message": f"request body over {limit} bytes"}
    }


async def test_a_streamed_body_is_refused_once_it_passes_the_limit_not_read_to_its_end(
    sqlite_api: Api,
) -> None:
    """No Content-Length (chunked): the unauthenticated login reads 1 MiB and one chunk, not 50 MB."""
    upload = Upload(50 * MIB)
    r = await upload.post(sqlite_api, "/api/v1/auth/login")
    assert_too_large(r.status_code, r.content, MIB)
    assert upload.pulled <= MIB + CHUNK
    assert r.headers["connection"] == "close"  # the rest is never read


async def test_a_declared_length_over_the_limit_is_refused_before_anything_runs(
    sqlite_api: Api,
) -> None:
    big = {"Content-Length": str(300 * MIB)}
    for path in ("/api/v1/auth/login", "/api/v1/projects"):  # refused before authentication too
        upload = Upload(300 * MIB)
        r = await upload.post(sqlite_api, path, **big)
        assert_too_large(r.status_code, r.content, MIB)
        assert upload.pulled == 0


async def test_bodies_up_to_the_limit_are_read_as_before(sqlite_api: Api) -> None:
    padding = "x" * (MIB - 100)
    r = await sqlite_api.client.post(
        "/api/v1/auth/login", json={"username": "admin", "password": "wrong", "pad": padding}
    )
    assert len(r.request.content) <= MIB
    assert r.status_code in (400, 401), r.text  # judged on its content, not refused for its size
    assert (await sqlite_api.login()).startswith("ey")


async def test_the_limit_is_a_setting_and_the_sdk_api_keeps_its_own(tmp_path: Path) -> None:
    url = await fresh_sqlite_url(tmp_path)
    async with running_api(url, tmp_path, api_max_body_bytes=1000) as api:
        headers = await api.admin()
        r = await api.client.post(
            "/api/v1/projects", json={"name": "p", "description": "d" * 1000}, headers=headers
        )
        assert_too_large(r.status_code, r.content, 1000)
        project = await api.project(headers)
        key = await api.sdk_key(headers, project["id"])
        # the SDK API and OFREP are not the management API: their own 64 KiB, same error shape
        auth = {"Authorization": key}
        context = b'{"context": {"name": "' + b"x" * 2000 + b'"}}'
        r = await api.client.post("/ofrep/v1/evaluate/flags", content=context, headers=auth)
        assert r.status_code == 200, r.text
        big = b"{" + b" " * (64 * 1024) + b"}"
        r = await api.client.post("/ofrep/v1/evaluate/flags", content=big, headers=auth)
        assert_too_large(r.status_code, r.content, 64 * 1024)


def _stream_until_answered(url: str, path: str, total: int) -> tuple[int, bytes]:
    """POST a chunked body of `total` bytes over a socket, stopping as soon as the server answers.

    Returns (bytes of body sent, the answer as far as it came).
    """
    parts = urlsplit(url)
    sock = socket.create_connection((parts.hostname, parts.port), timeout=30)
    sock.sendall(
        f"POST {path} HTTP/1.1\r\nHost: {parts.netloc}\r\nContent-Type: application/json\r\n"
        "Transfer-Encoding: chunked\r\n\r\n".encode()
    )
    piece = b"%x\r\n" % CHUNK + b"a" * CHUNK + b"\r\n"
    sent = 0
    answer = b""
    with sock:
        with contextlib.suppress(OSError):  # the server may close while we still send
            while sent < total and not select.select([sock], [], [], 0)[0]:
                sock.sendall(piece)  # until the server answers: a real client stops there
                sent += CHUNK
        with contextlib.suppress(OSError):
            while not answer.rstrip().endswith(b"}"):
                data = sock.recv(65536)
                if not data:
                    break
                answer += data
    return sent, answer


@pytest.mark.slow
def test_a_50_mb_chunked_login_over_http_is_refused_early_and_memory_stays_flat(
    tmp_path: Path,
) -> None:
    with togglr_serve(tmp_path) as server:
        before = server.peak_rss_kib()
        sent, answer = _stream_until_answered(server.url, "/api/v1/auth/login", 50 * MIB)
        grown_mib = (server.peak_rss_kib() - before) / 1024
    assert answer.startswith(b"HTTP/1.1 413"), answer[:300]
    assert b'"code":"too_large"' in answer
    # 1 MiB read, plus what the kernel's socket buffers held: far from the 50 MB offered
    assert sent < 16 * MIB, sent
    assert grown_mib < 16, f"server memory grew by {grown_mib:.0f} MiB"
