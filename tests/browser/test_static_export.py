"""The static export (`caim export-site`) served by a plain file server: a reader goes from the home page to a
record and its French version, filters a list, and finds a record with the search page (Pagefind, in the
browser), with no console error."""

from __future__ import annotations

import json
import re
import socket
import subprocess
import sys
import time

import pytest

from tests.browser.conftest import _free_port


@pytest.fixture(scope="module")
def static_site(demo_env, tmp_path_factory):
    """The demo exported by `python -m caim export-site` (with the demo server's database and the address the
    copy is served at), served by `python -m http.server`."""
    out = tmp_path_factory.mktemp("static-export") / "site"
    port = _free_port()
    env = {**demo_env, "CAIM_SITE_URL": f"http://127.0.0.1:{port}"}
    done = subprocess.run([sys.executable, "-m", "caim", "export-site", str(out)], env=env, capture_output=True,
                          text=True, timeout=900, check=False)  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    server = subprocess.Popen([sys.executable, "-m", "http.server", str(port), "--bind", "127.0.0.1", "--directory",
                               str(out)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                break
        except OSError:
            time.sleep(0.2)
    else:
        server.kill()
        pytest.fail("the static file server did not start")
    yield f"http://127.0.0.1:{port}", out
    server.terminate()
    server.wait(timeout=10)


def test_home_to_a_record_and_its_french_version(page, static_site):
    base, _out = static_site
    page.goto(base + "/")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Incidents").click()
    page.wait_for_url(base + "/incidents/")
    first = page.locator("ol.record-list h2 a").first
    href = first.get_attribute("href")
    title = first.inner_text()
    first.click()
    page.wait_for_url(base + href)
    assert page.locator("h1").first.inner_text() == title
    page.locator("a.lang-switch").click()
    page.wait_for_url(base + "/fr" + href)
    assert page.locator("html").get_attribute("lang") == "fr"
    assert page.locator("article.record").count() == 1
    assert page.console_errors == []


def test_the_list_filter_opens_the_exported_filter_page(page, static_site):
    base, _out = static_site
    page.goto(base + "/incidents/")
    value = page.locator("#f-severity input[type=checkbox]").first.get_attribute("value")
    page.check(f"#f-severity-{value}")
    page.wait_for_url(base + f"/incidents/severity/{value}/")
    assert page.locator(f"#f-severity-{value}").is_checked()
    assert page.locator("ol.record-list li.record-item").count() > 0
    assert page.console_errors == []


def test_the_search_page_finds_a_record_with_pagefind(page, static_site):
    base, out = static_site
    records = json.loads((out / "api/v3/records.json").read_text(encoding="utf-8"))["records"]
    record = next(r for r in records if r["type"] == "incident")
    word = max(re.findall(r"[A-Za-z]{5,}", record["title_en"]), key=len)
    page.goto(base + "/search/")
    page.fill("#s-q", word)
    page.press("#s-q", "Enter")
    page.wait_for_url(re.compile(r"/search/\?q="))
    hits = page.locator("#static-search ol.record-list a")
    hits.first.wait_for(timeout=30000)
    links = hits.evaluate_all("els => els.map(e => e.getAttribute('href'))")
    path = record["url"].split("://", 1)[1].split("/", 1)[1]
    assert "/" + path in links
    assert page.console_errors == []


def test_the_search_finds_records_by_their_own_words_not_by_the_sections_around_them(page, static_site):
    """The changelog, citation, linked and related sections are not indexed: every record page offers its
    citation as BibTeX, yet searching for "bibtex" finds nothing."""
    base, out = static_site
    pages = list((out / "incidents").glob("*[a-z]*/index.html"))
    assert pages and all(b">BibTeX</a>" in p.read_bytes() for p in pages)
    page.goto(base + "/search/")
    page.fill("#s-q", "bibtex")
    page.press("#s-q", "Enter")
    page.wait_for_url(re.compile(r"/search/\?q="))
    page.locator("#static-search p.no-results", has_text="No record matches these words.").wait_for(
        timeout=30000
    )
    assert page.locator("#static-search ol.record-list a").count() == 0
    assert page.console_errors == []
