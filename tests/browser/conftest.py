"""Browser tests: Playwright driving Debian's chromium against a real `caim demo` server.

The server runs in its own process on its own SQLite database (a temporary CAIM_VAR_DIR), so browser tests
see exactly what a visitor of the demo sees and never touch the test database.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking",
                 "--disable-component-update", "--no-first-run", "--disable-sync"]  # fmt: skip


def pytest_collection_modifyitems(config, items):
    for item in items:
        if "browser" in str(item.fspath):
            item.add_marker(pytest.mark.browser)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass(frozen=True)
class DemoServer:
    url: str
    env: dict[str, str]  # the server's environment: run `python -m caim ...` with it to act on its database


@dataclass(frozen=True)
class Account:
    username: str
    password: str
    role: str


def require_chromium() -> None:
    if CHROMIUM is None:
        if os.environ.get("CAIM_REQUIRE_BROWSER"):
            pytest.fail("chromium is not installed and CAIM_REQUIRE_BROWSER is set")
        pytest.skip("chromium is not installed (apt-get install chromium): browser tests skipped")


@contextmanager
def demo_process(var_dir: Path, extra_env: dict[str, str] | None = None) -> Iterator[DemoServer]:
    """A `caim demo` server on a free port with its own CAIM_VAR_DIR (and `extra_env`: settings, or a DATABASE_URL),
    stopped on exit."""
    port = _free_port()
    env = {
        k: v for k, v in os.environ.items() if k != "DATABASE_URL"
    }  # its own SQLite file, unless extra_env
    env.update({"CAIM_VAR_DIR": str(var_dir), "DEBUG": "0", "CAIM_SITE_URL": f"http://127.0.0.1:{port}",
                **(extra_env or {})})  # fmt: skip
    log = Path(env["CAIM_VAR_DIR"]) / "server.log"
    with log.open("w") as out:
        proc = subprocess.Popen([sys.executable, "-m", "caim", "demo", "--addr", f"127.0.0.1:{port}"], env=env,
                                stdout=out, stderr=subprocess.STDOUT)  # fmt: skip
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"the demo server stopped:\n{log.read_text()}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                break
        except OSError:
            time.sleep(0.3)
    else:
        proc.kill()
        pytest.fail(f"the demo server did not start:\n{log.read_text()}")
    try:
        yield DemoServer(f"http://127.0.0.1:{port}", env)
    finally:
        proc.terminate()
        proc.wait(timeout=10)


@pytest.fixture(scope="session")
def demo(tmp_path_factory):
    require_chromium()
    with demo_process(tmp_path_factory.mktemp("demo-var")) as server:
        yield server


@pytest.fixture(scope="session")
def demo_server(demo):
    return demo.url


@pytest.fixture(scope="session")
def demo_env(demo):
    """The demo server's environment (its CAIM_VAR_DIR, no DATABASE_URL), a copy to run `caim` commands with."""
    return dict(demo.env)


@pytest.fixture(scope="session")
def staff_accounts(demo_env) -> dict[str, Account]:
    """Staff accounts on the demo server, with known passwords: two editors (to edit one record at the same time)
    and a reviewer. Created with `caim createuser`, as an administrator would."""
    accounts = {"editor": Account("browser-editor", "Quill-Lantern-4821", "editor"),
                "editor2": Account("browser-editor-2", "Harbor-Spruce-7390", "editor"),
                "reviewer": Account("browser-reviewer", "Meadow-Copper-5164", "reviewer")}  # fmt: skip
    for account in accounts.values():
        done = subprocess.run([sys.executable, "-m", "caim", "createuser", account.username, "--role", account.role,
                               "--password", account.password], env=demo_env, capture_output=True, text=True,
                              timeout=60)  # fmt: skip
        if done.returncode != 0:
            pytest.fail(f"caim createuser {account.username} failed:\n{done.stdout}{done.stderr}")
    return accounts


@pytest.fixture(scope="session")
def browser(demo_server, playwright_session):
    b = playwright_session.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
    yield b
    b.close()


@pytest.fixture
def page(browser):
    context = browser.new_context()
    pg = context.new_page()
    pg.console_errors = []
    pg.on("console", lambda m: pg.console_errors.append(m.text) if m.type == "error" else None)
    pg.on("pageerror", lambda e: pg.console_errors.append(str(e)))
    yield pg
    context.close()
