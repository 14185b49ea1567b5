"""In-process cost of one SDK evaluate request through the ASGI app, against the baseline app.

No sockets: the same trained server as bench/evaluate.py (a real SQLite database, the flag
seeded over HTTP), then each request is driven straight through the ASGI callable with a fixed
body and a new user id. This isolates what Togglr's own code costs per request from the server
and kernel work that both apps share. Usage:

    .venv/bin/python bench/sdk_inprocess.py [--requests 50000] [--repeat 3]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

HERE = Path(__file__).parent
sys.path.insert(0, str(HERE))

App = Callable[[dict[str, Any], Any, Any], Awaitable[None]]
PATH = "/sdk/v1/features/bench_flag/evaluate"


def per_request_us(app: App, key: str, n: int) -> float:
    """µs per request; every call must complete without suspending (all data is in memory)."""
    bodies = [
        b'{"user.id":"u1-%d","country":"US","plan":"free","app_version":"2.3.1"}' % i
        for i in range(n)
    ]
    headers = [
        (b"host", b"127.0.0.1"),
        (b"content-type", b"application/json"),
        (b"authorization", key.encode()),
        (b"content-length", b"70"),
    ]
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "scheme": "http",
        "method": "POST",
        "root_path": "",
        "path": PATH,
        "raw_path": PATH.encode(),
        "query_string": b"",
        "headers": headers,
    }
    current = [b""]
    last: list[dict[str, Any]] = [{}]

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": current[0], "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        last[0] = message

    start = time.perf_counter()
    for body in bodies:
        current[0] = body
        coro = app(dict(scope), receive, send)
        try:
            coro.send(None)
        except StopIteration:
            pass
        else:
            raise RuntimeError("the app suspended: this harness only drives in-memory paths")
    elapsed = time.perf_counter() - start
    assert last[0].get("body", b"").startswith(b'{"feature_key"'), last[0]
    return elapsed / n * 1e6


async def main(args: argparse.Namespace) -> None:
    import baseline_app
    import uvicorn
    from evaluate import free_port, seed

    from togglr.bootstrap import build_app

    app = build_app()
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, port=port, log_level="warning"))
    task = asyncio.create_task(server.serve())
    while not server.started:  # noqa: ASYNC110 - uvicorn offers no start-up event
        await asyncio.sleep(0.05)
    try:
        key = await asyncio.to_thread(seed, f"http://127.0.0.1:{port}")
        per_request_us(app, key, 2000)  # warm caches
        ours, base = [], []
        for _ in range(args.repeat):
            ours.append(per_request_us(app, key, args.requests))
            base.append(per_request_us(baseline_app.app, key, args.requests))
        print(f"togglr evaluate: {min(ours):.2f} µs/request (best of {args.repeat})")
        print(f"baseline app:    {min(base):.2f} µs/request")
        print(f"difference:      {min(ours) - min(base):.2f} µs/request")
    finally:
        server.should_exit = True
        await task


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=50_000)
    parser.add_argument("--repeat", type=int, default=3)
    arguments = parser.parse_args()
    tmp = tempfile.mkdtemp(prefix="togglr-bench-")
    os.environ.update(
        {
            "TOGGLR_DATABASE_URL": f"sqlite+aiosqlite:///{tmp}/bench.db",
            "TOGGLR_DATA_DIR": tmp,
            "TOGGLR_ADMIN_PASSWORD": "bench-password-1",
            "TOGGLR_METRICS_PORT": "0",
            "TOGGLR_LOG_LEVEL": "warning",
        }
    )
    asyncio.run(main(arguments))
