"""The query API (SPEC §5.2) as a client uses it: filters as on the lists, cursor pages, fields and language,
JSON errors, caching headers; and schemathesis against its own OpenAPI document."""

from __future__ import annotations

import json

import pytest
import schemathesis
from django.http import QueryDict
from hypothesis import HealthCheck, settings
from schemathesis.specs.openapi.checks import positive_data_acceptance

from caim.records.models import PublicRecord
from caim.site import lists
from tests import factories


def get(client, url, **headers):
    response = client.get(url, headers=headers)
    assert response["Access-Control-Allow-Origin"] == "*"
    return response


def records(client, query: str) -> dict:
    response = get(client, f"/api/v3/records?{query}")
    assert response.status_code == 200, response.content
    return response.json()


@pytest.mark.parametrize(
    ("record_type", "query"),
    [("incident", "domain=law_enforcement"), ("", "severity=significant&sort=severity"),
     ("hazard", "hazard_status=active"), ("", "q=deepfake"), ("incident", "verification=confirmed&year_from=2024"),
     ("incident", "domain=law_enforcement&domain=health&severity=significant&severity=severe"),
     ("", "province=ca_on&province=federal&from=2019-10&to=2024-02-15"), ("hazard", "confidence=high&confidence=medium&from=2023")],
)  # fmt: skip
def test_filters_give_what_the_lists_give(client, db, record_type, query):
    data = records(client, f"{query}&limit=200" + (f"&type={record_type}" if record_type else ""))
    index = lists.get_index()
    expected = lists.matching_ids(lists.parse_state(record_type, QueryDict(query), index), index)
    assert expected or "q=" in query
    assert [r["id"] for r in data["records"]] == expected and data["meta"]["count"] == len(expected)


def test_cursor_pages_cover_every_record_once(client, db):
    seen, url = [], "/api/v3/records?limit=7"
    while url:
        data = get(client, url.replace("http://127.0.0.1:8000", "")).json()
        seen += [r["id"] for r in data["records"]]
        url = data["meta"]["next"]
    assert sorted(seen) == sorted(PublicRecord.objects.listed().values_list("pk", flat=True))
    assert len(seen) == len(set(seen))


def test_fields_and_language(client, db):
    data = records(client, "limit=3&fields=title,dates&lang=fr")
    for record in data["records"]:
        assert set(record) == {"id", "slug", "title", "dates"}
    public = PublicRecord.objects.get(pk=data["records"][0]["id"])
    assert data["records"][0]["title"] == public.title_fr
    english = records(client, "limit=1&fields=title")["records"][0]
    assert english["title"] == PublicRecord.objects.get(pk=english["id"]).title_en


@pytest.mark.parametrize(
    ("query", "message"),
    [("domain=space_mining", "not a valid value for the filter “domain”"),
     ("limit=0", "limit: Input should be greater than or equal to 1"), ("limit=x", "limit: Input should be a valid"),
     ("type=essay", "type: Input should be 'incident' or 'hazard'"), ("cursor=%%%", "not a cursor"),
     ("fields=title,secret", "Unknown field(s): secret"), ("lang=de", "lang: Input should be 'en' or 'fr'"),
     ("year_from=²", "year_from: Input should be a valid integer"), ("sort=relevance", "not a way to sort")],
)  # fmt: skip
def test_bad_parameters_are_clear_400s(client, db, query, message):
    response = get(client, f"/api/v3/records?{query}")
    assert response.status_code == 400 and message in response.json()["message"], response.content


def test_caching_headers_and_304s(client, editor, reviewer, entities, clock):
    first = get(client, "/api/v3/records?limit=5")
    etag, modified = first["ETag"], first["Last-Modified"]
    assert "public" in first["Cache-Control"]
    assert get(client, "/api/v3/records?limit=5", If_None_Match=etag).status_code == 304
    assert get(client, "/api/v3/records?limit=5", If_Modified_Since=modified).status_code == 304
    assert get(client, "/api/v3/records?limit=6", If_None_Match=etag).status_code == 200  # another query
    record = factories.published_incident(editor, reviewer, clock, title_en="A fresh record about zebras")
    fresh = get(client, "/api/v3/records?limit=5&sort=published", If_None_Match=etag)
    assert fresh.status_code == 200 and record.pk in [r["id"] for r in fresh.json()["records"]]


def test_drafts_and_private_fields_never_appear(client, editor, entities, clock):
    draft = factories.draft(editor, "incident", factories.incident_data(title_en="Unpublished zebra"), clock)
    for url in ("/api/v3/records?limit=200", "/api/v3/search?q=zebra", "/api/v3/entities?limit=200"):
        text = get(client, url).content.decode()
        assert "zebra" not in text.lower() and f'"id":{draft.pk},' not in text
    assert "private_persons" not in get(client, "/api/v3/records?limit=200").content.decode()


def test_entities_systems_and_search(client, editor, entities, clock):
    lone = factories.draft(editor, "incident", factories.incident_data(), clock)
    entities_data = get(client, "/api/v3/entities?limit=200").json()
    slugs = {e["slug"] for e in entities_data["items"]}
    assert "air-canada" in slugs and "t-acme-ai" not in slugs  # named only by a draft
    assert all(e["record_count"] >= 1 for e in entities_data["items"]) and lone
    found = get(client, "/api/v3/systems?q=clearview").json()["items"]
    assert found and all("clearview" in s["name"].lower() for s in found)
    hits = get(client, "/api/v3/search?q=hypertrucage&lang=fr").json()["results"]
    assert hits and hits[0]["url"].startswith("http") and "/fr/" in hits[0]["url"]


def test_similar_records_are_the_record_pages_related_records(client, db):
    """The API gives the "Related records" of a record page, in the page's order, by slug or by id."""
    public = PublicRecord.objects.listed().filter(related_links__isnull=False).distinct().first()
    data = get(client, f"/api/v3/records/{public.slug}/similar").json()
    assert data["record"] == public.slug and data["meta"]["count"] == len(data["records"]) > 0
    page = client.get(public.url("en")).content.decode()
    shown = page.split('id="h-related"', 1)[1].split("</section>", 1)[0]
    positions = [shown.index(f"/{r['slug']}/") for r in data["records"]]
    assert positions == sorted(positions)  # the page's order: most similar first
    scores = [r["score"] for r in data["records"]]
    assert scores == sorted(scores, reverse=True) and all(0 < s <= 1 for s in scores)
    by_id = get(client, f"/api/v3/records/{public.pk}/similar?lang=fr").json()
    first = PublicRecord.objects.get(pk=by_id["records"][0]["id"])
    assert by_id["record"] == public.slug and by_id["records"][0]["title"] == first.title("fr")
    assert "/fr/" in by_id["records"][0]["url"]


def test_similar_records_leave_out_withdrawn_records_and_unknown_names_are_404(
    client, editor, reviewer, clock
):
    from caim.records.actions import withdraw_record
    from caim.records.models import Record

    public = PublicRecord.objects.listed().filter(related_links__isnull=False).distinct().first()
    gone = get(client, f"/api/v3/records/{public.slug}/similar").json()["records"][0]
    withdraw_record(
        Record.objects.get(pk=gone["id"]), actor=reviewer, reason_en="Duplicate.", reason_fr="Doublon."
    )
    after = get(client, f"/api/v3/records/{public.slug}/similar").json()["records"]
    assert gone["id"] not in [r["id"] for r in after]
    missing = get(client, "/api/v3/records/no-such-record/similar")
    assert missing.status_code == 404 and missing.json()["error"] == "not_found"


def test_openapi_and_its_browser(client, db):
    spec = get(client, "/api/v3/openapi.json").json()
    assert {"/api/v3/records", "/api/v3/records/{ref}/similar", "/api/v3/entities", "/api/v3/systems",
            "/api/v3/search"} <= set(spec["paths"])  # fmt: skip
    # every filter of the lists, a facet as a repeatable (array) parameter
    parameters = {p["name"]: p for p in spec["paths"]["/api/v3/records"]["get"]["parameters"]}
    assert {f.param for f in lists.FACETS} | {"from", "to", "year_from", "year_to", "q", "sort"} <= set(
        parameters
    )
    for facet in lists.FACETS:
        if facet.kind != "french":
            assert {"type": "array", "items": {"type": "string"}} in parameters[facet.param]["schema"][
                "anyOf"
            ]
    page = client.get("/api/docs").content.decode()
    assert "/static/ninja/swagger-ui-bundle.js" in page and "cdn" not in page


def _schema():
    from caim.wsgi import application

    return schemathesis.openapi.from_wsgi("/api/v3/openapi.json", application)


schema = _schema()


@pytest.fixture
def connection_kept():
    """schemathesis calls the WSGI application itself, whose request signals close the database connection at the
    end of each request (Django's test client turns them off): on PostgreSQL that closes the test's transaction."""
    from django.core.signals import request_finished, request_started
    from django.db import close_old_connections

    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@schema.parametrize()
@settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
def test_the_api_keeps_to_its_openapi_document(db, connection_kept, case):
    """No 5xx, and every answer (errors included) as the OpenAPI document describes it."""
    # The schema's responses are the decoded bodies; schemathesis's WSGI client asks for gzip and does not decode.
    response = case.call(headers={"Accept-Encoding": "identity"})
    assert response.status_code < 500, response.text
    # Every check but "a schema-valid request is accepted": a filter value may be valid for the schema (any
    # entity slug, any cursor) and still name nothing, which is a clear 400.
    case.validate_response(response, excluded_checks=[positive_data_acceptance])
    json.loads(response.text)
