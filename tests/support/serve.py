"""A real `togglr serve` in a child process: the production uvicorn set-up, its own memory to measure."""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
from tests.conftest import ADMIN_EMAIL, ADMIN_PASSWORD, free_port


@dataclass
class Served:
    url: str
    pid: int
    log: Path

    def peak_rss_kib(self) -> int:
        """The server process's peak resident memory so far (VmHWM)."""
        for line in Path(f"/proc/{self.pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
        raise RuntimeError("no VmHWM in /proc")


@contextlib.contextmanager
def togglr_serve(tmp: Path, **env: str) -> Iterator[Served]:
    """`togglr serve` on a fresh SQLite file in `tmp`; `env`: more variables (TOGGLR_WEBUI_DIR=...)."""
    port = free_port()
    env = {
        **os.environ,
        "TOGGLR_DATABASE_URL": f"sqlite+aiosqlite:///{tmp}/togglr.db",
        "TOGGLR_DATA_DIR": str(tmp),
        "TOGGLR_HOST": "127.0.0.1",
        "TOGGLR_PORT": str(port),
        "TOGGLR_METRICS_PORT": "0",
        "TOGGLR_ADMIN_EMAIL": ADMIN_EMAIL,
        "TOGGLR_ADMIN_PASSWORD": ADMIN_PASSWORD,
        "TOGGLR_FAST_PASSWORD_HASHING": "true",
        **env,
    }
    log = tmp / "server.log"
    url = f"http://127.0.0.1:{port}"
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [str(Path(sys.executable).parent / "togglr"), "serve"],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            cwd=tmp,
        )
        try:
            deadline = time.monotonic() + 60
            while True:
                with contextlib.suppress(httpx.HTTPError):
                    if httpx.get(url + "/readyz", timeout=2).status_code == 200:
                        break
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("togglr serve did not start:\n" + log.read_text()[-3000:])
                time.sleep(0.2)
            yield Served(url, proc.pid, log)
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
