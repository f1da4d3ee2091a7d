"""records.json carries every key a client reads (SPEC §5.1, issue 18): the keys of each record are exactly the
declared public fields (records/fields.py), the version bookkeeping, the child lists with their declared item
keys, and the keys clients of API v3 read (`title`, `dates`, `url`, `url_fr`, `source_count`, `has_french`, and
for hazards `materialized_incidents`). Removing one from a record, or from one of its items, fails here; adding
one means declaring it (and so documenting it)."""

from __future__ import annotations

import json

from caim.records.fields import CHILD_LISTS, fields_of

BOOKKEEPING = {
    "schema_version",
    "version",
    "translation_status",
    "created_at",
    "first_published_at",
    "published_at",
}
V3_KEYS = {"title", "dates", "url", "url_fr", "source_count", "has_french"}
V3_HAZARD_KEYS = {"materialized_incidents"}
DATES_KEYS = {"occurred", "occurred_precision", "reported", "occurred_end"}


def expected_keys(record_type: str) -> set[str]:
    declared = {
        key.split(".", 1)[0] for f in fields_of(record_type, public=True) for key in f.document_keys()
    }
    children = {child.name for child in CHILD_LISTS}
    return (
        declared | children | BOOKKEEPING | V3_KEYS | (V3_HAZARD_KEYS if record_type == "hazard" else set())
    )


def records(client) -> list[dict]:
    return json.loads(b"".join(client.get("/api/v3/records.json").streaming_content))["records"]


def test_every_record_has_exactly_the_declared_and_v3_keys(client, db):
    seen = set()
    for record in records(client):
        expected = expected_keys(record["type"])
        assert set(record) == expected, (record["slug"], expected - set(record), set(record) - expected)
        assert set(record["dates"]) == DATES_KEYS, record["slug"]
        assert set(record["taxonomy"]) == {"domains", "harm_types", "ai_pathways", "lifecycle_phases"}
        assert set(record["canada_nexus"]) == {
            "criterion",
            "canada_nexus_note_en",
            "canada_nexus_note_fr",
            "provinces",
        }
        seen.add(record["type"])
    assert seen == {"incident", "hazard"}


def test_every_item_of_every_child_list_has_its_declared_keys(client, db):
    counted = {child.name: 0 for child in CHILD_LISTS}
    for record in records(client):
        for child in CHILD_LISTS:
            keys = {key for f in child.fields for key in f.document_keys()}
            for item in record[child.name]:
                assert set(item) == keys, (record["slug"], child.name, keys ^ set(item))
                counted[child.name] += 1
    assert all(counted.values()), counted  # the demo set exercises every list


def test_the_expected_keys_name_the_fields_a_client_reads():
    # a few keys by name, so that the declaration itself cannot lose them unnoticed
    incident, hazard = expected_keys("incident"), expected_keys("hazard")
    for key in ("id", "slug", "type", "title_en", "title_fr", "summary_en", "severity", "taxonomy", "sources",
                "entities", "systems", "harms", "same_as", "occurred", "reported", "verification"):  # fmt: skip
        assert key in incident, key
    for key in ("identified", "last_assessed", "hazard_status", "confidence", "governance_gap_en",
                "materialized_incidents"):  # fmt: skip
        assert key in hazard, key
    assert "private_persons" not in incident | hazard
