"""The bulk downloads, read as their users read them: the CSV files with the csv module, records.jsonl line by
line with json. Every listed record exactly once, no draft and no withdrawn record; the licence beside the data;
written once per state of the public layer, then served as files under an ETag."""

from __future__ import annotations

import csv
import gzip
import io
import json
from collections import Counter

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from caim.api import bulk
from caim.records import actions
from caim.records.models import PublicRecord
from tests import factories

FILES = ("records.csv", "records.jsonl", "sources.csv", "entities.csv")


def body(response) -> str:
    return b"".join(response.streaming_content).decode("utf-8")


def get(client, filename: str, **headers):
    response = client.get(f"/api/v3/bulk/{filename}", headers=headers)
    assert response.status_code == 200, response.content[:300]
    return response


def csv_rows(client, filename: str) -> list[dict]:
    response = get(client, filename)
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    return list(csv.DictReader(io.StringIO(body(response), newline="")))


def jsonl(client) -> list[dict]:
    response = get(client, "records.jsonl")
    assert response["Content-Type"] == "application/x-ndjson"
    text = body(response)
    assert text.endswith("\n")
    return [json.loads(line) for line in text.splitlines()]


def listed_docs() -> list[dict]:
    return [
        p.version.document for p in PublicRecord.objects.listed().select_related("version").order_by("pk")
    ]


@pytest.fixture
def mixed(editor, reviewer, entities, clock, incident):
    """Beside the demo set: a published incident (the `incident` fixture, with its hazard), a draft and a
    withdrawn incident, each with a word of its own in its title."""
    draft = factories.draft(editor, "incident", factories.incident_data(title_en="Unpublished zebra"), clock)
    gone = factories.published_incident(editor, reviewer, clock, title_en="Withdrawn walrus")
    actions.withdraw_record(gone, actor=reviewer, reason_en="Duplicate.", reason_fr="Doublon.")
    return {"published": incident, "draft": draft, "withdrawn": gone}


def test_records_csv_holds_every_listed_record_once(client, mixed):
    rows = csv_rows(client, "records.csv")
    assert list(rows[0]) == list(bulk.RECORD_COLUMNS)
    ids = [int(r["id"]) for r in rows]
    assert ids == [d["id"] for d in listed_docs()]  # each once, in id order
    assert mixed["published"].pk in ids
    assert mixed["draft"].pk not in ids and mixed["withdrawn"].pk not in ids
    text = json.dumps(rows)
    assert "zebra" not in text and "walrus" not in text


def test_records_csv_columns_and_joined_lists(client, db):
    rows = {r["slug"]: r for r in csv_rows(client, "records.csv")}
    row = rows["air-canada-chatbot-bereavement-fare"]
    doc = PublicRecord.objects.get(slug="air-canada-chatbot-bereavement-fare").version.document
    assert row["type"] == "incident" and row["id"] == str(doc["id"]) and row["version"] == str(doc["version"])
    assert row["url"].endswith("/incidents/air-canada-chatbot-bereavement-fare/")
    assert row["url_fr"].endswith("/fr/incidents/air-canada-chatbot-bereavement-fare/")
    assert row["title_fr"] == doc["title_fr"] and row["summary_en"] == doc["summary_en"]
    assert (row["occurred"], row["occurred_precision"]) == (doc["occurred"], doc["occurred_precision"])
    assert row["hazard_status"] == "" and row["source_count"] == str(len(doc["sources"]))
    for name in bulk.TAXONOMY_COLUMNS:
        assert row[name].split(" | ") == doc["taxonomy"][name]
    assert row["entities"].split(" | ") == [e["slug"] for e in doc["entities"]]
    assert row["systems"].split(" | ") == [s["slug"] for s in doc["systems"]]
    assert (
        doc["canada_nexus"]["provinces"] and row["provinces"].split(" | ") == doc["canada_nexus"]["provinces"]
    )
    assert row["published_at"] == doc["published_at"]
    hazard = rows["customer-service-chatbot-misinformation"]
    assert hazard["type"] == "hazard" and hazard["hazard_status"] and hazard["identified"]
    assert hazard["verification"] == "" and hazard["occurred"] == ""


def test_records_jsonl_is_records_json_one_record_a_line(client, mixed):
    lines = jsonl(client)
    whole = json.loads(b"".join(client.get("/api/v3/records.json").streaming_content))
    assert lines == whole["records"]
    assert [r["id"] for r in lines] == [d["id"] for d in listed_docs()]
    ids = {r["id"] for r in lines}
    assert mixed["published"].pk in ids and not {mixed["draft"].pk, mixed["withdrawn"].pk} & ids


def test_sources_csv_one_row_per_record_source(client, mixed):
    rows = csv_rows(client, "sources.csv")
    assert list(rows[0]) == list(bulk.SOURCE_COLUMNS)
    expected = [
        (d["id"], s["number"], s["citation_key"], s["url"]) for d in listed_docs() for s in d["sources"]
    ]
    assert [(int(r["record_id"]), int(r["number"]), r["citation_key"], r["url"]) for r in rows] == expected
    ours = [r for r in rows if int(r["record_id"]) == mixed["published"].pk]
    assert ours[1]["publisher"] == "Daily News" and ours[1]["date_published"] == "2025-02-01"
    assert (ours[1]["source_type"], ours[1]["date_precision"], ours[1]["language"]) == (
        "media",
        "month",
        "en",
    )
    gone = {mixed["draft"].pk, mixed["withdrawn"].pk}
    assert not {int(r["record_id"]) for r in rows} & gone


def test_entities_csv_names_the_entities_of_listed_records(client, editor, reviewer, entities, clock):
    record = factories.published_incident(editor, reviewer, clock)
    named = Counter(slug for d in listed_docs() for slug in {e["slug"] for e in d["entities"]})
    rows = csv_rows(client, "entities.csv")
    assert list(rows[0]) == list(bulk.ENTITY_COLUMNS)
    assert {r["slug"]: int(r["record_count"]) for r in rows} == dict(named)
    assert [r["slug"] for r in rows] == sorted(named)
    acme = next(r for r in rows if r["slug"] == "t-acme-ai")
    assert (acme["name"], acme["kind"]) == ("Acme AI Inc.", "company")
    # Once the only record naming them is withdrawn, the test entities leave the file.
    actions.withdraw_record(record, actor=reviewer, reason_en="Duplicate.", reason_fr="Doublon.")
    assert "t-acme-ai" not in {r["slug"] for r in csv_rows(client, "entities.csv")}


@pytest.mark.parametrize("filename", FILES)
def test_licence_cors_and_file_name(client, db, filename):
    response = get(client, filename)
    assert f'<{bulk.LICENCE_URL}>; rel="license"' in response["Link"]
    assert '/api/v3/bulk/LICENCE.txt>; rel="describedby"' in response["Link"]
    assert response["Content-Disposition"] == f'attachment; filename="{filename}"'
    assert response["Access-Control-Allow-Origin"] == "*"
    first_line = body(response).splitlines()[0]
    assert "CC BY" not in first_line  # the notice is beside the data, never a line of it


def test_licence_notice_in_both_languages(client, db):
    response = client.get("/api/v3/bulk/LICENCE.txt")
    text = response.content.decode()
    assert response.status_code == 200 and response["Content-Type"] == "text/plain; charset=utf-8"
    assert "CC BY 4.0" in text and bulk.LICENCE_URL in text and 'values with " | "' in text
    assert "Les fiches de ces fichiers sont publiées" in text
    assert f'<{bulk.LICENCE_URL}>; rel="license"' in response["Link"]


def test_conditional_get_and_a_new_etag_after_publication(client, editor, reviewer, entities, clock):
    etag = get(client, "records.csv")["ETag"]
    with CaptureQueriesContext(connection) as ctx:
        response = client.get("/api/v3/bulk/records.csv", headers={"If-None-Match": etag})
    assert response.status_code == 304 and len(ctx.captured_queries) == 1
    assert f'<{bulk.LICENCE_URL}>; rel="license"' in response["Link"]
    assert client.get("/api/v3/bulk/records.csv", headers={"If-None-Match": '"other"'}).status_code == 200
    record = factories.published_incident(editor, reviewer, clock, title_en="Freshly published quokka")
    fresh = get(client, "records.csv", **{"If-None-Match": etag})
    assert fresh["ETag"] != etag and "quokka" in body(fresh)
    assert str(record.pk) in {r["id"] for r in csv_rows(client, "records.csv")}


def test_written_once_per_state_then_one_query_whatever_the_size(
    client, editor, reviewer, entities, clock, corpus_dir
):
    for round_ in range(2):
        for filename in FILES:
            get(client, filename)  # writes the file (and its gzip copy) if this state has none
            with CaptureQueriesContext(connection) as ctx:
                again = get(client, filename)
            assert len(ctx.captured_queries) == 1, filename  # the public-layer token, whatever the size
            plain = body(again)
            packed = get(client, filename, **{"Accept-Encoding": "gzip"})
            assert packed["Content-Encoding"] == "gzip" and "Accept-Encoding" in packed["Vary"]
            assert gzip.decompress(b"".join(packed.streaming_content)).decode() == plain
        if round_ == 0:
            for _ in range(3):
                factories.published_incident(editor, reviewer, clock)
    # One state's files only, and records.json's clean-up leaves them alone.
    get(client, "records.jsonl")
    client.get("/api/v3/records.json")
    for name, _build, _type in bulk.FILES.values():
        assert len(list(corpus_dir.glob(f"{name}.*"))) == 2, name


def test_an_unknown_bulk_file_is_a_json_404(client, db):
    response = client.get("/api/v3/bulk/records.xlsx")
    assert response.status_code == 404 and response.json()["error"] == "not_found"
    assert response["Access-Control-Allow-Origin"] == "*"


def test_text_that_a_spreadsheet_would_run_is_neutralised(client, editor, reviewer, entities, clock):
    record = factories.published_incident(
        editor, reviewer, clock, title_en='=HYPERLINK("http://evil.example")'
    )
    response = client.get("/api/v3/bulk/records.csv")
    rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))
    mine = next(r for r in rows if r["slug"] == record.slug)
    assert mine["title_en"] == '\'=HYPERLINK("http://evil.example")'
