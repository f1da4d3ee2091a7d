"""The JSON Feed (SPEC §5.1): JSON Feed 1.1 in English and French, newest first, from the public layer only;
withdrawals as withdrawal items; CORS, ETag and 304; a query count that does not grow with the records.

feedparser (6.0.x, the released line) reads Atom and RSS but not JSON Feed, so the feed is read as JSON and
checked against the JSON Feed 1.1 specification here (tests/site/test_atom.py reads the Atom feeds with it).
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime

import pytest
from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext

from caim.api import feeds
from caim.records import actions
from caim.records.clock import FixedClock
from caim.records.models import PublicRecord
from tests import factories

LANGS = {"en": "/api/v3/feed.json", "fr": "/fr/api/v3/feed.json"}
RFC3339_UTC = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|\+00:00)$")
# Top-level and item members of JSON Feed 1.1 (https://www.jsonfeed.org/version/1.1/); "_" starts an extension.
FEED_MEMBERS = {"version", "title", "home_page_url", "feed_url", "description", "user_comment", "next_url",
                "icon", "favicon", "authors", "language", "expired", "hubs", "items"}  # fmt: skip
ITEM_MEMBERS = {"id", "url", "external_url", "title", "content_html", "content_text", "summary", "image",
                "banner_image", "date_published", "date_modified", "authors", "tags", "language", "attachments"}  # fmt: skip


def later_clock(day: int = 1) -> FixedClock:
    """After every demo publication, so that a test's records are the newest."""
    return FixedClock(datetime(2030, 1, day, 12, 0, tzinfo=UTC))


def check_json_feed(feed: dict) -> None:
    """The rules of JSON Feed 1.1 that a reader relies on."""
    assert feed["version"] == "https://jsonfeed.org/version/1.1"
    assert isinstance(feed["title"], str) and feed["title"]
    assert isinstance(feed["items"], list)
    assert not {k for k in feed if not k.startswith("_")} - FEED_MEMBERS
    for key in ("home_page_url", "feed_url"):
        assert feed[key].startswith(("http://", "https://"))
    for item in feed["items"]:
        assert isinstance(item["id"], str) and item["id"]
        assert isinstance(item["content_text"], str)  # content_text or content_html is required: ours is text
        assert not {k for k in item if not k.startswith("_")} - ITEM_MEMBERS
        assert item["url"].startswith(("http://", "https://"))
        for key in ("date_published", "date_modified"):
            assert RFC3339_UTC.match(item[key]), item[key]
        assert all(isinstance(tag, str) for tag in item["tags"])
    ids = [item["id"] for item in feed["items"]]
    assert len(ids) == len(set(ids))


def get_feed(client, lang: str = "en") -> dict:
    response = client.get(LANGS[lang])
    assert response.status_code == 200
    assert response["Content-Type"] == "application/feed+json; charset=utf-8"
    assert response["Access-Control-Allow-Origin"] == "*"
    feed = json.loads(response.content)
    check_json_feed(feed)
    return feed


def parse_utc(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_feed_holds_the_newest_listed_records_in_order(client, db, lang):
    feed = get_feed(client, lang)
    prefix = "/fr" if lang == "fr" else ""
    site_name = settings.CAIM_SITE_NAME_FR if lang == "fr" else settings.CAIM_SITE_NAME
    assert feed["title"] == site_name and feed["language"] == lang
    assert feed["home_page_url"] == f"{settings.CAIM_SITE_URL}{prefix}/"
    assert feed["feed_url"] == f"{settings.CAIM_SITE_URL}{prefix}/api/v3/feed.json"
    expected = list(PublicRecord.objects.listed().order_by("-first_published_at", "-pk")[:100])
    assert len(expected) > 20  # the demo set
    assert [i["url"] for i in feed["items"]] == [settings.CAIM_SITE_URL + p.url(lang) for p in expected]
    assert [i["id"] for i in feed["items"]] == [i["url"] for i in feed["items"]]
    assert all(f"{settings.CAIM_SITE_URL}{prefix}/incidents/" in i["url"] or
               f"{settings.CAIM_SITE_URL}{prefix}/hazards/" in i["url"] for i in feed["items"])  # fmt: skip
    assert [i["title"] for i in feed["items"]] == [p.title(lang) for p in expected]
    summaries = [(p.summary_fr if lang == "fr" else p.summary_en) for p in expected]
    assert [i["content_text"] for i in feed["items"]] == summaries
    assert [parse_utc(i["date_published"]) for i in feed["items"]] == [p.first_published_at for p in expected]
    assert [parse_utc(i["date_modified"]) for i in feed["items"]] == [p.published_at for p in expected]
    dates = [i["date_published"] for i in feed["items"]]
    assert [parse_utc(d) for d in dates] == sorted((parse_utc(d) for d in dates), reverse=True)
    assert all(i["_extra"]["type"] == i["tags"][0] for i in feed["items"])


def test_french_feed_is_in_french(client, db):
    en = {i["_extra"]["type"] + i["url"].rsplit("/", 2)[1]: i for i in get_feed(client, "en")["items"]}
    fr = {i["_extra"]["type"] + i["url"].rsplit("/", 2)[1]: i for i in get_feed(client, "fr")["items"]}
    assert en.keys() == fr.keys()
    key = "hazardcustomer-service-chatbot-misinformation"
    assert fr[key]["title"].startswith("Des agents conversationnels") and fr[key]["title"] != en[key]["title"]
    assert fr[key]["url"] == f"{settings.CAIM_SITE_URL}/fr/hazards/customer-service-chatbot-misinformation/"
    assert fr[key]["content_text"] != en[key]["content_text"]
    assert fr[key]["tags"] == en[key]["tags"] and fr[key]["_extra"] == en[key]["_extra"]  # slugs, not labels


def test_tags_are_type_status_then_domains_in_vocabulary_order(client, db):
    items = {i["url"]: i for i in get_feed(client)["items"]}
    hazard = items[f"{settings.CAIM_SITE_URL}/hazards/customer-service-chatbot-misinformation/"]
    # The record lists its domains as consumer_technology, transportation, public_services; the vocabulary
    # orders them public_services, transportation, consumer_technology.
    document = PublicRecord.objects.get(slug="customer-service-chatbot-misinformation").version.document
    assert document["taxonomy"]["domains"] == ["consumer_technology", "transportation", "public_services"]
    assert hazard["tags"] == [
        "hazard",
        "status:active",
        "public_services",
        "transportation",
        "consumer_technology",
    ]
    assert hazard["_extra"] == {"type": "hazard", "severity": "significant", "verification": None}
    incident = items[f"{settings.CAIM_SITE_URL}/incidents/air-canada-chatbot-bereavement-fare/"]
    assert incident["tags"] == ["incident", "transportation", "consumer_technology"]
    assert incident["_extra"] == {"type": "incident", "severity": "minor", "verification": "confirmed"}


def test_title_and_summary_fall_back_to_english(client, editor, reviewer, entities):
    record = factories.published_incident(
        editor,
        reviewer,
        later_clock(),
        title_fr="",
        summary_fr="",
        narrative_fr="",
        editorial_assessment_fr="",
    )
    item = get_feed(client, "fr")["items"][0]
    assert item["url"] == f"{settings.CAIM_SITE_URL}/fr/incidents/{record.slug}/"
    assert item["title"] == factories.INCIDENT["title_en"]
    assert item["content_text"] == factories.INCIDENT["summary_en"]


def test_dates_are_first_publication_and_current_version_in_utc(client, editor, reviewer, entities):
    clock = later_clock()  # 2030-01-01 12:00 UTC
    record = factories.published_incident(editor, reviewer, clock)
    clock.at = datetime(2030, 2, 3, 4, 5, 6, tzinfo=UTC)
    record.refresh_from_db()
    actions.update_record(record, actor=editor, expected_lock_version=record.lock_version,
                          data={"summary_en": "A corrected summary."}, clock=clock)  # fmt: skip
    actions.publish_record(
        record, actor=reviewer, changelog_en="Fixed.", changelog_fr="Corrigé.", clock=clock
    )
    item = get_feed(client)["items"][0]
    assert (
        item["id"].endswith(f"/incidents/{record.slug}/") and item["content_text"] == "A corrected summary."
    )
    assert parse_utc(item["date_published"]) == datetime(2030, 1, 1, 12, 0, tzinfo=UTC)
    assert parse_utc(item["date_modified"]) == datetime(2030, 2, 3, 4, 5, 6, tzinfo=UTC)
    assert item["date_published"].startswith("2030-01-01T12:00:00")


def test_a_draft_never_appears_and_a_withdrawal_is_its_own_item(client, editor, reviewer, entities):
    draft = factories.draft(editor, "incident", factories.incident_data(title_en="Unpublished zebra"))
    kept = factories.published_incident(editor, reviewer, later_clock(1))
    gone = factories.published_incident(editor, reviewer, later_clock(2), title_en="Soon withdrawn walrus")
    url = f"{settings.CAIM_SITE_URL}/incidents/{gone.slug}/"
    assert get_feed(client)["items"][0]["id"] == url  # listed: an ordinary item
    actions.withdraw_record(gone, actor=reviewer, reason_en="Out of scope.", reason_fr="Hors du champ.",
                            clock=later_clock(5))  # fmt: skip
    for lang, prefix, title, reason in (
        ("en", "", "Withdrawn: Soon withdrawn walrus", "Out of scope."),
        ("fr", "/fr", f"Retirée : {factories.INCIDENT['title_fr']}", "Hors du champ."),
    ):
        feed = get_feed(client, lang)
        text = json.dumps(feed)
        assert draft.slug not in text and "zebra" not in text
        mine = [i for i in feed["items"] if gone.slug in i["url"]]
        assert len(mine) == 1  # only the withdrawal item, never the record itself
        item = mine[0]
        assert feed["items"][0] is item  # the withdrawal is the newest news
        assert item["url"] == f"{settings.CAIM_SITE_URL}{prefix}/incidents/{gone.slug}/"
        assert item["id"] == item["url"] + "#withdrawn"
        assert item["title"] == title and item["content_text"] == reason
        assert parse_utc(item["date_published"]) == datetime(2030, 1, 5, 12, 0, tzinfo=UTC)
        assert item["_extra"]["withdrawn"] is True and item["_extra"]["type"] == "incident"
        assert feed["items"][1]["id"].endswith(f"/incidents/{kept.slug}/")
        assert "withdrawn" not in feed["items"][1]["_extra"]


def test_feed_is_limited_to_the_newest_items(client, editor, reviewer, entities, monkeypatch):
    assert feeds.FEED_SIZE == 100
    newest = [factories.published_hazard(editor, reviewer, later_clock(day)) for day in (1, 2, 3)]
    monkeypatch.setattr(feeds, "FEED_SIZE", 2)
    items = get_feed(client)["items"]
    assert [i["url"].rsplit("/", 2)[1] for i in items] == [newest[2].slug, newest[1].slug]


def test_cors_etag_and_conditional_get(client, editor, reviewer, entities):
    preflight = client.options(LANGS["en"])
    assert preflight.status_code == 204 and preflight["Access-Control-Allow-Origin"] == "*"
    first = client.get(LANGS["en"])
    etag = first["ETag"]
    assert (
        etag
        and first["Access-Control-Allow-Origin"] == "*"
        and "ETag" in first["Access-Control-Expose-Headers"]
    )
    assert client.get(LANGS["fr"])["ETag"] != etag  # two documents, two tags
    with CaptureQueriesContext(connection) as ctx:
        again = client.get(LANGS["en"], headers={"If-None-Match": etag})
    assert again.status_code == 304 and again["ETag"] == etag and len(ctx.captured_queries) == 1
    assert again["Access-Control-Allow-Origin"] == "*"
    assert client.get(LANGS["en"], headers={"If-None-Match": '"other"'}).status_code == 200
    factories.published_incident(editor, reviewer, later_clock())
    fresh = client.get(LANGS["en"], headers={"If-None-Match": etag})
    assert fresh.status_code == 200 and fresh["ETag"] != etag


def test_query_count_does_not_grow_with_the_records(client, editor, reviewer, entities):
    def count(lang):
        with CaptureQueriesContext(connection) as ctx:
            get_feed(client, lang)
        return len(ctx.captured_queries)

    before = {lang: count(lang) for lang in LANGS}
    # the public-layer token, then the newest listed records and the newest withdrawals, with their documents' keys
    assert before == {"en": 3, "fr": 3}
    for day in (1, 2, 3):
        factories.published_incident(editor, reviewer, later_clock(day))
    record = factories.published_hazard(editor, reviewer, later_clock(4))
    actions.withdraw_record(
        record, actor=reviewer, reason_en="Gone.", reason_fr="Parti.", clock=later_clock(6)
    )
    assert {lang: count(lang) for lang in LANGS} == before
