"""Atom feeds (SPEC §5.3): all records, incidents, hazards, one domain, one entity, in English and French, read
with feedparser; listed records only; 404 for an unknown domain or entity; linked from the matching pages; a
query count that does not grow with the records."""

from __future__ import annotations

import calendar
import copy
from datetime import UTC, datetime
from html.parser import HTMLParser

import feedparser
import pytest
from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext

from caim.records import actions
from caim.records.clock import FixedClock
from caim.records.models import PublicRecord
from caim.taxonomy.loader import get_taxonomy
from tests import factories

ENTITY = "air-canada"  # named in demo records of both types
DOMAIN = "consumer_technology"


def later_clock(day: int = 1) -> FixedClock:
    """After every demo publication, so that a test's records are the newest."""
    return FixedClock(datetime(2030, 1, day, 12, 0, tzinfo=UTC))


def records_of(path: str):
    """What a feed must hold, from the public layer, by path without the language."""
    listed = PublicRecord.objects.listed()
    if path == "/feeds/incidents.atom":
        listed = listed.filter(record_type="incident")
    elif path == "/feeds/hazards.atom":
        listed = listed.filter(record_type="hazard")
    elif path.startswith("/feeds/domains/"):
        listed = listed.filter(
            tags__vocabulary="domain", tags__slug=path.rsplit("/", 1)[1].removesuffix(".atom")
        )
    elif path.startswith("/feeds/entities/"):
        slug = path.rsplit("/", 1)[1].removesuffix(".atom")
        listed = listed.filter(entity_roles__entity__slug=slug).distinct()
    return list(listed.order_by("-first_published_at", "-pk")[:100])


FEEDS = ["/feeds/records.atom", "/feeds/incidents.atom", "/feeds/hazards.atom",
         f"/feeds/domains/{DOMAIN}.atom", f"/feeds/entities/{ENTITY}.atom"]  # fmt: skip


def read(client, url: str):
    response = client.get(url)
    assert response.status_code == 200, url
    assert response["Content-Type"] == "application/atom+xml; charset=utf-8"
    parsed = feedparser.parse(response.content)
    assert not parsed.bozo, parsed.get("bozo_exception")
    assert parsed.version == "atom10"
    return parsed


def seconds(struct) -> int:
    return calendar.timegm(struct)


@pytest.mark.parametrize("lang", ["en", "fr"])
@pytest.mark.parametrize("path", FEEDS)
def test_feed_holds_its_listed_records_newest_first(client, db, path, lang):
    prefix = "/fr" if lang == "fr" else ""
    parsed = read(client, prefix + path)
    expected = records_of(path)
    assert expected  # the demo set gives every one of these feeds records
    assert parsed.feed.language == lang
    assert parsed.feed.id == f"{settings.CAIM_SITE_URL}{prefix}{path}"
    assert any(link.rel == "self" and link.href == parsed.feed.id for link in parsed.feed.links)
    entries = parsed.entries
    assert [e.link for e in entries] == [settings.CAIM_SITE_URL + p.url(lang) for p in expected]
    assert [e.id for e in entries] == [e.link for e in entries]
    assert [e.title for e in entries] == [p.title(lang) for p in expected]
    assert [e.summary for e in entries] == [
        (p.summary_fr if lang == "fr" else p.summary_en) for p in expected
    ]
    assert [seconds(e.published_parsed) for e in entries] == [
        int(p.first_published_at.timestamp()) for p in expected
    ]
    assert [seconds(e.updated_parsed) for e in entries] == [int(p.published_at.timestamp()) for p in expected]
    published = [seconds(e.published_parsed) for e in entries]
    assert published == sorted(published, reverse=True)


@pytest.mark.parametrize(
    ("url", "title"),
    [
        ("/feeds/records.atom", "Canadian AI Incident Monitor: all records"),
        ("/feeds/incidents.atom", "Canadian AI Incident Monitor: incidents"),
        ("/fr/feeds/hazards.atom", "Moniteur canadien des incidents d'IA : dangers"),
        ("/fr/feeds/domains/health.atom", "Moniteur canadien des incidents d'IA : domaine « Santé »"),
        ("/feeds/entities/air-canada.atom", "Canadian AI Incident Monitor: records naming Air Canada"),
        (
            "/fr/feeds/entities/air-canada.atom",
            "Moniteur canadien des incidents d'IA : fiches qui nomment Air Canada",
        ),
    ],
)
def test_feed_titles_in_both_languages(client, db, url, title):
    assert read(client, url).feed.title == title


def test_categories_are_the_type_then_the_domains_in_vocabulary_order(client, db):
    tax = get_taxonomy()
    for lang, prefix in (("en", ""), ("fr", "/fr")):
        entries = {e.link: e for e in read(client, f"{prefix}/feeds/hazards.atom").entries}
        hazard = entries[f"{settings.CAIM_SITE_URL}{prefix}/hazards/customer-service-chatbot-misinformation/"]
        expected = [tax.label("record_type", "hazard", lang)] + [
            tax.label("domain", slug, lang)
            for slug in ("public_services", "transportation", "consumer_technology")
        ]
        assert [tag.term for tag in hazard.tags] == expected
    assert expected[:2] == ["Danger", "Services publics"]


def test_drafts_and_withdrawn_records_never_appear(client, editor, reviewer, entities):
    draft = factories.draft(editor, "incident", factories.incident_data(title_en="Unpublished zebra"))
    record = factories.published_incident(editor, reviewer, later_clock(1))
    urls = ["/feeds/records.atom", "/feeds/incidents.atom", f"/feeds/domains/{DOMAIN}.atom",
            "/feeds/entities/t-acme-ai.atom", "/fr/feeds/records.atom"]  # fmt: skip
    for url in urls:
        body = client.get(url).content.decode()
        assert record.slug in body and draft.slug not in body and "zebra" not in body, url
    actions.withdraw_record(record, actor=reviewer, reason_en="Out of scope.", reason_fr="Hors du champ.",
                            clock=later_clock(2))  # fmt: skip
    for url in urls[:3] + urls[4:]:
        body = client.get(url).content.decode()
        assert record.slug not in body and "Out of scope" not in body and "Hors du champ" not in body, url
    # The test entity was named only in the withdrawn record: it has no public page, and no feed.
    assert client.get("/feeds/entities/t-acme-ai.atom").status_code == 404


def test_unknown_domain_or_entity_is_404(client, editor, entities):
    factories.draft(editor, "incident", factories.incident_data())  # names t-acme-ai, unpublished
    for url in ("/feeds/domains/no_such_domain.atom", "/fr/feeds/domains/no_such_domain.atom",
                "/feeds/entities/no-such-entity.atom", "/fr/feeds/entities/no-such-entity.atom",
                "/feeds/entities/t-acme-ai.atom"):  # fmt: skip
        assert client.get(url).status_code == 404, url
    assert client.get("/feeds/domains/health.atom").status_code == 200
    assert client.head("/feeds/domains/health.atom").status_code == 200
    assert client.post("/feeds/records.atom").status_code == 405


class Links(HTMLParser):
    """The feed links of a page's head: (type, href, title)."""

    def __init__(self):
        super().__init__()
        self.feeds: list[tuple[str, str, str]] = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "link" and attrs.get("rel") == "alternate" and "type" in attrs:
            self.feeds.append((attrs["type"], attrs["href"], attrs["title"]))


def feed_links(client, url: str) -> list[tuple[str, str, str]]:
    response = client.get(url)
    assert response.status_code == 200, url
    head = response.content.decode().split("</head>", 1)[0]
    parser = Links()
    parser.feed(head)
    return parser.feeds


ATOM, JSON_FEED = "application/atom+xml", "application/feed+json"


def test_pages_link_their_feeds(client, db):
    site = settings.CAIM_SITE_URL
    every_page = [
        (ATOM, f"{site}/feeds/records.atom", "Canadian AI Incident Monitor: all records"),
        (JSON_FEED, f"{site}/api/v3/feed.json", "Canadian AI Incident Monitor: all records (JSON Feed)"),
    ]
    assert feed_links(client, "/") == every_page
    assert feed_links(client, "/about/") == every_page
    assert feed_links(client, "/incidents/") == [
        *every_page,
        (ATOM, f"{site}/feeds/incidents.atom", "Canadian AI Incident Monitor: incidents"),
    ]
    assert feed_links(client, "/hazards/?severity=significant") == [
        *every_page,
        (ATOM, f"{site}/feeds/hazards.atom", "Canadian AI Incident Monitor: hazards"),
    ]
    assert feed_links(client, "/incidents/?domain=health&severity=severe")[-1] == (
        ATOM,
        f"{site}/feeds/domains/health.atom",
        "Canadian AI Incident Monitor: domain “Health”",
    )
    assert feed_links(client, f"/entities/{ENTITY}/") == [
        *every_page,
        (
            ATOM,
            f"{site}/feeds/entities/{ENTITY}.atom",
            "Canadian AI Incident Monitor: records naming Air Canada",
        ),
    ]


def test_french_pages_link_the_french_feeds(client, db):
    site = settings.CAIM_SITE_URL
    name = "Moniteur canadien des incidents d'IA"
    every_page = [
        (ATOM, f"{site}/fr/feeds/records.atom", f"{name} : toutes les fiches"),
        (JSON_FEED, f"{site}/fr/api/v3/feed.json", f"{name} : toutes les fiches (JSON Feed)"),
    ]
    assert feed_links(client, "/fr/") == every_page
    assert feed_links(client, "/fr/hazards/?domain=health") == [
        *every_page,
        (ATOM, f"{site}/fr/feeds/hazards.atom", f"{name} : dangers"),
        (ATOM, f"{site}/fr/feeds/domains/health.atom", f"{name} : domaine « Santé »"),
    ]
    assert feed_links(client, f"/fr/entities/{ENTITY}/")[-1] == (
        ATOM,
        f"{site}/fr/feeds/entities/{ENTITY}.atom",
        f"{name} : fiches qui nomment Air Canada",
    )


def test_every_linked_feed_answers(client, db):
    links = set()
    for page in ("/", "/fr/", "/incidents/?domain=health", "/fr/hazards/", f"/entities/{ENTITY}/"):
        links |= {href for _type, href, _title in feed_links(client, page)}
    assert len(links) == 8
    for href in links:
        response = client.get(href.removeprefix(settings.CAIM_SITE_URL))
        assert response.status_code == 200, href


# The feeds' queries: one for the items with their domains, plus one for the entity of an entity feed.
QUERIES = {
    **dict.fromkeys(FEEDS[:4], 2),
    FEEDS[4]: 3,
}  # with the state row read first (records/views/reuse.py)


def test_query_count_does_not_grow_with_the_records(client, editor, reviewer, entities):
    def counts():
        out = {}
        for path in FEEDS:
            with CaptureQueriesContext(connection) as ctx:
                assert client.get(path).status_code == 200
            out[path] = len(ctx.captured_queries)
        return out

    assert counts() == QUERIES
    for day in (1, 2, 3):
        factories.published_incident(editor, reviewer, later_clock(day), entities=[
            *copy.deepcopy(factories.INCIDENT["entities"]),
            {"slug": ENTITY, "roles": ["deployer"], "description_en": "Ran it.", "description_fr": "L'exploitait."},
        ])  # fmt: skip
    factories.published_hazard(editor, reviewer, later_clock(4))
    assert len(read(client, f"/feeds/entities/{ENTITY}.atom").entries) == len(records_of(FEEDS[4]))
    assert counts() == {**QUERIES, f"/feeds/entities/{ENTITY}.atom": 1}  # kept since `read` asked for it
    assert counts() == dict.fromkeys(FEEDS, 1)  # every feed kept for this state


def test_a_feed_reader_revalidates_with_one_query(client, editor, reviewer, entities):
    first = client.get("/feeds/records.atom")
    etag = first["ETag"]
    with CaptureQueriesContext(connection) as ctx:
        again = client.get("/feeds/records.atom", headers={"If-None-Match": etag})
    assert again.status_code == 304 and len(ctx.captured_queries) == 1
    new = factories.published_incident(editor, reviewer, later_clock(9))
    after = client.get("/feeds/records.atom", headers={"If-None-Match": etag})
    assert after.status_code == 200 and new.slug in after.content.decode() and after["ETag"] != etag


@pytest.mark.parametrize("prefix", ["", "/fr"])
def test_prose_pages_point_to_the_documented_feeds(client, db, prefix):
    api_page = client.get(f"{prefix}/api/").content.decode()
    assert 'id="feeds"' in api_page
    for url in ("/api/v3/feed.json", "/feeds/records.atom", "/feeds/incidents.atom", "/feeds/hazards.atom"):
        assert f"{prefix}{url}" in api_page, url
        assert client.get(f"{prefix}{url}").status_code == 200, url
    for page in ("about", "methodology"):
        body = client.get(f"{prefix}/{page}/").content.decode()
        assert f'href="{prefix}/api/#feeds"' in body, page
