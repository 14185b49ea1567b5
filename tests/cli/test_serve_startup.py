"""`togglr serve` with a setting that cannot work: one clear line naming the setting, a non-zero
exit, and no "serving" line (issue 12, clear start-up errors). Real processes, real sockets."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

TIMEOUT = 60


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def _serve(tmp_path: Path, **env: str) -> subprocess.CompletedProcess[str]:
    base = {
        k: v for k, v in os.environ.items() if not k.startswith("TOGGLR_") or k == "TOGGLR_TEST"
    }
    base.update(
        TOGGLR_DATA_DIR=str(tmp_path),
        TOGGLR_DATABASE_URL=f"sqlite+aiosqlite:///{tmp_path}/t.db",
        TOGGLR_PORT=str(_free_port()),
        TOGGLR_METRICS_PORT=str(_free_port()),
        TOGGLR_FAST_PASSWORD_HASHING="true",
    )
    base.update(env)
    return subprocess.run(
        [sys.executable, "-m", "togglr", "serve"],
        env=base,
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
        check=False,
        cwd=tmp_path,
    )


def _closed_port() -> int:
    return _free_port()  # nothing listens there once the probe socket is closed


def _assert_one_clear_line(done: subprocess.CompletedProcess[str], *needles: str) -> None:
    out = done.stdout + done.stderr
    assert done.returncode != 0, out
    assert "serving on" not in out, out
    assert "Traceback" not in out, out
    assert len(out.strip().splitlines()) <= 3, out
    for needle in needles:
        assert needle in out, out


def test_a_malformed_database_url_names_the_setting(tmp_path: Path) -> None:
    done = _serve(tmp_path, TOGGLR_DATABASE_URL="nonsense://x")
    _assert_one_clear_line(done, "TOGGLR_DATABASE_URL", "nonsense")


def test_an_unreachable_database_names_the_setting_and_the_cause(tmp_path: Path) -> None:
    port = _closed_port()
    done = _serve(
        tmp_path, TOGGLR_DATABASE_URL=f"postgresql+asyncpg://postgres@127.0.0.1:{port}/none"
    )
    _assert_one_clear_line(done, "TOGGLR_DATABASE_URL", f"127.0.0.1:{port}")


def test_the_database_password_is_not_printed(tmp_path: Path) -> None:
    port = _closed_port()
    done = _serve(
        tmp_path,
        TOGGLR_DATABASE_URL=f"postgresql+asyncpg://postgres:s3cret-pw@127.0.0.1:{port}/none",
    )
    _assert_one_clear_line(done, "TOGGLR_DATABASE_URL")
    assert "s3cret-pw" not in done.stdout + done.stderr


def test_an_unreachable_nats_names_the_setting(tmp_path: Path) -> None:
    port = _closed_port()
    done = _serve(tmp_path, TOGGLR_BUS="nats", TOGGLR_NATS_URL=f"nats://127.0.0.1:{port}")
    _assert_one_clear_line(done, "TOGGLR_NATS_URL", f"127.0.0.1:{port}")


@pytest.mark.parametrize("taken", ["port", "metrics"])
def test_a_port_in_use_names_the_setting(tmp_path: Path, taken: str) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = str(busy.getsockname()[1])
        setting = "TOGGLR_PORT" if taken == "port" else "TOGGLR_METRICS_PORT"
        done = _serve(tmp_path, **{setting: port})
    _assert_one_clear_line(done, setting, port)
