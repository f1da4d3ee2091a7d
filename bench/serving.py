"""What the HTTP benchmarks share: the production server on a benchmark database, waiting for it, and wrk."""

from __future__ import annotations

import os
import re
import secrets
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

HOST = "127.0.0.1"


def production_env(database: str, var_dir: Path) -> dict[str, str]:
    return {
        **os.environ,
        "DATABASE_URL": database,
        "CAIM_VAR_DIR": str(var_dir),
        "CAIM_ENV": "production",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": HOST,
        "LOG_LEVEL": "ERROR",
    }


def start_server(env: dict[str, str], port: int, workers: int, threads: int) -> subprocess.Popen:
    """`caim serve` as in production (gunicorn, threaded workers)."""
    return subprocess.Popen(
        [sys.executable, "-m", "caim", "serve", "--addr", f"{HOST}:{port}",
         "--workers", str(workers), "--threads", str(threads)],
        env=env, stdout=subprocess.DEVNULL,
    )  # fmt: skip


def stop_server(process: subprocess.Popen | None) -> None:
    if process is not None and process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()


def wait_for(url: str, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(url, timeout=30).read()  # noqa: S310 - a loopback URL we built
            return
        except OSError:
            time.sleep(0.5)
    raise SystemExit(f"The server did not answer {url} within {timeout} s.")


def run_wrk(
    url: str,
    seconds: int,
    connections: int,
    paths: list[str] | None = None,
    threads: int = 2,
    headers: dict[str, str] | None = None,
) -> dict:
    """wrk --latency on `url`, or in turn on each of `paths` (relative to it); latencies in ms. `errors` counts
    non-2xx/3xx answers, `socket_errors` connect/read/write errors, `timeouts` requests over 30 s."""
    command = ["wrk", f"-t{threads}", f"-c{connections}", f"-d{seconds}s", "--latency", "--timeout", "30s"]
    for name, value in (headers or {}).items():
        command += ["-H", f"{name}: {value}"]
    script = None
    if paths:
        listed = ", ".join(f'"{p}"' for p in paths)
        script = tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False)  # noqa: SIM115 - wrk reads it
        script.write(
            f"local paths = {{{listed}}}\nlocal i = 0\n"
            "request = function()\n  i = i + 1\n  return wrk.format('GET', paths[(i % #paths) + 1])\nend\n"
        )
        script.close()
        command += ["-s", script.name]
    try:
        out = subprocess.run([*command, url], capture_output=True, text=True, check=True).stdout
    finally:
        if script is not None:
            os.unlink(script.name)

    def ms(label: str) -> float:
        match = re.search(rf"^\s*{label}%?\s+([\d.]+)(us|ms|s|m)\s*$", out, re.M)
        if not match:
            return float("nan")
        value, unit = float(match.group(1)), match.group(2)
        return {"us": value / 1000, "ms": value, "s": value * 1000, "m": value * 60_000}[unit]

    rate = re.search(r"Requests/sec:\s+([\d.]+)", out)
    total = re.search(r"(\d+) requests in", out)
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    sockets = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    return {
        "p50": ms("50"), "p90": ms("90"), "p99": ms("99"),
        "rps": float(rate.group(1)) if rate else 0.0,
        "requests": int(total.group(1)) if total else 0,
        "errors": int(errors.group(1)) if errors else 0,
        "socket_errors": sum(int(x) for x in sockets.groups()[:3]) if sockets else 0,
        "timeouts": int(sockets.group(4)) if sockets else 0,
        "raw": out,
    }  # fmt: skip
