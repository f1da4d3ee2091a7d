"""The corpus files: every published record with its computed fields; CORS, ETag, conditional GETs."""

from __future__ import annotations

import json

from django.db import connection
from django.test.utils import CaptureQueriesContext

from caim.records import actions
from caim.records.models import PublicRecord
from tests import factories


def records_json(client) -> dict:
    response = client.get("/api/v3/records.json")
    assert response.status_code == 200 and response["Content-Type"].startswith("application/json")
    assert response["Access-Control-Allow-Origin"] == "*"
    return json.loads(b"".join(response.streaming_content))


def test_records_json_holds_every_published_record(client, db):
    data = records_json(client)
    public = PublicRecord.objects.filter(withdrawn=False)
    assert data["meta"]["schema_version"] == "3.1" and data["meta"]["record_count"] == public.count()
    assert [r["id"] for r in data["records"]] == sorted(public.values_list("pk", flat=True))
    record = next(r for r in data["records"] if r["slug"] == "air-canada-chatbot-bereavement-fare")
    assert record["url"].endswith("/incidents/air-canada-chatbot-bereavement-fare/")
    assert record["url_fr"].endswith("/fr/incidents/air-canada-chatbot-bereavement-fare/")
    assert record["source_count"] == len(record["sources"]) and record["has_french"] is True
    assert "private_persons" not in record and "Moffatt" not in json.dumps(record)
    hazard = next(r for r in data["records"] if r["slug"] == "customer-service-chatbot-misinformation")
    assert {"id": record["id"], "slug": record["slug"]} in hazard["materialized_incidents"]


def test_drafts_and_withdrawn_records_are_absent(client, editor, reviewer, entities, clock, incident):
    draft = factories.draft(editor, "incident", factories.incident_data(title_en="Unpublished zebra"), clock)
    text = json.dumps(records_json(client))
    assert incident.slug in text and "zebra" not in text
    missing = client.get(f"/api/v3/records/{draft.slug}.json")
    assert missing.status_code == 404 and missing.json()["error"] == "not_found"
    assert missing["Access-Control-Allow-Origin"] == "*"
    actions.withdraw_record(incident, actor=reviewer, reason_en="Duplicate.", reason_fr="Doublon.")
    assert incident.slug not in json.dumps(records_json(client))
    # like its page, a withdrawn record's own file stays, with the withdrawal
    kept = client.get(f"/api/v3/records/{incident.slug}.json").json()
    assert kept["withdrawn"]["reason_en"] == "Duplicate."


def test_cors_preflight_and_other_methods(client, db):
    preflight = client.options("/api/v3/records.json")
    assert preflight.status_code == 204 and "If-None-Match" in preflight["Access-Control-Allow-Headers"]
    refused = client.post("/api/v3/records.json")
    assert refused.status_code == 405 and refused.json()["error"] == "method_not_allowed"


def test_one_record_and_its_versions(client, incident, editor, reviewer):
    actions.update_record(incident, actor=editor, expected_lock_version=incident.lock_version,
                          data={"title_en": "Second title"})  # fmt: skip
    actions.publish_record(incident, actor=reviewer, changelog_en="Retitled.", changelog_fr="Nouveau titre.")
    one = client.get(f"/api/v3/records/{incident.slug}.json").json()
    assert one["title_en"] == "Second title" and one["version"] == 2
    versions = client.get(f"/api/v3/records/{incident.slug}/versions.json").json()
    assert [v["version"] for v in versions["versions"]] == [1, 2]
    assert versions["versions"][0]["document"]["title_en"] == factories.INCIDENT["title_en"]
    assert versions["versions"][1]["changelog_fr"] == "Nouveau titre."


def test_a_record_file_is_kept_per_state_and_follows_each_publication(client, incident, editor, reviewer):
    first = client.get(f"/api/v3/records/{incident.slug}.json")
    with CaptureQueriesContext(connection) as ctx:
        again = client.get(f"/api/v3/records/{incident.slug}.json")
    assert again.content == first.content and len(ctx.captured_queries) == 1  # the public-layer token only
    actions.update_record(incident, actor=editor, expected_lock_version=incident.lock_version,
                          data={"title_en": "Second title"})  # fmt: skip
    actions.publish_record(incident, actor=reviewer, changelog_en="Retitled.", changelog_fr="Nouveau titre.")
    after = client.get(f"/api/v3/records/{incident.slug}.json")
    assert after.json()["title_en"] == "Second title" and after["ETag"] != first["ETag"]
    assert len(client.get(f"/api/v3/records/{incident.slug}/versions.json").json()["versions"]) == 2


def test_conditional_get_touches_no_record(client, db):
    etag = client.get("/api/v3/records.json")["ETag"]
    with CaptureQueriesContext(connection) as ctx:
        response = client.get("/api/v3/records.json", headers={"If-None-Match": etag})
    assert response.status_code == 304 and len(ctx.captured_queries) == 1  # the public-layer token only
    assert client.get("/api/v3/records.json", headers={"If-None-Match": '"other"'}).status_code == 200


def test_etag_changes_when_a_record_is_published(client, editor, reviewer, entities, clock):
    before = client.get("/api/v3/records.json")["ETag"]
    factories.published_incident(editor, reviewer, clock)
    assert client.get("/api/v3/records.json")["ETag"] != before


def test_a_missing_record_is_404_even_with_if_none_match_star(client, db):
    response = client.get("/api/v3/records/no-such-record.json", headers={"If-None-Match": "*"})
    assert response.status_code == 404 and response.json()["error"] == "not_found"


def test_records_json_is_written_once_per_state_and_served_as_a_file(
    client, editor, reviewer, entities, clock, corpus_dir
):
    import gzip

    first = client.get("/api/v3/records.json")
    etag = first["ETag"]
    written = sorted(p.name for p in corpus_dir.glob("records.*"))
    assert first.streaming and len(written) == 2  # the file and its gzip copy
    # Served again from the file: no record is read.
    with CaptureQueriesContext(connection) as ctx:
        again = client.get("/api/v3/records.json")
    assert again["ETag"] == etag and len(ctx.captured_queries) == 1
    assert b"".join(again.streaming_content) == b"".join(first.streaming_content)
    packed = client.get("/api/v3/records.json", headers={"Accept-Encoding": "gzip, br"})
    assert packed["Content-Encoding"] == "gzip" and "Accept-Encoding" in packed["Vary"]
    data = json.loads(gzip.decompress(b"".join(packed.streaming_content)))
    assert int(packed["Content-Length"]) < len(json.dumps(data).encode()) / 2
    # A publication makes a new file, under a new ETag; the old one is removed.
    record = factories.published_incident(editor, reviewer, clock)
    fresh = client.get("/api/v3/records.json")
    assert fresh["ETag"] != etag and record.slug in b"".join(fresh.streaming_content).decode()
    assert not set(written) & {p.name for p in corpus_dir.glob("records.*")}


def test_a_killed_writers_partial_file_is_removed_by_the_next_writer(client, db, corpus_dir):
    """A worker killed while writing records.json leaves `.part` files; the next writer (holding the lock) removes
    them with the files of older states once its own is written, so they never pile up."""
    corpus_dir.mkdir(parents=True, exist_ok=True)
    stale = [corpus_dir / "records.old.json.4242.part", corpus_dir / "records.old.json.gz.4242.part"]
    for path in stale:
        path.write_text("{half a fi")
    other = corpus_dir / "sources.old.json.4242.part"  # another file's writer may still be at work
    other.write_text("{")
    assert client.get("/api/v3/records.json").status_code == 200
    assert not any(path.exists() for path in stale) and other.exists()
    assert not list(corpus_dir.glob("records.*.part"))
