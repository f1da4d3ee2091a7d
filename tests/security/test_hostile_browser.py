"""The hostile corpus in a real browser: stored through every input path of a running monitor (over HTTP, as the
forms post; the AIID importer on a fixture copy with payloads), published by two people, then every page that
shows it opened in chromium, in English and in French, public pages as a reader and staff pages as an editor,
with the htmx fragments that show it (the editor's live lint, search as you type, entity creation, list filters).

On every page a sentinel counts scripts that ran (`window.__xss(id)`, dialogs), the server counts requests for
`/xss-beacon/<id>` (HTML injection where no script runs), the DOM is audited (hostile_audit.DOM_AUDIT: no handler,
no foreign script, frame or style, every href and src http(s), mailto or relative), and no answer is a 5xx.
Each page is opened twice: with the Content-Security-Policy bypassed, so that a payload in executable position
runs and is counted as an execution, and with it enforced, counting what it blocks (CSP violations) separately.

The server runs on SQLite, or on a new PostgreSQL database when the suite runs with a PostgreSQL DATABASE_URL.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import httpx
import pytest

from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS, demo_process, require_chromium
from tests.security.hostile_audit import DOM_AUDIT, audit_atom, audit_json_feed
from tests.security.hostile_seed import HostileFeed, HttpSite, Seeded, seed, sign_in
from tests.security.xss_corpus import BEACON, HTML_PAYLOADS, ids_in

pytestmark = pytest.mark.browser

ACCOUNTS = {"editor": ("hostile-editor", "Quill-Harbor-5521", "editor"),
            "reviewer": ("hostile-reviewer", "Copper-Meadow-7718", "reviewer")}  # fmt: skip
TIMEOUT_MS = 30_000
# Defined before any script of the page: the sentinel payloads call, dialogs, and the CSP's own report.
SENTINEL = """(() => {
  const hits = [], csp = [];
  Object.defineProperty(window, "__xssHits", {value: hits});
  Object.defineProperty(window, "__cspViolations", {value: csp});
  window.__xss = (id) => { hits.push(String(id)); };
  for (const name of ["alert", "confirm", "prompt"]) window[name] = (m) => { hits.push(`${name}(${m})`); };
  document.addEventListener("securitypolicyviolation",
    (e) => csp.push(`${e.violatedDirective} blocked ${e.blockedURI || "inline"} in ${e.sourceFile || "the page"}`));
})();"""


@contextlib.contextmanager
def server_database():
    """{} for SQLite; on PostgreSQL, the DATABASE_URL of a new database for the server, dropped afterwards."""
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith(("postgres://", "postgresql://")):
        yield {}
        return
    import psycopg

    name = f"caim_hostile_{uuid.uuid4().hex[:8]}"
    parts = urlsplit(url)
    with psycopg.connect(urlunsplit(parts._replace(path="/postgres")), autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield {"DATABASE_URL": urlunsplit(parts._replace(path=f"/{name}"))}
    finally:
        with psycopg.connect(urlunsplit(parts._replace(path="/postgres")), autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    require_chromium()
    with server_database() as database:
        var = tmp_path_factory.mktemp("hostile-var")
        # The robot trap of the public forms wants a person's pause between showing and sending; seeding has none.
        with demo_process(var, {"CAIM_SUBMIT_MIN_SECONDS": "0", **database}) as demo:
            yield demo


def caim(server, *args: str, env: dict[str, str] | None = None) -> None:
    """A `caim` command on the server's database (its settings, and `env`)."""
    done = subprocess.run([sys.executable, "-m", "caim", *args], env={**server.env, **(env or {})},
                          capture_output=True, text=True, timeout=300)  # fmt: skip
    assert done.returncode == 0, f"caim {' '.join(args)}:\n{done.stdout}{done.stderr}"


@pytest.fixture(scope="module")
def seeded(server, tmp_path_factory) -> Seeded:
    sites = {}
    for role, (username, password, group) in ACCOUNTS.items():
        caim(server, "createuser", username, "--role", group, "--password", password)
        sites[role] = HttpSite(server.url)
        sign_in(sites[role], username, password)
    tmp = tmp_path_factory.mktemp("hostile-aiid")
    poll_env = {
        "CAIM_FETCH_ALLOW_PRIVATE": "1",
        "CAIM_FETCH_HOST_INTERVAL": "0",
        "CAIM_POLL_MIN_RELEVANCE": "0",
    }
    with HostileFeed() as feed:
        return seed(sites["editor"], sites["reviewer"], HttpSite(server.url),
                    lambda path: caim(server, "import-aiid", str(path), "--as-drafts", "--accept-partial"),
                    lambda source: caim(server, "poll", "--source", str(source), env=poll_env), feed.base, tmp)  # fmt: skip


@pytest.fixture(scope="module")
def chromium(server, playwright_session):
    browser = playwright_session.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
    yield browser
    browser.close()


@dataclass
class Watch:
    """What one browser context saw."""

    executions: list[str] = field(default_factory=list)
    csp: list[str] = field(default_factory=list)
    beacons: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)  # 5xx answers and script errors
    dom: list[str] = field(default_factory=list)
    pages: int = 0
    shown: set[int] = field(default_factory=set)
    texts: dict[str, str] = field(default_factory=dict)  # page -> its HTML as the browser has it

    def take(self, page, where: str) -> None:
        """After a page (or an htmx swap) settled: the sentinel's counts and the DOM audit."""
        self.executions += [f"{where}: {hit}" for hit in page.evaluate("() => window.__xssHits")]
        self.csp += [f"{where}: {v}" for v in page.evaluate("() => window.__cspViolations")]
        self.dom += [f"{where}: {problem}" for problem in page.evaluate(DOM_AUDIT)]
        self.texts[where] = page.content()
        self.shown |= ids_in(self.texts[where])


def open_context(chromium, server, watch: Watch, *, bypass_csp: bool, account: str | None = None):
    context = chromium.new_context(base_url=server.url, bypass_csp=bypass_csp)
    context.set_default_timeout(TIMEOUT_MS)
    context.add_init_script(SENTINEL)
    context.on("request", lambda r: watch.beacons.append(r.url) if BEACON in r.url else None)
    context.on("response", lambda r: watch.errors.append(f"{r.status} {r.url}") if r.status >= 500 else None)
    page = context.new_page()
    page.on("dialog", lambda d: (watch.executions.append(f"dialog {d.message}"), d.dismiss()))
    page.on("pageerror", lambda e: watch.errors.append(f"{page.url}: {e}"))
    # Chromium also says in the console what the CSP blocked: counted with the policy's own reports.
    page.on("console", lambda m: watch.csp.append(f"{page.url}: console: {m.text}")
            if m.type == "error" and "Content Security Policy" in m.text else None)  # fmt: skip
    if account:
        username, password, _role = ACCOUNTS[account]
        page.goto("/staff/login/")
        page.fill("#id_username", username)
        page.fill("#id_password", password)
        page.click("form.form button[type=submit]")
        page.wait_for_url("**/staff/")
    return context, page


def visit(page, watch: Watch, path: str) -> None:
    answer = page.goto(path, wait_until="load")
    assert answer is not None and answer.status < 500, f"{path}: {answer and answer.status}"
    page.wait_for_timeout(30)  # an htmx request on load (hx-trigger="load") would start by now
    watch.pages += 1
    watch.take(page, path)


def both_languages(paths: list[str]) -> list[str]:
    return [p for path in paths for p in (path, f"/fr{path}")]


@pytest.mark.parametrize("bypass_csp", [True, False], ids=["csp-bypassed", "csp-enforced"])
def test_no_payload_runs_on_any_page(chromium, server, seeded, bypass_csp):
    watch = Watch()
    for account, paths in ((None, seeded.public_pages()), ("editor", seeded.staff_pages())):
        context, page = open_context(chromium, server, watch, bypass_csp=bypass_csp, account=account)
        for path in both_languages(paths):
            visit(page, watch, path)
        context.close()
    database = server.env.get("DATABASE_URL", "sqlite").split(":", 1)[0]
    print(f"{database}, CSP {'bypassed' if bypass_csp else 'enforced'}: {watch.pages} pages, {len(watch.shown)} payloads shown, "
          f"{len(watch.executions)} executions, {len(watch.beacons)} beacons, {len(watch.dom)} DOM findings, "
          f"{len(watch.csp)} CSP violations, {len(watch.errors)} errors")  # fmt: skip
    assert not watch.executions, "scripts ran:\n" + "\n".join(watch.executions[:30])
    assert not watch.beacons, "injected HTML asked for:\n" + "\n".join(watch.beacons[:30])
    assert not watch.dom, "payloads in executable position:\n" + "\n".join(watch.dom[:30])
    assert not watch.csp, "the CSP blocked:\n" + "\n".join(watch.csp[:30])
    assert not watch.errors, "\n".join(watch.errors[:30])
    assert watch.pages > 150
    # The payloads were on the pages, as text, each input path's where it should be: the checks were not vacuous.
    assert {p.id for p in HTML_PAYLOADS} - {13, 53, 57} <= watch.shown
    missing = [(path, mark) for _who, path, mark in seeded.expect if mark not in watch.texts.get(path, "")]
    assert not missing, missing


def test_htmx_fragments_that_show_payloads(chromium, server, seeded):
    """The parts of pages htmx rewrites: the editor's live lint (with a citation key made of markup), search as
    you type for an entity, creating an entity in place; the list filters and their name search."""
    watch = Watch()
    incident = seeded.records["incident"][0]
    context, page = open_context(chromium, server, watch, bypass_csp=True, account="editor")
    for lang in ("", "/fr"):
        visit(page, watch, f"{lang}/staff/records/{incident}/edit/")
        with page.expect_response(lambda r: "/lint/" in r.url):
            page.fill("#id_summary_en", "(<img src=x onerror=__xss`71`>, 2025) <svg onload=__xss(71)>")
            page.locator("#id_summary_en").dispatch_event("change")
        page.wait_for_timeout(100)
        watch.take(page, f"{lang} live lint")
        assert "__xss`71`" in page.locator("#lint-panel").inner_text()
        with page.expect_response(lambda r: "/entities/search/" in r.url):
            page.locator("input[name='entities-0-entity']").fill("hostile")
        watch.take(page, f"{lang} entity search")
        with page.expect_response(lambda r: "/entities/new/" in r.url):
            page.fill("#new-entity-name", f"<img src=x onerror=__xss(72)> {uuid.uuid4().hex[:6]}")
            page.locator("form[hx-post$='/entities/new/'] button[type=submit]").click()
        page.wait_for_timeout(100)
        watch.take(page, f"{lang} entity created")
        assert "__xss(72)" in page.locator("#entity-created").inner_text()
    context.close()
    context, page = open_context(chromium, server, watch, bypass_csp=True)
    for lang in ("", "/fr"):
        visit(page, watch, f"{lang}/incidents/")
        with page.expect_response(lambda r: "entity_q=" in r.url):
            page.locator("input[name='entity_q']").fill("xss")
        page.wait_for_timeout(100)
        watch.take(page, f"{lang} entity facet search")
        with page.expect_response(lambda r: "entity=" in r.url):
            page.locator("#f-entity input[type=checkbox]").first.check()
        page.wait_for_timeout(100)
        watch.take(page, f"{lang} entity facet chosen")
        assert "entity=" in page.url
    context.close()
    assert not watch.executions, "\n".join(watch.executions[:30])
    assert not watch.beacons, "\n".join(watch.beacons[:30])
    assert not watch.dom, "\n".join(watch.dom[:30])
    assert not watch.errors, "\n".join(watch.errors[:30])


def test_feeds_are_well_formed_and_carry_the_payloads_as_text(server, seeded):
    with httpx.Client(base_url=server.url, timeout=60) as http:
        for path in ("/feeds/records.atom", "/fr/feeds/records.atom", "/feeds/incidents.atom",
                     "/feeds/hazards.atom", f"/feeds/entities/{seeded.named['entity']}.atom"):  # fmt: skip
            answer = http.get(path)
            assert answer.status_code == 200, path
            assert "xss" in answer.text and not audit_atom(answer.content), (
                path,
                audit_atom(answer.content)[:5],
            )
        for path in ("/api/v3/feed.json", "/fr/api/v3/feed.json"):
            answer = http.get(path)
            assert answer.status_code == 200 and not audit_json_feed(answer.content), path


def test_the_server_answered_no_5xx(server, seeded, chromium):
    """Last: the server's own log, over everything the tests above asked."""
    log = (Path(server.env["CAIM_VAR_DIR"]) / "server.log").read_text()
    assert "Internal Server Error" not in log and '" 50' not in log, log[-3000:]


def test_the_watch_sees_payloads_left_unescaped(chromium, server):
    """The instruments above, on a page that writes the corpus as raw HTML under the site's own CSP: with the CSP
    bypassed the payloads run and ask for beacons, with it enforced it reports what it blocks; the DOM audit
    flags them either way."""
    from caim.site.middleware import CONTENT_SECURITY_POLICY

    raw = "<!doctype html><html><head><title>raw</title></head><body>" + "\n".join(
        p.text for p in HTML_PAYLOADS
    )
    seen = {}
    for bypass in (True, False):
        watch = Watch()
        context, page = open_context(chromium, server, watch, bypass_csp=bypass)
        page.route("**/raw-corpus/", lambda route: route.fulfill(
            status=200, content_type="text/html; charset=utf-8", body=raw,
            headers={"Content-Security-Policy": CONTENT_SECURITY_POLICY}))  # fmt: skip
        page.goto("/raw-corpus/")
        page.wait_for_timeout(500)
        watch.take(page, "raw")
        context.close()
        seen[bypass] = watch
    ran = {int(hit.rsplit(" ", 1)[-1]) for hit in seen[True].executions if hit.rsplit(" ", 1)[-1].isdigit()}
    # (A raw <style> or <math> payload turns the rest of the page into text: the first ones are enough.)
    assert {1, 6, 7, 8, 10, 12} <= ran, seen[True].executions
    assert seen[True].beacons and seen[True].dom
    assert not seen[False].executions and seen[False].csp and seen[False].dom
