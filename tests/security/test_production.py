"""Production as docs/deploy.md describes it: the deploy check with the documented environment, and `caim serve`
run as a real server (gunicorn workers, compressed static files, secure cookies, HSTS, the HTTPS redirect)."""

from __future__ import annotations

import gzip
import os
import re
import secrets
import shlex
import subprocess
import sys
import time
from http.cookies import SimpleCookie

import pytest
from django.core.checks import run_checks
from django.test import override_settings

from caim import checks
from tests.security.processes import (
    ROOT,
    ScratchDatabases,
    caim,
    children,
    environment,
    free_port,
    get,
    start,
    stop,
    wait_until_serving,
)

DOCUMENTED_BLOCK = (
    (ROOT / "docs/deploy.md").read_text(encoding="utf-8").split("```sh", 1)[1].split("```", 1)[0]
)
PASSWORD = "a-long-test-password-for-production"  # noqa: S105


def documented_environment() -> dict[str, str]:
    """The variables the `export` lines of docs/deploy.md set (a fresh secret key for its `$(...)`)."""
    values = {}
    for line in DOCUMENTED_BLOCK.splitlines():
        if line.startswith("export "):
            for token in shlex.split(line.removeprefix("export ")):
                name, _sep, value = token.partition("=")
                values[name] = secrets.token_urlsafe(50) if value.startswith("$(") else value
    assert {"CAIM_ENV", "SECRET_KEY", "ALLOWED_HOSTS", "CAIM_SITE_URL"} <= set(values)
    return values


def check_deploy(tmp_path, **changes: str) -> subprocess.CompletedProcess:
    settings = {**documented_environment(), **changes}
    # A database that is never opened: the checks read settings only.
    env = environment(f"sqlite:///{tmp_path / 'unused.sqlite3'}", tmp_path, **settings)
    return subprocess.run([sys.executable, "-m", "caim", "check", "--deploy"], env=env, cwd=ROOT,
                          capture_output=True, text=True, timeout=120, check=False)  # fmt: skip


def test_the_documented_production_environment_passes_the_deploy_check(tmp_path):
    result = check_deploy(tmp_path)
    assert result.returncode == 0, result.stderr
    assert "System check identified no issues (0 silenced)." in result.stdout
    assert result.stderr == ""


def test_a_deliberately_silenced_check_is_not_reported(tmp_path):
    without_preload = check_deploy(tmp_path, SECURE_HSTS_PRELOAD="0")
    assert without_preload.returncode == 1 and "security.W021" in without_preload.stderr
    silenced = check_deploy(tmp_path, SECURE_HSTS_PRELOAD="0", SILENCED_SYSTEM_CHECKS="security.W021")
    assert silenced.returncode == 0 and "(1 silenced)" in silenced.stdout


def test_a_bad_production_environment_fails_the_deploy_check_saying_what_to_set(tmp_path):
    result = check_deploy(
        tmp_path,
        CAIM_SITE_URL="http://127.0.0.1:8000",
        ALLOWED_HOSTS="*",
        EMAIL_BACKEND="django.core.mail.backends.console.EmailBackend",
        DEFAULT_FROM_EMAIL="monitor@localhost",
        CAIM_FETCH_ALLOW_PRIVATE="1",
        SECURE_HSTS_SECONDS="0",
        SECURE_SSL_REDIRECT="0",
    )
    assert result.returncode == 1
    found = set(re.findall(r"\((caim\.W\d+|security\.W\d+)\)", result.stderr))
    assert found == {"caim.W002", "caim.W003", "caim.W006", "caim.W007", "caim.W008", "security.W004",
                     "security.W008"}  # fmt: skip
    assert "HINT: Set CAIM_SITE_URL to the monitor's public https:// address" in result.stderr
    assert "HINT: Unset CAIM_FETCH_ALLOW_PRIVATE in production." in result.stderr


def test_development_settings_fail_the_deploy_check(tmp_path):
    env = environment(f"sqlite:///{tmp_path / 'unused.sqlite3'}", tmp_path, DEBUG="1")
    result = subprocess.run([sys.executable, "-m", "caim", "check", "--deploy"], env=env, cwd=ROOT,
                            capture_output=True, text=True, timeout=120, check=False)  # fmt: skip
    assert result.returncode == 1
    for expected in ("caim.W001", "security.W018", "security.W012", "caim.W002"):  # W018: DEBUG, W012: cookie
        assert expected in result.stderr
    plain = subprocess.run([sys.executable, "-m", "caim", "check"], env=env, cwd=ROOT, capture_output=True,
                           text=True, timeout=120, check=False)  # fmt: skip
    assert plain.returncode == 0  # without --deploy, development settings are fine


def deployment_ids(**settings) -> set[str]:
    with override_settings(**settings):
        return {
            issue.id for issue in run_checks(include_deployment_checks=True) if issue.id.startswith("caim.")
        }


def test_a_cache_of_one_process_is_reported():
    locmem = {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
    shared = {"BACKEND": "caim.cache.CountingDatabaseCache", "LOCATION": "caim_cache"}
    assert "caim.W005" in deployment_ids(CACHES={"default": locmem})
    assert "caim.W005" not in deployment_ids(CACHES={"default": shared})


@pytest.mark.parametrize(
    ("allowed", "warned"),
    [
        (["monitor.example.org"], False),
        ([".example.org"], False),
        (["example.org"], True),
        (["other.org"], True),
    ],
)
def test_the_public_host_must_be_allowed(allowed, warned):
    ids = deployment_ids(CAIM_SITE_URL="https://monitor.example.org", ALLOWED_HOSTS=allowed)
    assert ("caim.W004" in ids) is warned
    assert "caim.W002" not in ids


@pytest.mark.parametrize(
    "url",
    ["https://localhost", "https://monitor.local", "http://monitor.example.org", "https://", "ftp://x.org"],
)
def test_a_site_address_that_is_not_public_https_is_reported(url):
    with override_settings(CAIM_SITE_URL=url, ALLOWED_HOSTS=["monitor.example.org"]):
        assert "caim.W002" in {w.id for w in checks.check_site_url(None)}


# -- the production server ----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def server(tmp_path_factory, django_db_blocker):
    """`caim serve` with the documented environment (its own database and var folder, on a free port), as the
    TLS proxy would reach it; the account `t-prod-editor` exists."""
    folder = tmp_path_factory.mktemp("production")
    with django_db_blocker.unblock():
        databases = ScratchDatabases(folder)
        database = databases.new()
    port = free_port()
    env = environment(database, folder, **documented_environment())
    env["ALLOWED_HOSTS"] = "127.0.0.1"
    caim(env, "migrate", "--verbosity", "0")
    caim(env, "createuser", "t-prod-editor", "--role", "editor", "--password", PASSWORD)
    log = (folder / "server.log").open("w+")
    process = start([sys.executable, "-m", "caim", "serve", "--addr", f"127.0.0.1:{port}"], env,
                    stdout=log, stderr=subprocess.STDOUT, text=True)  # fmt: skip
    try:
        wait_until_serving(port, process)
        log.seek(0)
        yield {"port": port, "process": process, "folder": folder, "output": log.read()}
    finally:
        stop(process)
        log.close()
        with django_db_blocker.unblock():
            databases.drop()


HTTPS = {"X-Forwarded-Proto": "https"}  # what the TLS proxy adds (BEHIND_TLS_PROXY=1)


def headers_of(pairs) -> dict[str, str]:
    return {name.lower(): value for name, value in pairs}


def test_the_server_is_gunicorn_with_several_workers_and_says_what_it_checks(server):
    from caim.cli import production_workers

    workers = production_workers()  # one per CPU core, at least two
    assert workers == max(2, len(os.sched_getaffinity(0)))
    assert f"with gunicorn, {workers} workers x 16 threads" in server["output"]
    deadline = time.monotonic() + 60  # gunicorn forks its workers one after the other
    while len(children(server["process"].pid)) < workers and time.monotonic() < deadline:
        time.sleep(0.2)
    assert len(children(server["process"].pid)) == workers
    # The public address is not in ALLOWED_HOSTS here: the operator is told at start.
    assert "deployment warning(s) (caim.W004): run `caim check --deploy`" in server["output"]


def test_static_files_are_served_compressed_from_the_collected_copies(server):
    css = (ROOT / "src/caim/site/static/caim/site.css").read_bytes()
    assert (server["folder"] / "static" / "caim" / "site.css.gz").is_file()  # collected by `caim serve`
    status, pairs, body = get(server["port"], "/static/caim/site.css", {**HTTPS, "Accept-Encoding": "gzip"})
    headers = headers_of(pairs)
    assert status == 200 and headers["content-encoding"] == "gzip"
    # The copy collectstatic wrote, sent as a file (compressing on the fly would stream without a length).
    assert headers["content-length"] == str((server["folder"] / "static/caim/site.css.gz").stat().st_size)
    assert "accept-encoding" in headers["vary"].lower()
    assert len(body) < len(css) / 2 and gzip.decompress(body) == css
    assert (
        headers["x-content-type-options"] == "nosniff"
        and "frame-ancestors 'none'" in headers["content-security-policy"]
    )
    status, pairs, body = get(server["port"], "/static/caim/site.css", HTTPS)
    assert status == 200 and "content-encoding" not in headers_of(pairs) and body == css


def test_plain_http_is_redirected_to_https_and_https_gets_hsts(server):
    status, pairs, _body = get(server["port"], "/incidents/")
    assert status == 301 and headers_of(pairs)["location"].startswith("https://127.0.0.1")
    assert "strict-transport-security" not in headers_of(pairs)
    status, pairs, _body = get(server["port"], "/incidents/", HTTPS)
    headers = headers_of(pairs)
    assert status == 200
    assert headers["strict-transport-security"] == "max-age=31536000; includeSubDomains; preload"
    assert "'unsafe-inline'" not in headers["content-security-policy"]


def cookies(pairs) -> dict[str, str]:
    """Each Set-Cookie header as {name: the whole header value}."""
    return {value.split("=", 1)[0]: value for name, value in pairs if name.lower() == "set-cookie"}


def test_cookies_are_secure_httponly_and_samesite_in_production(server):
    port = server["port"]
    status, pairs, body = get(port, "/staff/login/", HTTPS)
    assert status == 200
    csrf_cookie = cookies(pairs)["csrftoken"]
    for flag in ("Secure", "SameSite=Lax", "Path=/"):
        assert flag in csrf_cookie
    token = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', body).group(1).decode()
    csrf_value = SimpleCookie(csrf_cookie)["csrftoken"].value
    form = f"username=t-prod-editor&password={PASSWORD}&csrfmiddlewaretoken={token}"
    status, pairs, _body = get(port, "/staff/login/", {
        **HTTPS, "Cookie": f"csrftoken={csrf_value}", "Origin": f"https://127.0.0.1:{port}",
        "Content-Type": "application/x-www-form-urlencoded"}, method="POST", body=form)  # fmt: skip
    assert status == 302, "the sign-in failed"
    session_cookie = cookies(pairs)["sessionid"]
    for flag in ("Secure", "HttpOnly", "SameSite=Lax"):
        assert flag in session_cookie
    session = SimpleCookie(session_cookie)["sessionid"].value
    status, pairs, _body = get(port, "/staff/", {**HTTPS, "Cookie": f"sessionid={session}"})
    assert status == 200 and "no-store" in headers_of(pairs)["cache-control"]
