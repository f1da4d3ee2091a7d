"""Stores the hostile corpus (xss_corpus.py) through the monitor's real input paths, the way a browser would:
each step loads the page that holds a form, takes the form's own fields (CSRF token included), changes some of
them and posts it. Signed-in editors and reviewers write records (every text field and child list of the
editor), entities, AI systems, comments, changelog notes, withdrawal reasons and monitored sources; readers send
the public submission and correction forms; the AIID importer reads a copy of the AIID fixture with payloads in
titles, descriptions, entity names and report URLs. Two people publish (the editor edits, the reviewer approves),
so the payloads reach the public pages.

It drives any `Site`: a live server over HTTP (the browser test) or Django's test client (the same checks on
whichever database the suite runs on).
"""

from __future__ import annotations

import csv
import json
import re
import shutil
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from html import escape
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Protocol
from urllib.parse import urlencode

from lxml import html as lxml_html

from tests.security.xss_corpus import GOOD_URLS, HTML_PAYLOADS, line, prose

AIID_FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "aiid"
CITED = "Hostile Press, 2025"  # the one source the texts cite, so that the lint lets the records be published
FORM_TYPE = "application/x-www-form-urlencoded"


@dataclass
class Answer:
    status: int
    text: str
    location: str = ""
    followed: str = (
        ""  # after a redirect: the page it leads to, as submit() saw it (with its one-time messages)
    )


class Site(Protocol):
    """A client of the monitor that keeps its cookies (one signed-in person, or an anonymous reader)."""

    def get(self, path: str) -> Answer: ...

    def post(self, path: str, body: bytes) -> Answer: ...


class HttpSite:
    """A live server, over HTTP."""

    def __init__(self, base_url: str):
        import httpx

        self.http = httpx.Client(base_url=base_url, follow_redirects=False, timeout=120)

    def get(self, path: str) -> Answer:
        r = self.http.get(path)
        return Answer(r.status_code, r.text, r.headers.get("location", ""))

    def post(self, path: str, body: bytes) -> Answer:
        r = self.http.post(path, content=body, headers={"Content-Type": FORM_TYPE})
        return Answer(r.status_code, r.text, r.headers.get("location", ""))


class ClientSite:
    """Django's test client, in the test's own database."""

    def __init__(self, client):
        self.client = client

    def get(self, path: str) -> Answer:
        r = self.client.get(path)
        return Answer(r.status_code, r.content.decode(), r.get("Location", ""))

    def post(self, path: str, body: bytes) -> Answer:
        r = self.client.post(path, data=body, content_type=FORM_TYPE)
        return Answer(r.status_code, r.content.decode(), r.get("Location", ""))


# -- forms ------------------------------------------------------------------------------------------------------


def form_pairs(page: str, action: str) -> list[tuple[str, str]]:
    """The fields a browser would send from the page's form that posts to `action` ("" for the page itself)."""
    doc = lxml_html.fromstring(page)
    for form in doc.forms:
        if (form.get("action") or "") == action:
            for area in form.iter(
                "textarea"
            ):  # HTML drops the line break that opens a textarea; libxml2 keeps it
                if area.text and area.text.startswith("\n"):
                    area.text = area.text[1:]
            return [(name, value or "") for name, value in form.form_values()]
    raise AssertionError(f"no form posting to {action!r} on the page")


def merged(pairs: list[tuple[str, str]], changes: dict) -> list[tuple[str, str]]:
    """The form's fields with `changes` applied: a list value sets every value of a repeated field (checkboxes),
    None removes the field (an unchecked box)."""
    out = [(k, v) for k, v in pairs if k not in changes]
    for key, value in changes.items():
        if value is None:
            continue
        for item in value if isinstance(value, list) else [value]:
            out.append((key, str(item)))
    return out


def problems(page: str) -> list[str]:
    """The error messages a page shows (form errors, refused actions)."""
    doc = lxml_html.fromstring(page or "<p></p>")
    found = doc.xpath(
        '//*[contains(@class, "field-error") or contains(@class, "message-error") or contains(@class, "errorlist")'
        ' or contains(@class, "error-message")]'
    )
    return [" ".join(e.text_content().split()) for e in found]


def submit(
    site: Site, page_path: str, action: str, changes: dict, *, expect: tuple[int, ...] = (302,)
) -> Answer:
    """Load `page_path`, fill the form that posts to `action` with `changes`, post it; the answer must have one
    of the `expect` statuses."""
    page = site.get(page_path)
    assert page.status == 200, f"GET {page_path}: {page.status}"
    target = action or page_path
    answer = site.post(target, urlencode(merged(form_pairs(page.text, action), changes)).encode())
    assert answer.status in expect, f"POST {target}: {answer.status} {problems(answer.text)[:5]}"
    if answer.status == 302:  # a refused action comes back as a message on the page it redirects to
        shown = site.get(answer.location)
        assert shown.status in (200, 302), f"GET {answer.location}: {shown.status}"
        errors = [p for p in problems(shown.text) if p]
        assert not errors, f"POST {target} was refused: {errors[:5]}"
        answer.followed = shown.text
    return answer


def sign_in(site: Site, username: str, password: str) -> None:
    answer = submit(site, "/staff/login/", "", {"username": username, "password": password})
    assert answer.location.rstrip("/").endswith("/staff"), answer.location


def links(page: str, pattern: str) -> list[str]:
    return list(dict.fromkeys(re.findall(pattern, page)))


# -- what the editor writes -------------------------------------------------------------------------------------


def _rows(prefix: str, rows: list[dict]) -> dict:
    out = {f"{prefix}-TOTAL_FORMS": len(rows), f"{prefix}-INITIAL_FORMS": 0}
    for i, row in enumerate(rows):
        out.update({f"{prefix}-{i}-{key}": value for key, value in row.items()})
    return out


def marked(mark: str, first: int, limit: int | None = None) -> str:
    """Payloads (one line within `limit`, or paragraphs) after a mark, "[[changelog-5-en]]", that tells a test
    where the text was stored when it looks for it on a page."""
    head = f"[[{mark}]] "
    return head + (line(limit - len(head), first) if limit else prose(first))


def _both(name: str, first: int, *, limit: int | None = None, mark: str = "") -> dict:
    if mark:
        return {
            f"{name}_{lang}": marked(f"{mark}-{lang}", first + k, limit) for k, lang in ((0, "en"), (7, "fr"))
        }
    text = (lambda n: line(limit, n)) if limit else prose
    return {f"{name}_en": text(first), f"{name}_fr": text(first + 7)}


def cited(text: str) -> str:
    return f"{text}\n\nThe record cites its source ({CITED})."


def record_changes(record_type: str, n: int, named: dict[str, str], *, hazard: str = "") -> dict:
    """Every text field of the editor holds payloads (the `n`-th first), every child list has items with
    payloads in each of their texts, and the other fields hold what the lint needs to publish."""
    first = n * 5
    changes = {
        **_both("title", first, limit=300, mark=f"r{n}-title"),
        "summary_en": cited(prose(first)),
        "summary_fr": cited(prose(first + 1)),
        **_both("narrative", first + 2),
        **_both("editorial_assessment", first + 3),
        **_both("canada_nexus_note", first + 4),
        "severity": "significant",
        "domains": ["consumer_technology"],
        "harm_types": ["economic_harm"],
        "ai_pathways": ["performance_failure"],
        "canada_nexus": "harm_in_canada",
        "provinces": ["ca_on", "ca_qc"],
        # db, id and URL on a line: payloads without spaces in the first two
        "same_as": f'aiid {n + 1}\n"><script>__xss(30)</script> <img/src=x/onerror=__xss(7)> {GOOD_URLS[0].text}',
        "private_persons": "Jane <img src=x onerror=__xss(7)> Roe",
        **_rows(
            "harms",
            [
                {
                    **_both("description", first + 5),
                    "harm_types": ["economic_harm"],
                    "severity": "minor",
                    "reach": "group",
                }
            ],
        ),  # fmt: skip
        **_rows(
            "sources",
            [
                {
                    "citation_key": CITED,
                    "source_type": "media",
                    "publisher": line(300, first + 6),
                    "title": line(500, first + 7),
                    "url": GOOD_URLS[n % len(GOOD_URLS)].text,
                    "archived_url": GOOD_URLS[(n + 1) % len(GOOD_URLS)].text,
                    "date_published": "2024-06-01",
                    "date_precision": "day",
                    "language": "en",
                    **_both("supports", first + 8),
                },
                {
                    "citation_key": line(150, first + 9),
                    "source_type": "official",
                    "publisher": line(300, first + 10),
                    "title": line(500, first + 11),
                    "url": GOOD_URLS[(n + 2) % len(GOOD_URLS)].text,
                    "date_precision": "month",
                    "language": "fr",
                    **_both("supports", first + 12),
                    "background": "on",
                },
            ],
        ),
        **_rows(
            "entities",
            [
                {"entity": named["entity"], "roles": ["deployer"], **_both("description", first + 13)},
                {"entity": named["actor"], "roles": ["regulator"], **_both("description", first + 14)},
            ],
        ),
        **_rows("systems", [{"system": named["system"], **_both("involvement", first + 15)}]),
        **_rows(
            "responses",
            [
                {
                    "kind": "investigation",
                    "actor": named["actor"],
                    "date": "2024-07-01",
                    "date_precision": "day",
                    **_both("description", first + 16),
                    "source_key": CITED,
                }
            ],
        ),  # fmt: skip
        **_rows("policy_recommendations", [{**_both("text", first + 17), "source_key": CITED}]),
        **_rows("mitigations", [{"pathway": "performance_failure", **_both("text", first + 18)}]),
    }
    if record_type == "hazard":
        changes.update({**_both("governance_gap", first + 19), "hazard_status": "active", "confidence": "medium",
                        "identified": "2024-01-01", "identified_precision": "year", "last_assessed": "2025-01-15"})  # fmt: skip
    else:
        changes.update({**_both("dispute_note", first + 20), "verification": "reported", "dispute": "contested",
                        "occurred": "2024-05-01", "occurred_precision": "month", "reported": "2024-06-01"})  # fmt: skip
        if hazard:
            changes["materialized_from"] = hazard
    return changes


# -- a hostile site for the poller -------------------------------------------------------------------------------


def _feed(base: str) -> bytes:
    """An RSS feed whose titles, summaries and links carry payloads, escaped for XML and raw in CDATA sections;
    the third item's link is a javascript: URL (the fetcher never follows it)."""
    items = [
        (escape(marked("feed-item-1", 3, 300)), f"{base}/article/1", escape(prose(4))),
        ('<![CDATA[<script>__xss(1)</script> [[feed-item-2]] <img src=x onerror=__xss(7)>]]>',
         escape(f'{base}/article/2?q="><script>__xss(68)</script>'), "<![CDATA[<svg onload=__xss(8)><p>text</p>]]>"),
        ("[[feed-item-3]]", "javascript:__xss(60)", "x"),
    ]  # fmt: skip
    body = "".join(f"<item><title>{t}</title><link>{link}</link><description>{d}</description><guid>{link}</guid>"
                   "</item>" for t, link, d in items)  # fmt: skip
    return (f'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>{escape(line(200, 1))}</title>'
            f"<link>{base}/</link><description>{escape(prose(2))}</description>{body}</channel></rss>").encode()  # fmt: skip


def _article(n: int) -> bytes:
    """An article page: payloads in its title, description, site name and text (escaped, as a site writes text),
    and live markup beside them (scripts, handlers, a javascript: canonical address) that extraction must drop."""
    title = escape(marked(f"article-{n}", 5 + n, 300))
    text = "".join(f"<p>{escape(p.text)} An AI chatbot in Canada misled customers about refunds.</p>"
                   for p in HTML_PAYLOADS)  # fmt: skip
    return (f'<!doctype html><html lang="en"><head><meta charset="utf-8"><title>{title}</title>'
            f'<meta name="description" content="{escape(line(300, 6))}">'
            f'<meta property="og:site_name" content="{escape(line(200, 7))}"><meta property="og:title" content="{title}">'
            '<link rel="canonical" href="javascript:__xss(60)"><script>__xss(1)</script></head>'
            f"<body><article><h1>{title}</h1>{text}<p><img src=x onerror=__xss(7)> "
            '<a href="javascript:__xss(22)">a link</a></p></article></body></html>').encode()  # fmt: skip


class HostileFeed:
    """A feed and its articles on a local server (never the internet), for `caim poll`."""

    def __enter__(self) -> HostileFeed:
        feed = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):  # quiet
                pass

            def do_GET(self):
                path = self.path.split("?", 1)[0]
                if path == "/feed.xml":
                    body, kind = _feed(feed.base), "application/rss+xml; charset=utf-8"
                elif path.startswith("/article/") and path[len("/article/") :].isdigit():
                    body, kind = _article(int(path[len("/article/") :])), "text/html; charset=utf-8"
                elif path == "/robots.txt":
                    body, kind = b"User-agent: *\nAllow: /\n", "text/plain"
                else:
                    self.send_error(404)
                    return
                self.send_response(200)
                self.send_header("Content-Type", kind)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.base = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()


# -- the seeding ------------------------------------------------------------------------------------------------


@dataclass
class Seeded:
    """What was stored, and where it shows."""

    records: dict[str, tuple[int, str, str]] = field(default_factory=dict)  # name -> (pk, type, slug)
    named: dict[str, str] = field(default_factory=dict)  # "entity", "actor", "system" -> slug
    # (who looks, page, mark): where each input path's text must show ("reader" or "editor")
    expect: list[tuple[str, str, str]] = field(default_factory=list)
    entities: dict[str, int] = field(default_factory=dict)  # slug -> pk of the entities
    leads: list[int] = field(default_factory=list)
    status_pages: list[str] = field(default_factory=list)
    source_pk: int = 0
    polled_pk: int = 0  # the monitored feed the poller read
    imported_entities: list[str] = field(default_factory=list)

    def record_path(self, name: str) -> str:
        _pk, record_type, slug = self.records[name]
        return f"/{record_type}s/{slug}/"

    def public_pages(self) -> list[str]:
        """Every public page that shows a payload (English addresses; French ones are the same under /fr)."""
        incident = self.record_path("incident")
        pages = ["/", "/incidents/", "/hazards/", "/incidents/?sort=published", "/entities/", "/systems/",
                 "/corrections/", "/search/?q=xss", "/search/?q=script", "/incidents/?q=xss",
                 f"{incident}v/1/", f"{incident}diff/1/2/", f"/entities/{self.named['entity']}/", f"/entities/{self.named['actor']}/",
                 f"/systems/{self.named['system']}/", f"/incidents/?entity={self.named['entity']}", *self.status_pages,
                 f"/submit/correction/{self.records['incident'][0]}/"]  # fmt: skip
        pages += [self.record_path(name) for name in ("incident", "hazard", "withdrawn", "imported")]
        pages += [f"/entities/{slug}/" for slug in self.imported_entities]
        # Payloads in the address itself: the pages that echo what they were asked
        for p in (HTML_PAYLOADS[0], HTML_PAYLOADS[29], HTML_PAYLOADS[31]):
            words = urlencode({"q": p.text})
            pages += [f"/search/?{words}", f"/incidents/?{words}", f"/entities/?{urlencode({'kind': p.text})}",
                      f"/incidents/?{urlencode({'entity_q': p.text})}", f"/hazards/?{urlencode({'from': p.text})}",
                      f"/stats/?{urlencode({'type': p.text, 'q': p.text})}"]  # fmt: skip
        return pages

    def staff_pages(self) -> list[str]:
        pages = ["/staff/", "/staff/?q=xss", "/staff/leads/", "/staff/sources/", f"/staff/sources/{self.source_pk}/",
                 f"/staff/sources/{self.polled_pk}/",
                 "/staff/entities/", "/staff/entities/?q=hostile", f"/staff/?{urlencode({'q': HTML_PAYLOADS[0].text})}"]  # fmt: skip
        for pk, _type, _slug in self.records.values():
            pages += [f"/staff/records/{pk}/", f"/staff/records/{pk}/edit/", f"/staff/records/{pk}/preview/",
                      f"/staff/records/{pk}/changes/", f"/staff/records/{pk}/translate/"]  # fmt: skip
        pages += [f"/staff/leads/{pk}/" for pk in self.leads]
        pages += [f"/staff/entities/{pk}/" for pk in self.entities.values()]
        return pages


def create_named(site: Site, record: int, kind: str, n: int) -> str:
    """An entity or AI system made with the form beside the record editor; its address, as the editor is told."""
    extra = {"entity_kind": "company"} if kind == "entities" else {"system_type": "chatbot"}
    answer = submit(site, f"/staff/records/{record}/edit/", f"/staff/{kind}/new/",
                    {"name": marked(f"{kind}-{n}", n, 300), "name_fr": marked(f"{kind}-{n}-fr", n + 3, 300), **extra})  # fmt: skip
    shown = answer.followed
    return re.search(r"(?:address is|adresse est) ([\w-]+)\.", shown)[1]


def new_record(site: Site, record_type: str, slug: str, n: int) -> int:
    answer = submit(site, f"/staff/records/new/?type={record_type}", "",
                    {"slug": slug, **_both("title", n * 3, limit=300)})  # fmt: skip
    return int(re.search(r"/staff/records/(\d+)/edit/", answer.location)[1])


def edit(site: Site, pk: int, changes: dict) -> None:
    submit(site, f"/staff/records/{pk}/edit/", "", changes)


def move(site: Site, pk: int, stage: str) -> None:
    submit(site, f"/staff/records/{pk}/", f"/staff/records/{pk}/move/", {"status": stage})


def publish(site: Site, pk: int, n: int, kind: str = "publication") -> None:
    submit(site, f"/staff/records/{pk}/", f"/staff/records/{pk}/publish/",
           {**_both("changelog", n, limit=480, mark=f"changelog-{n}"), "kind": kind})  # fmt: skip


def aiid_copy(target: Path) -> Path:
    """The AIID fixture with payloads in the first incident: its title and description, its entities' names,
    its reports' titles, one report's URL a javascript: URL (never a usable source) and one an https URL with
    markup in it."""
    shutil.copytree(AIID_FIXTURE, target)
    incidents = target / "snapshot-2026-02" / "incidents.csv"
    with incidents.open(encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    rows[0]["title"] = marked("aiid-title", 40, 300)
    rows[0]["description"] = prose(41)
    with incidents.open("w", encoding="utf-8", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0]), lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    export = next((target / "apubtest-graphql-export").glob("*.json"))
    data = json.loads(export.read_text(encoding="utf-8"))
    first = next(i for i in data["data"]["incidents"] if i["incident_id"] == int(rows[0]["incident_id"]))
    first["title"] = rows[0]["title"]
    for n, key in enumerate(k for k, v in first.items() if isinstance(v, list) and k != "reports"):
        for entity in first[key]:
            entity["name"] = marked(f"aiid-entity-{n}", 43 + n, 200)
    for n, report in enumerate(first["reports"]):
        report["title"] = line(400, 45 + n)
        report["url"] = GOOD_URLS[n % len(GOOD_URLS)].text + f"&r={n}" if n else "javascript:__xss(60)"
    export.write_text(json.dumps(data), encoding="utf-8")
    return target


def seed(
    editor: Site,
    reviewer: Site,
    reader: Site,
    import_aiid: Callable[[Path], None],
    poll: Callable[[int], None],
    feed: str,
    tmp: Path,
) -> Seeded:
    """Store the corpus through every input path; returns where it shows. `import_aiid(path)` runs the AIID
    importer, `poll(source id)` the poller of one monitored source, `feed` is a HostileFeed's address."""
    out = Seeded()
    # A hazard, then an incident that materializes it; two versions of the incident (a correction)
    hazard = new_record(editor, "hazard", "hostile-hazard", 1)
    # Entities and an AI system, created in the editor's side panel (without JavaScript: a form post)
    for role, kind, n in (("entity", "entities", 0), ("actor", "entities", 11), ("system", "systems", 22)):
        out.named[role] = create_named(editor, hazard, kind, n)
    for role in ("entity", "actor"):
        page = editor.get(f"/staff/entities/?{urlencode({'q': out.named[role]})}").text
        out.entities[out.named[role]] = int(links(page, r'href="/staff/entities/(\d+)/"')[0])
    edit(editor, hazard, record_changes("hazard", 1, out.named))
    move(editor, hazard, "review")
    publish(reviewer, hazard, 2)
    incident = new_record(editor, "incident", "hostile-incident", 2)
    edit(editor, incident, record_changes("incident", 2, out.named, hazard="hostile-hazard"))
    submit(
        editor,
        f"/staff/records/{incident}/",
        f"/staff/records/{incident}/comment/",
        {"text": marked("comment", 3)},
    )
    move(editor, incident, "review")
    submit(
        reviewer,
        f"/staff/records/{incident}/",
        f"/staff/records/{incident}/return/",
        {"comment": marked("return", 4)},
    )
    move(editor, incident, "review")
    publish(reviewer, incident, 5)
    edit(editor, incident, {**_both("title", 6, limit=300, mark="v2-title"), **_both("narrative", 7)})
    publish(reviewer, incident, 8, kind="correction")
    out.records.update(
        hazard=(hazard, "hazard", "hostile-hazard"), incident=(incident, "incident", "hostile-incident")
    )

    # A record published, then withdrawn with the reasons in payloads
    withdrawn = new_record(editor, "incident", "hostile-withdrawn", 3)
    edit(editor, withdrawn, record_changes("incident", 3, out.named))
    move(editor, withdrawn, "review")
    publish(reviewer, withdrawn, 9)
    submit(reviewer, f"/staff/records/{withdrawn}/", f"/staff/records/{withdrawn}/withdraw/",
           {"reason_en": marked("withdrawal-en", 10, 2000), "reason_fr": marked("withdrawal-fr", 30, 2000)})  # fmt: skip
    out.records["withdrawn"] = (withdrawn, "incident", "hostile-withdrawn")

    # A monitored source
    submit(editor, "/staff/sources/new/", "", {"kind": "feed", "name": marked("source-name", 12, 200), "url": GOOD_URLS[0].text,
                                               "language": "fr", "keywords": prose(13)})  # fmt: skip
    page = editor.get("/staff/sources/").text
    out.source_pk = int(links(page, r'href="/staff/sources/(\d+)/"')[0])
    # A monitored feed whose items and articles carry payloads, polled (that source only: no other address)
    submit(editor, "/staff/sources/new/", "", {"kind": "feed", "name": marked("feed-source", 24, 200),
                                               "url": f"{feed}/feed.xml", "language": "en"})  # fmt: skip
    sources = lxml_html.fromstring(editor.get("/staff/sources/").text)
    polled = next(
        int(a.get("href").split("/")[-2]) for a in sources.iter("a") if "[[feed-source]]" in a.text_content()
    )
    poll(polled)
    out.polled_pk = polled
    feed_leads = sorted(
        int(pk) for pk in links(editor.get("/staff/leads/?origin=feed").text, r'href="/staff/leads/(\d+)/"')
    )
    assert len(feed_leads) == 2, feed_leads  # the third item's link is a javascript: URL: never fetched

    # A report and a correction from readers; their status pages
    for path, what in (("/submit/", marked("report-what", 14)[:5000]),
                       (f"/submit/correction/{incident}/", marked("correction-what", 15)[:5000])):  # fmt: skip
        changes = {"what": what, "urls": "\n".join(f"{p.text}&reader=1" for p in GOOD_URLS), "email": "reader@example.org",
                   "consent": "on", **({"when": marked("report-when", 16, 200), "where": marked("report-where", 17, 200)} if path == "/submit/" else {})}  # fmt: skip
        answer = submit(reader, path, "", changes, expect=(200,))
        out.status_pages += links(answer.text, r'href="(/submit/status/[\w-]+/)"')
    assert len(out.status_pages) == 2, out.status_pages
    listed = editor.get("/staff/leads/").text
    correction, report = sorted(
        (int(pk) for pk in links(listed, r'href="/staff/leads/(\d+)/"')[:2]), reverse=True
    )
    out.leads = [report, correction, *feed_leads]
    # Screening: the report becomes a draft (title payloads); the correction is attached with a new source
    lead_page = f"/staff/leads/{report}/"
    answer = submit(editor, lead_page, f"/staff/leads/{report}/draft/",
                    {"record_type": "incident", "slug": "hostile-from-lead", **_both("title", 18, limit=300, mark="lead-draft-title")})  # fmt: skip
    drafted = int(re.search(r"/staff/records/(\d+)/edit/", answer.location)[1])
    out.records["from_lead"] = (drafted, "incident", "hostile-from-lead")
    submit(editor, f"/staff/leads/{correction}/", f"/staff/leads/{correction}/attach/",
           {"record": str(incident), "url": f"{GOOD_URLS[1].text}&reader=1", "publisher": line(300, 19), "title": marked("attached-title", 20, 500),
            "citation_key": line(150, 21), "source_type": "media", "date_published": "2025-01-02"})  # fmt: skip

    # The AIID importer, on a copy of the fixture with payloads; its draft completed and published
    import_aiid(aiid_copy(tmp / "aiid"))
    found = editor.get("/staff/?q=aiid-1-").text
    imported = int(links(found, r'href="/staff/records/(\d+)/"')[0])
    edit(editor, imported, {"verification": "reported", "severity": "minor", "domains": ["media_information"],
                            "harm_types": ["psychological_harm"], "canada_nexus": "available_in_canada_with_concern",
                            **_rows("harms", [{"description_en": prose(22), "harm_types": ["psychological_harm"]}])})  # fmt: skip
    move(editor, imported, "review")
    publish(reviewer, imported, 23)
    doc = reader.get(f"/api/v3/records/{imported}.json")
    record_page = reader.get(doc.location).text if doc.status in (301, 302) else doc.text
    slug = json.loads(record_page)["slug"]
    out.records["imported"] = (imported, "incident", slug)
    out.imported_entities = [e["slug"] for e in json.loads(record_page)["entities"]]
    hazard_page, incident_page = out.record_path("hazard"), out.record_path("incident")
    withdrawn_page, imported_page = out.record_path("withdrawn"), out.record_path("imported")
    entity, system = out.named["entity"], out.named["system"]
    out.expect = [
        ("reader", hazard_page, "[[r1-title-en]]"), ("reader", f"/fr{hazard_page}", "[[r1-title-fr]]"),
        ("reader", incident_page, "[[v2-title-en]]"), ("reader", f"{incident_page}v/1/", "[[r2-title-en]]"),
        ("reader", incident_page, "[[changelog-5-en]]"), ("reader", f"/fr{incident_page}", "[[changelog-8-fr]]"),
        ("reader", "/corrections/", "[[changelog-8-en]]"), ("reader", "/fr/corrections/", "[[changelog-8-fr]]"),
        ("reader", withdrawn_page, "[[withdrawal-en]]"), ("reader", f"/fr{withdrawn_page}", "[[withdrawal-fr]]"),
        ("reader", f"/entities/{entity}/", "[[entities-0]]"),
        ("reader", f"/fr/entities/{entity}/", "[[entities-0-fr]]"), ("reader", f"/systems/{system}/", "[[systems-22]]"),
        ("reader", "/incidents/", "[[v2-title-en]]"), ("reader", "/search/?q=xss", "[[r1-title-en]]"),
        ("reader", imported_page, "[[aiid-title]]"), ("reader", imported_page, "[[aiid-entity-"),
        ("editor", f"/staff/records/{incident}/", "[[comment]]"), ("editor", f"/staff/records/{incident}/", "[[return]]"),
        ("editor", "/staff/sources/", "[[source-name]]"), ("editor", f"/staff/leads/{report}/", "[[report-what]]"),
        ("editor", f"/staff/leads/{report}/", "[[report-when]]"), ("editor", f"/staff/leads/{correction}/", "[[correction-what]]"),
        ("editor", f"/staff/records/{drafted}/", "[[lead-draft-title-en]]"),
        ("editor", f"/staff/records/{incident}/preview/", "[[attached-title]]"),
        ("editor", f"/staff/leads/{feed_leads[0]}/", "[[article-1]]"), ("editor", f"/staff/leads/{feed_leads[1]}/", "[[article-2]]"),
        ("editor", f"/staff/sources/{polled}/", "[[feed-source]]"),
    ]  # fmt: skip
    return out
