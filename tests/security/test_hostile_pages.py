"""The hostile corpus stored through every input path (tests/security/hostile_seed.py), then every page that shows
it, in English and in French, checked on the server's HTML: no payload in executable position, no link that
runs, no template evaluated, no 5xx; feeds well-formed with clean HTML; the API's JSON readable. Runs on the
suite's database (SQLite or PostgreSQL); test_hostile_browser.py does the same in chromium."""

from __future__ import annotations

import json
from html import escape

import pytest
from django.test import Client

from caim.cli import main
from caim.records.roles import EDITOR, REVIEWER
from tests import factories
from tests.security.hostile_audit import audit_atom, audit_html, audit_json_feed
from tests.security.hostile_seed import ClientSite, HostileFeed, seed, sign_in
from tests.security.xss_corpus import HTML_PAYLOADS, ids_in

PASSWORD = "Hostile-Lantern-8842"


def person(username: str, role: str) -> ClientSite:
    user = factories.make_user(username, role)
    user.set_password(PASSWORD)
    user.save()
    site = ClientSite(Client())
    sign_in(site, username, PASSWORD)
    return site


@pytest.fixture
def seeded(db, settings, tmp_path):
    settings.CAIM_SUBMIT_MIN_SECONDS = 0  # the form's robot trap wants a person's pause; a test has none
    editor, reviewer, reader = (
        person("h-editor", EDITOR),
        person("h-reviewer", REVIEWER),
        ClientSite(Client()),
    )

    def import_aiid(path):
        assert main(["import-aiid", str(path), "--as-drafts", "--accept-partial"]) == 0

    def poll(source: int):
        settings.CAIM_FETCH_ALLOW_PRIVATE = True  # the hostile feed is on 127.0.0.1
        settings.CAIM_FETCH_HOST_INTERVAL = 0
        settings.CAIM_POLL_MIN_RELEVANCE = 0  # every article becomes a lead
        settings.CAIM_POLL_LOCK_FILE = tmp_path / "poll.lock"
        assert main(["poll", "--source", str(source)]) == 0

    with HostileFeed() as feed:
        return seed(editor, reviewer, reader, import_aiid, poll, feed.base, tmp_path), editor, reader


def fetch(site, path: str):
    answer = site.get(path)
    for _ in range(3):  # an address may redirect to its clean form
        if answer.status not in (301, 302):
            break
        answer = site.get(answer.location)
    return answer


def test_the_corpus_stays_text_on_every_page_feed_and_file(seeded):
    stored, editor, reader = seeded
    checked, failures, shown = 0, [], set()
    pages = [(reader, p) for p in stored.public_pages()] + [(editor, p) for p in stored.staff_pages()]
    for site, path in pages:
        for lang_path in (path, f"/fr{path}"):
            answer = fetch(site, lang_path)
            assert answer.status < 500, f"{lang_path}: {answer.status}"
            if answer.status != 200 and not (answer.status == 400 and "xss" in path):  # a bad parameter: 400
                failures.append(f"{lang_path}: {answer.status}")
                continue
            checked += 1
            failures += [f"{lang_path}: {problem}" for problem in audit_html(answer.text)]
            shown |= ids_in(answer.text)
    assert not failures, "\n".join(failures[:40])
    # The payloads did reach the pages (as text): the check above was not vacuous.
    assert {p.id for p in HTML_PAYLOADS} - {13, 53, 57} <= shown
    assert checked > 100
    # Each input path's text shows where it should (changelogs, reasons, names, comments, leads, the importer's)
    sites = {"reader": reader, "editor": editor}
    missing = [(path, mark) for who, path, mark in stored.expect if mark not in fetch(sites[who], path).text]
    assert not missing, missing

    # Feeds: well-formed, their HTML clean; the API: the texts as data
    incident, entity = stored.records["incident"], stored.named["entity"]
    for path in ("/feeds/records.atom", "/fr/feeds/records.atom", "/feeds/incidents.atom",
                 f"/feeds/entities/{entity}.atom", f"/fr/feeds/entities/{entity}.atom"):  # fmt: skip
        response = reader.client.get(path)
        assert response.status_code == 200, path
        assert not audit_atom(response.content), (path, audit_atom(response.content)[:5])
        assert "xss" in response.content.decode()
    for path in ("/api/v3/feed.json", "/fr/api/v3/feed.json"):
        response = reader.client.get(path)
        assert response.status_code == 200 and not audit_json_feed(response.content), path
    record = json.loads(reader.client.get(f"/api/v3/records/{incident[2]}.json").content)
    assert record["title"] == record["title_en"] and "<script>" in record["summary_en"]
    listed = reader.client.get("/api/v3/records?q=xss")
    assert listed.status_code == 200, listed.content[:300]
    assert incident[0] in [item["id"] for item in json.loads(listed.content)["records"]]


# Payloads that are not markup where they stand: text only (encoded, Markdown, template or JavaScript syntax, a
# tag split by a character that cleaning removes), or markup only a browser's parser makes active (9: a second
# <body> gives its handler to the page's), which the browser test's DOM audit sees.
NOT_MARKUP = {3, 5, 26, 27, 34, 35, 48, 49, 50, 51, 52, 53, 54, 57}
BROWSER_ONLY = {9}


@pytest.mark.parametrize("payload", HTML_PAYLOADS, ids=lambda p: str(p.id))
def test_the_audit_flags_each_payload_left_unescaped(payload):
    """The server-side audit is not blind: each payload written raw into a page is flagged, in the context it
    was made for."""
    raw_page = (
        f"<html><body><div>{payload.text}</div><input value=\"{payload.text}\"><input value='{payload.text}'>"
    )
    flagged = bool(audit_html(raw_page + "</body></html>"))
    escaped = audit_html(
        f'<html><body><p>{escape(payload.text)}</p><input value="{escape(payload.text)}"></body></html>'
    )
    assert not escaped
    assert flagged == (payload.id not in NOT_MARKUP | BROWSER_ONLY), payload.text
