"""The taxonomy page and /api/v3/taxonomy.json: every vocabulary of the data file, both languages, crosswalks."""

from __future__ import annotations

import json
import re
from html import escape

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from caim.site import taxonomy_views
from caim.site.lists import FACETS
from caim.taxonomy.loader import get_taxonomy

VALUE_BLOCK = re.compile(r'<div id="([a-z0-9_]+)-([a-z0-9_]+)">(.*?)\n      </div>', re.S)


def html(client, path: str) -> str:
    response = client.get(path)
    assert response.status_code == 200, path
    return response.content.decode()


def value_blocks(page: str) -> dict[tuple[str, str], str]:
    return {(v, x): body for v, x, body in VALUE_BLOCK.findall(page)}


@pytest.mark.parametrize("lang,prefix", [("en", ""), ("fr", "/fr")])
def test_every_vocabulary_and_value_in_both_languages(client, db, lang, prefix):
    page = html(client, f"{prefix}/taxonomy/")
    assert f'<html lang="{lang}">' in page
    tax = get_taxonomy()
    blocks = value_blocks(page)
    assert len(tax.vocabularies) >= 20
    for vocab in tax.vocabularies.values():
        assert f'<section id="{vocab.slug}" class="vocabulary"' in page, vocab.slug
        assert f'<h2 id="h-{vocab.slug}">{escape(vocab.label[lang])} ' in page, vocab.slug
        assert escape(vocab.description[lang]) in page, vocab.slug
        for value in vocab.values:
            body = blocks[(vocab.slug, value.slug)]
            assert escape(value.label[lang]) in body and escape(value.definition[lang]) in body
            assert ("lang-note" in body) == value.proposed, (vocab.slug, value.slug)
            if vocab.ordinal:
                assert re.search(rf'<dd class="order">[^<]*\b{value.order}</dd>', body), (
                    vocab.slug,
                    value.slug,
                )
            else:
                assert 'class="order"' not in body
    assert len(blocks) == sum(len(v.values) for v in tax.vocabularies.values())
    other = "en" if lang == "fr" else "fr"
    severity = tax["severity"]["significant"]
    assert severity.label[other] not in page or severity.label[other] == severity.label[lang]


def test_crosswalks_show_fields_and_values_or_no_equivalent(client, db):
    tax = get_taxonomy()
    blocks = value_blocks(html(client, "/taxonomy/"))
    checked_none = checked_mapping = 0
    for vocab in tax.vocabularies.values():
        for value in vocab.values:
            body = blocks[(vocab.slug, value.slug)]
            crosswalk = body.split('<dl class="crosswalk">', 1)[1]
            for target, name in (("oecd", "OECD AI Incidents Monitor"), ("aiid", "AI Incident Database")):
                part = crosswalk.split(f"<dt>{name}</dt>", 1)[1].split("</dd></div>", 1)[0]
                mapping = value.crosswalk[target]
                if mapping is None:
                    assert part == "<dd>No equivalent", (vocab.slug, value.slug, target)
                    checked_none += 1
                else:
                    for field, values in mapping.items():
                        expected = f'<li><code>{field}</code>: <span lang="en">{escape(", ".join(values))}</span></li>'
                        assert expected in part, (vocab.slug, value.slug, target, field)
                    checked_mapping += 1
    assert checked_none and checked_mapping


def test_filterable_vocabularies_link_to_the_filtered_lists(client, db):
    tax = get_taxonomy()
    params = {f.vocabulary: f for f in FACETS if f.vocabulary}
    for prefix in ("", "/fr"):
        blocks = value_blocks(html(client, f"{prefix}/taxonomy/"))
        for vocab in tax.vocabularies.values():
            for value in vocab.values:
                body = blocks[(vocab.slug, value.slug)]
                if vocab.slug in taxonomy_views.LINKED_VOCABULARIES:
                    facet = params[vocab.slug]
                    path = "incidents" if "incident" in facet.types else "hazards"
                    href = f"{prefix}/{path}/?{facet.param}={value.slug}"
                    assert f'<dt><a href="{href}">' in body, href
                else:
                    assert "<dt><a " not in body, (vocab.slug, value.slug)
    # The links work: one per vocabulary.
    for vocab in taxonomy_views.LINKED_VOCABULARIES:
        facet = params[vocab]
        path = "incidents" if "incident" in facet.types else "hazards"
        assert client.get(f"/{path}/?{facet.param}={tax[vocab].values[0].slug}").status_code == 200
    assert taxonomy_views.list_links()["hazard_status"] == ("hazard_list", "hazard_status")
    assert taxonomy_views.list_links()["confidence"] == ("hazard_list", "confidence")


def test_navigation_links_to_entities_and_taxonomy(client, db):
    page = html(client, "/")
    nav = page.split('<ul class="nav">', 1)[1].split("</ul>", 1)[0]
    assert '<li><a href="/entities/">Entities</a></li>' in nav
    assert nav.index('href="/hazards/"') < nav.index('href="/entities/"'), "after Hazards"
    footer = page.split('<footer class="site-footer">', 1)[1]
    assert '<a href="/taxonomy/">Taxonomy</a>' in footer
    fr = html(client, "/fr/")
    assert '<a href="/fr/entities/">Entités</a>' in fr and '<a href="/fr/taxonomy/">Taxonomie</a>' in fr


# -- taxonomy.json ------------------------------------------------------------------------------------------------


def test_taxonomy_json_is_the_data_file_with_cors_and_cache_headers(client, db):
    response = client.get("/api/v3/taxonomy.json")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/json")
    assert response["Access-Control-Allow-Origin"] == "*"
    assert response["Cache-Control"] == "public, max-age=300"
    assert re.fullmatch(r'"[0-9a-f]{32}"', response["ETag"])
    data = json.loads(response.content)
    assert data == get_taxonomy().as_json()
    assert "Vérification" in response.content.decode(), "UTF-8, not escaped"
    assert client.get("/fr/api/v3/taxonomy.json").status_code == 404, "one URL, both languages inside"


def test_taxonomy_json_answers_304_to_a_matching_if_none_match(client, db):
    etag = client.get("/api/v3/taxonomy.json")["ETag"]
    for header in (etag, f"W/{etag}", f'"other", {etag}', "*"):
        response = client.get("/api/v3/taxonomy.json", HTTP_IF_NONE_MATCH=header)
        assert response.status_code == 304, header
        assert response.content == b""
        assert response["ETag"] == etag and response["Access-Control-Allow-Origin"] == "*"
        assert response["Cache-Control"] == "public, max-age=300"
    stale = client.get("/api/v3/taxonomy.json", HTTP_IF_NONE_MATCH='"0000"')
    assert stale.status_code == 200 and stale["ETag"] == etag
    assert client.head("/api/v3/taxonomy.json").status_code == 200
    assert client.post("/api/v3/taxonomy.json").status_code == 405


def test_taxonomy_json_answers_a_cors_preflight(client, db):
    response = client.options(
        "/api/v3/taxonomy.json",
        HTTP_ORIGIN="https://example.org",
        HTTP_ACCESS_CONTROL_REQUEST_METHOD="GET",
        HTTP_ACCESS_CONTROL_REQUEST_HEADERS="if-none-match",
    )
    assert response.status_code == 204
    assert response["Access-Control-Allow-Origin"] == "*"
    assert "GET" in response["Access-Control-Allow-Methods"]
    assert response["Access-Control-Allow-Headers"] == "If-None-Match, If-Modified-Since"


@pytest.mark.parametrize("path", ["/taxonomy/", "/fr/taxonomy/", "/api/v3/taxonomy.json"])
def test_taxonomy_pages_issue_no_query(client, db, path):
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(path).status_code == 200
    assert len(ctx.captured_queries) == 0, [q["sql"] for q in ctx.captured_queries]
