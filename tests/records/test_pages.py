"""Public record pages: every part of SPEC §1.6 in order, in English and French; nothing unpublished leaks."""

from __future__ import annotations

import re
from html import escape

import pytest
from django.core.cache import caches
from django.db import connection
from django.test.utils import CaptureQueriesContext

from caim.records import actions
from caim.records.models import PublicRecord, Record, Status
from tests import factories

SECTION_ORDER_EN = [
    "Pilot phase",
    'id="record-title"',
    "summary-text",
    "Occurred",
    "What happened",
    "Materialized From",
    "Harms",
    "Responses",
    "Evidence",
    "Record details",
    "Policy Recommendations",
    "Mitigations",
    "Editorial Assessment",
    "Entities Involved",
    "Taxonomy",
    "Changelog",
    "Cite this record",
    "Suggest a correction",
]


def html(client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    return response.content.decode()


def assert_in_order(page: str, markers: list[str]) -> None:
    positions = []
    for marker in markers:
        assert marker in page, f"{marker!r} missing"
        positions.append(page.index(marker))
    assert positions == sorted(positions), [m for _, m in sorted(zip(positions, markers, strict=True))]


def test_incident_page_has_every_part_in_order(client, incident):
    page = html(client, f"/incidents/{incident.slug}/")
    assert_in_order(page, SECTION_ORDER_EN)
    assert "Occurred" in page and "November 2024 (month)" in page and "Reported" in page
    assert "Confirmed" in page and "Significant" in page and "Version 1" in page
    assert "2 reports" in page and "Regulator Finding — Test Privacy Regulator (March 4, 2025)" in page
    assert (
        "Test Privacy Regulator, Findings on the Acme assistant (March 4, 2025)" in page
    )  # recommendation attribution
    assert page.count('<a class="assessed" href="/methodology/#assessed">assessed<') == 4
    assert "Jane Roe" not in page  # private persons never reach public pages


def test_french_incident_page(client, incident):
    page = html(client, f"/fr/incidents/{incident.slug}/")
    assert '<html lang="fr">' in page
    for marker in (
        "Survenu",
        "novembre 2024 (mois)",
        "Preuves",
        "Journal des modifications",
        "Citer cette fiche",
        escape(factories.INCIDENT["title_fr"]),
        "Confirmé",
        "Version 1",
    ):
        assert marker in page, marker
    assert f'href="/incidents/{incident.slug}/"' in page  # language switch to the same record


def test_every_inline_citation_links_to_its_numbered_source(client, incident):
    page = html(client, f"/incidents/{incident.slug}/")
    links = re.findall(r'<a class="cite" href="#source-(\d+)"[^>]*>([^<]+)<', page)
    assert ("2", "Daily News, 2025") in links and ("1", "Test Regulator, 2025") in links
    for number, _ in links:
        assert f'id="source-{number}"' in page


def test_french_page_falls_back_to_english_marked(client, editor, reviewer, entities, clock):
    record = factories.published_incident(editor, reviewer, clock, narrative_fr="")
    page = html(client, f"/fr/incidents/{record.slug}/")
    assert re.search(r'<div class="narrative" lang="en">.*The assistant gave wrong answers', page, re.S)
    assert "Anglais seulement" in page


def test_hazard_page(client, incident, hazard):
    page = html(client, f"/hazards/{hazard.slug}/")
    assert_in_order(
        page,
        [
            'id="record-title"',
            "summary-text",
            "Governance gap:",
            "Identified",
            "Last assessed",
            "Materialized Incidents",
            "Harms",
            "Evidence",
            "Changelog",
            "Cite this record",
        ],
    )
    assert "Active" in page and "2024 (year)" in page
    assert 'Confidence:</span> <span class="badge-value">Medium</span>' in page  # the badge names its facet
    assert f"/incidents/{incident.slug}/" in page
    fr = html(client, f"/fr/hazards/{hazard.slug}/")
    assert (
        'Confiance :</span> <span class="badge-value">Moyenne</span>' in fr and "Lacune de gouvernance" in fr
    )


def test_ids_redirect_to_slug_urls(client, incident, hazard):
    response = client.get(f"/incidents/{incident.pk}/")
    assert response.status_code == 301 and response["Location"] == f"/incidents/{incident.slug}/"
    response = client.get(f"/fr/incidents/{incident.pk}/")
    assert response["Location"] == f"/fr/incidents/{incident.slug}/"
    response = client.get(f"/incidents/{hazard.slug}/")  # wrong type in the URL
    assert response.status_code == 301 and response["Location"] == f"/hazards/{hazard.slug}/"


def test_drafts_are_not_public(client, editor, entities, clock):
    record = factories.draft(
        editor, "incident", factories.incident_data(title_en="Secret draft title"), clock
    )
    for url in (
        f"/incidents/{record.slug}/",
        f"/fr/incidents/{record.slug}/",
        f"/incidents/{record.pk}/",
        f"/incidents/{record.slug}/v/1/",
        f"/incidents/{record.slug}/cite.bib",
    ):
        assert client.get(url).status_code == 404, url
    for url in ("/", "/fr/", "/incidents/", "/hazards/", "/fr/incidents/"):
        assert "Secret draft title" not in html(client, url)


def test_earlier_versions_stay_readable(client, editor, reviewer, incident, clock):
    actions.update_record(
        incident,
        actor=editor,
        expected_lock_version=incident.lock_version,
        data={"title_en": "Second title"},
        clock=clock,
    )
    actions.publish_record(
        incident,
        actor=reviewer,
        changelog_en="Retitled the record.",
        changelog_fr="Nouveau titre.",
        clock=clock,
    )
    current = html(client, f"/incidents/{incident.slug}/")
    assert "Second title" in current and "Retitled the record." in current and "Version 2" in current
    rows = re.findall(r"<tr[^>]*><td><a href=\"([^\"]+)\">(\d)</a>", current)
    assert [n for _, n in rows] == ["1", "2"]  # newest last
    old = html(client, f"/incidents/{incident.slug}/v/1/")
    assert factories.INCIDENT["title_en"] in old and "You are reading version 1 of this record" in old
    assert client.get(f"/incidents/{incident.slug}/v/9/").status_code == 404
    assert client.get(f"/incidents/{incident.pk}/v/1/")["Location"] == f"/incidents/{incident.slug}/v/1/"


def test_citation_downloads(client, incident):
    bib = client.get(f"/incidents/{incident.slug}/v/1/cite.bib")
    assert bib.status_code == 200 and bib["Content-Type"].startswith("application/x-bibtex")
    assert "@techreport{" in bib.content.decode() and "version = {1}" in bib.content.decode()
    ris = client.get(f"/incidents/{incident.slug}/v/1/cite.ris").content.decode()
    assert ris.startswith("TY  - RPRT") and "ET  - 1" in ris
    csl = client.get(f"/fr/incidents/{incident.slug}/v/1/cite.csl.json").json()
    assert csl[0]["title"] == factories.INCIDENT["title_fr"] and csl[0]["version"] == "1"


def test_user_text_is_escaped(client, editor, reviewer, entities, clock):
    record = factories.published_incident(
        editor,
        reviewer,
        clock,
        summary_en='<script>alert("x")</script> <img src=x onerror=alert(1)> (Daily News, 2025)',
    )
    page = html(client, f"/incidents/{record.slug}/")
    assert "<script>alert" not in page and "<img src=x" not in page
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in page


def test_list_pages_show_public_records_and_filter(client, incident, hazard):
    page = html(client, "/incidents/")
    assert incident.slug in page and hazard.slug not in page
    filtered = html(client, "/incidents/?domain=consumer_technology&severity=significant")
    assert incident.slug in filtered
    expected = PublicRecord.objects.filter(
        record_type="incident",
        withdrawn=False,
        severity="significant",
        tags__vocabulary="domain",
        tags__slug="consumer_technology",
    ).count()
    assert f"{expected} record" in filtered
    assert client.get("/incidents/?domain=moon").status_code == 400


def test_security_headers(client, incident):
    response = client.get(f"/incidents/{incident.slug}/")
    assert "default-src 'self'" in response["Content-Security-Policy"]
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "strict-origin-when-cross-origin"
    assert response["X-Frame-Options"] == "DENY"


def _grow(record: Record, editor, reviewer, n: int):
    data = factories.incident_data()
    data["sources"] = data["sources"] + [
        {
            **factories.SOURCES[1],
            "citation_key": f"Extra Paper {i}, 2025",
            "url": f"https://extra.example.ca/{i}",
            "publisher": f"Extra Paper {i}",
            "background": True,
        }
        for i in range(n)
    ]
    data["harms"] = data["harms"] * (n + 1)
    extra_entities = []
    for i in range(n):
        entity = actions.create_entity(
            actor=editor, slug=f"t-extra-{record.pk}-{i}", name=f"Extra {i}", kind="company"
        )
        extra_entities.append({"slug": entity.slug, "roles": ["reporter"]})
    data["entities"] = data["entities"] + extra_entities
    record.refresh_from_db()
    actions.update_record(record, actor=editor, expected_lock_version=record.lock_version, data=data)
    actions.publish_record(record, actor=reviewer, changelog_en="More.", changelog_fr="Plus.")


@pytest.mark.parametrize("lang_prefix", ["", "/fr"])
def test_record_page_query_count_is_constant(client, editor, reviewer, entities, clock, lang_prefix):
    small = factories.published_incident(editor, reviewer, clock)
    big = factories.published_incident(editor, reviewer, clock)
    _grow(big, editor, reviewer, 12)
    counts = []
    for record in (small, big):
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(f"{lang_prefix}/incidents/{record.slug}/").status_code == 200
        counts.append(len(ctx.captured_queries))
    # The public layer's state (the page cache's key), record + version, changelog, linked and related records;
    # once rendered, the state alone (tests/records/test_page_reuse.py).
    assert counts == [5, 5], counts


def test_list_query_count_is_constant(client, editor, reviewer, entities, clock):
    def steady_queries(url):
        client.get(url)  # the first request after a publication rebuilds the in-memory list index
        caches["pages"].clear()  # rendered again, not the kept answer
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(url).status_code == 200
        return len(ctx.captured_queries)

    before = steady_queries("/incidents/?severity=significant")
    for _ in range(3):
        factories.published_incident(editor, reviewer, clock)
    # the public-state token (read for the kept answers, then by the index), then the page's rows: facets and
    # counts come from the index
    assert steady_queries("/incidents/?severity=significant") == before == 3
    # words add the full-text match, the ranking (best match first) and the snippets; PostgreSQL first asks
    # its planner how common the words are, to choose how to rank them
    assert steady_queries("/incidents/?q=assistant") == (7 if connection.vendor == "postgresql" else 6)


def test_home_page(client, incident, hazard):
    page = html(client, "/")
    assert "Latest records" in page and incident.slug in page
    fr = html(client, "/fr/")
    assert "Derni" in fr and '<html lang="fr">' in fr


def test_unpublished_status_after_submit_is_still_hidden(client, editor, entities, clock):
    record = factories.draft(editor, "incident", factories.incident_data(), clock)
    actions.set_status(record, actor=editor, status=Status.REVIEW, clock=clock)
    assert client.get(f"/incidents/{record.slug}/").status_code == 404


def test_related_records_are_similar_public_records(client, editor, reviewer, entities, clock):
    first = factories.published_incident(editor, reviewer, clock)
    second = factories.published_incident(editor, reviewer, clock)
    page = html(client, f"/incidents/{second.slug}/")
    assert "Related records" in page
    related = page.split('id="h-related"', 1)[1].split("</section>", 1)[0]
    assert f"/incidents/{first.slug}/" in related and f"/incidents/{second.slug}/" not in related
    assert (
        f"/incidents/{second.slug}/"
        in html(client, f"/incidents/{first.slug}/").split('id="h-related"', 1)[1]
    )
    actions.withdraw_record(first, actor=reviewer, reason_en="Duplicate.", reason_fr="Doublon.")
    assert f"/incidents/{first.slug}/" not in html(client, f"/incidents/{second.slug}/")


def test_demo_records_have_related_records(client, db):
    page = html(client, "/incidents/rcmp-use-of-clearview-ai/")
    related = page.split('id="h-related"', 1)[1].split("</section>", 1)[0]
    assert "clearview" in related or "facial" in related


def test_earlier_versions_after_a_rename_and_a_withdrawal(client, editor, reviewer, incident):
    old = incident.slug
    actions.update_record(incident, actor=editor, expected_lock_version=incident.lock_version,
                          data={"slug": "t-renamed-later"})  # fmt: skip
    actions.publish_record(incident, actor=reviewer, changelog_en="Renamed.", changelog_fr="Renommée.")
    v1 = html(client, "/incidents/t-renamed-later/v/1/")
    for url in re.findall(r'href="(/incidents/[^"]+/cite\.[a-z.]+)"', v1):
        assert client.get(url).status_code == 200, url
    assert (
        client.get(f"/incidents/{old}/v/1/cite.bib")["Location"] == "/incidents/t-renamed-later/v/1/cite.bib"
    )
    actions.withdraw_record(incident, actor=reviewer, reason_en="Duplicate record.", reason_fr="Doublon.")
    assert "This record has been withdrawn." in html(client, "/incidents/t-renamed-later/v/1/")


def test_slugs_need_a_letter(editor, entities, clock):
    with pytest.raises(actions.InvalidRecordData, match="at least one letter"):
        factories.draft(editor, "incident", factories.incident_data(), clock, slug="2024")


def test_a_never_public_slug_gets_no_redirect(client, editor, reviewer, incident):
    original = incident.slug
    actions.update_record(
        incident, actor=editor, expected_lock_version=incident.lock_version, data={"slug": "t-middle"}
    )
    incident.refresh_from_db()
    actions.update_record(
        incident, actor=editor, expected_lock_version=incident.lock_version, data={"slug": "t-final"}
    )
    actions.publish_record(incident, actor=reviewer, changelog_en="Renamed.", changelog_fr="Renommée.")
    assert client.get("/incidents/t-middle/").status_code == 404
    assert client.get(f"/incidents/{original}/")["Location"] == "/incidents/t-final/"
    assert client.get("/incidents/t-final/").status_code == 200


def test_page_metadata(client, incident):
    page = html(client, f"/fr/incidents/{incident.slug}/")
    assert f'<link rel="canonical" href="http://127.0.0.1:8000/fr/incidents/{incident.slug}/">' in page
    assert f'<meta property="og:url" content="http://127.0.0.1:8000/fr/incidents/{incident.slug}/">' in page
    assert (
        'hreflang="en"' in page
        and 'hreflang="fr"' in page
        and 'property="og:description" content="Un assistant' in page
    )
