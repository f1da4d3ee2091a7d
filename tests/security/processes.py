"""What the tests of real processes share: scratch databases of the session's kind, `caim` in a subprocess, a
free port, the production server.

A subprocess never uses the test database (it lives in the test's transaction): it gets a database of its own, of
the same kind as the session's (a SQLite file, or a PostgreSQL database on the session's server, dropped after).
"""

from __future__ import annotations

import contextlib
import http.client
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path

import psycopg
from django.db import connection

ROOT = Path(__file__).resolve().parents[2]
DEFAULT_PG = "postgres://postgres@127.0.0.1:5432/test"


def pg_server() -> str:
    """The session's PostgreSQL server, without a database name."""
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith("postgres"):
        url = os.environ.get("CAIM_TEST_DATABASE_URL", DEFAULT_PG)
    return url.rsplit("/", 1)[0]


class ScratchDatabases:
    """Databases made for subprocesses, of the session's kind; `drop()` removes them all."""

    def __init__(self, folder: Path):
        self.folder = folder
        self.postgres = connection.vendor == "postgresql"
        self.made: list[str] = []

    def _admin(self):
        return psycopg.connect(f"{pg_server()}/postgres", autocommit=True)

    def new(self, template: str | None = None) -> str:
        """An empty database (or a copy of `template`, a URL this object made)."""
        name = f"caim_scratch_{uuid.uuid4().hex[:12]}"
        if self.postgres:
            with self._admin() as admin:
                admin.execute(
                    f'CREATE DATABASE "{name}"' + (f' TEMPLATE "{_name(template)}"' if template else "")
                )
            url = f"{pg_server()}/{name}"
        else:
            path = self.folder / f"{name}.sqlite3"
            if template:
                source = Path(template.removeprefix("sqlite:///"))
                for suffix in (
                    "",
                    "-wal",
                ):  # a process that exited has checkpointed, but copy both to be sure
                    if Path(f"{source}{suffix}").exists():
                        shutil.copyfile(f"{source}{suffix}", f"{path}{suffix}")
            url = f"sqlite:///{path}"
        self.made.append(url)
        return url

    def drop(self) -> None:
        if self.postgres:
            with self._admin() as admin:
                for url in self.made:
                    admin.execute(f'DROP DATABASE IF EXISTS "{_name(url)}" WITH (FORCE)')
        self.made.clear()


def _name(url: str) -> str:
    return url.rsplit("/", 1)[1]


SETTINGS_PREFIXES = ("CAIM_", "SECURE_", "DJANGO_", "EMAIL_")
SETTINGS_NAMES = {"DATABASE_URL", "SECRET_KEY", "DEBUG", "ALLOWED_HOSTS", "CSRF_TRUSTED_ORIGINS", "CACHE_URL",
                  "BEHIND_TLS_PROXY", "SILENCED_SYSTEM_CHECKS", "DEFAULT_FROM_EMAIL", "CONN_MAX_AGE"}  # fmt: skip


def environment(database: str, var_dir: Path, **settings: str) -> dict[str, str]:
    """The environment of a subprocess: none of this process's settings, these ones, its own database and
    var folder."""
    env = {
        k: v for k, v in os.environ.items() if not k.startswith(SETTINGS_PREFIXES) and k not in SETTINGS_NAMES
    }
    env.update({"CAIM_ENV": "development", "DEBUG": "0", "LOG_LEVEL": "ERROR", "PYTHONPATH": str(ROOT)})
    env.update(settings)
    env.update({"DATABASE_URL": database, "CAIM_VAR_DIR": str(var_dir)})
    var_dir.mkdir(parents=True, exist_ok=True)
    return env


def caim(env: dict[str, str], *args: str, timeout: float = 300) -> subprocess.CompletedProcess:
    result = subprocess.run([sys.executable, "-m", "caim", *args], env=env, cwd=ROOT, capture_output=True,
                            text=True, timeout=timeout, check=False)  # fmt: skip
    assert result.returncode == 0, f"caim {' '.join(args)}: {result.stdout}\n{result.stderr}"
    return result


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start(command: list[str], env: dict[str, str], **kwargs) -> subprocess.Popen:
    """A process in its own group, so that `kill_group` ends it with every process it started."""
    return subprocess.Popen(command, env=env, cwd=ROOT, start_new_session=True, **kwargs)


def kill_group(process: subprocess.Popen, sig: int = signal.SIGKILL) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, sig)
    process.wait(timeout=60)


def stop(process: subprocess.Popen) -> None:
    """SIGTERM (gunicorn stops its workers gracefully), SIGKILL to the group if that takes too long."""
    if process.poll() is None:
        process.terminate()
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(timeout=30)
    kill_group(process)


def children(pid: int) -> list[int]:
    """The process ids whose parent is `pid` (from /proc)."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                found.append(int(entry.name))
    return found


def get(
    port: int, path: str, headers: dict[str, str] | None = None, method: str = "GET", body: str | None = None
):
    """(status, headers as a list of pairs, body bytes) of one request to 127.0.0.1:port."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    try:
        conn.request(method, path, body=body, headers=headers or {})
        response = conn.getresponse()
        return response.status, response.getheaders(), response.read()
    finally:
        conn.close()


def wait_until_serving(port: int, process: subprocess.Popen, timeout: float = 180) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert process.poll() is None, f"the server stopped (exit {process.returncode})"
        try:
            get(port, "/robots.txt")  # any answer (a production server may redirect plain HTTP)
            return
        except OSError:
            pass
        time.sleep(0.3)
    raise AssertionError(f"the server did not answer within {timeout} s")
