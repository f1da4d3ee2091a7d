"""The corpus files of SPEC §5.1 as a client reads them: each validates against its JSON Schema (kept in the
repository), records carry the reference monitor's v3 keys, stats.json has the statistics page's numbers, and
nothing unpublished is in any of them."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from jsonschema import Draft202012Validator
from referencing import Registry, Resource

from caim.records import actions
from caim.records.models import PublicRecord
from tests import factories

SCHEMAS = Path(__file__).resolve().parents[2] / "src/caim/api/schemas"


def registry() -> Registry:
    resources = [(p.name, Resource.from_contents(json.loads(p.read_text()))) for p in SCHEMAS.glob("*.json")]
    return Registry().with_resources(resources)


def validate(name: str, data) -> None:
    schema = json.loads((SCHEMAS / f"{name}.schema.json").read_text())
    errors = sorted(Draft202012Validator(schema, registry=registry()).iter_errors(data), key=str)
    assert not errors, f"{name}: {[e.message for e in errors[:5]]}"


def get_json(client, url: str):
    response = client.get(url)
    assert response.status_code == 200, url
    assert response["Access-Control-Allow-Origin"] == "*" and response["ETag"]
    return json.loads(b"".join(response.streaming_content) if response.streaming else response.content)


@pytest.mark.parametrize(
    ("url", "schema"),
    [
        ("/api/v3/records.json", "records"),
        ("/api/v3/records/air-canada-chatbot-bereavement-fare.json", "record"),
        ("/api/v3/records/customer-service-chatbot-misinformation.json", "record"),
        ("/api/v3/records/air-canada-chatbot-bereavement-fare/versions.json", "versions"),
        ("/api/v3/stats.json", "stats"),
        ("/api/v3/systemic-analysis.json", "systemic-analysis"),
        ("/api/v3/graph.json", "graph"),
        ("/api/v3/taxonomy.json", "taxonomy"),
    ],
)
def test_every_corpus_file_validates_against_its_schema(client, db, url, schema):
    validate(schema, get_json(client, url))


def test_records_carry_the_reference_v3_keys(client, db):
    data = get_json(client, "/api/v3/records.json")
    record = next(r for r in data["records"] if r["slug"] == "air-canada-chatbot-bereavement-fare")
    assert record["title"] == record["title_en"] and record["title_fr"]
    assert set(record["dates"]) == {"occurred", "occurred_precision", "reported", "occurred_end"}
    assert (
        record["dates"]["occurred"] == record["occurred"]
        and record["dates"]["reported"] == record["reported"]
    )
    hazard = next(r for r in data["records"] if r["type"] == "hazard")
    assert hazard["dates"]["occurred"] == hazard["identified"] and hazard["dates"]["reported"] is None


def test_numeric_ids_resolve_on_the_api_as_on_pages(client, db):
    public = PublicRecord.objects.get(slug="air-canada-chatbot-bereavement-fare")
    response = client.get(f"/api/v3/records/{public.pk}.json")
    assert response.status_code == 301 and response["Location"] == f"/api/v3/records/{public.slug}.json"
    versions = client.get(f"/api/v3/records/{public.pk}/versions.json")
    assert versions["Location"] == f"/api/v3/records/{public.slug}/versions.json"
    assert client.get("/api/v3/records/99999999.json").status_code == 404


def test_stats_json_has_the_numbers_of_the_statistics_page(client, db):
    stats = get_json(client, "/api/v3/stats.json")
    for slug in ("domain", "severity", "harm-type", "year", "verification", "hazard-status"):
        page_csv = client.get(f"/stats/{slug}.csv").content.decode()
        rows = list(csv.DictReader(io.StringIO(page_csv)))
        chart = stats["charts"][slug]
        assert len(rows) == len(chart["rows"]), slug
        key = chart["key"]
        for row, entry in zip(rows, chart["rows"], strict=True):
            assert row[key] == entry["key"]
            for column in chart["columns"]:
                assert float(row[column]) == float(entry[column]), (slug, column)
    public = PublicRecord.objects.listed()
    risk = stats["systemic_risk"]
    assert (
        risk["records"] == public.count() and risk["hazards"] == public.filter(record_type="hazard").count()
    )
    watch = {w["slug"] for w in stats["hazard_watch"]}
    assert watch == set(PublicRecord.objects.on_watch().values_list("slug", flat=True))


def test_systemic_analysis_and_graph_follow_the_public_links(
    client, editor, reviewer, entities, clock, hazard
):
    factories.published_incident(editor, reviewer, clock, hazard=hazard)
    second = factories.incident_data()
    second["taxonomy"] = {**second["taxonomy"], "domains": ["finance"]}
    factories.published_incident(editor, reviewer, clock, hazard=hazard, taxonomy=second["taxonomy"])
    hazard.refresh_from_db()
    actions.update_record(hazard, actor=editor, expected_lock_version=hazard.lock_version,
                          data={"hazard_status": "escalating"})  # fmt: skip
    actions.publish_record(
        hazard, actor=reviewer, changelog_en="Escalating.", changelog_fr="En escalade.", clock=clock
    )
    draft = factories.draft(editor, "incident", factories.incident_data(title_en="Unpublished zebra"), clock)
    systemic = get_json(client, "/api/v3/systemic-analysis.json")
    mine = next(h for h in systemic["cross_domain_hazards"] if h["id"] == hazard.pk)
    assert mine["domains"] == ["finance", "consumer_technology"] and mine["incidents"] == 2
    escalation = next(h for h in systemic["escalation"] if h["id"] == hazard.pk)
    assert escalation["status_changes"][0] | {"at": None} == {
        "version": 2,
        "at": None,
        "from": "active",
        "to": "escalating",
    }
    cells = systemic["cooccurrence"]["harm_type__ai_pathway"]
    stats = get_json(client, "/api/v3/stats.json")["charts"]["co-occurrence"]
    assert cells["cells"] == stats["cells"]
    graph = get_json(client, "/api/v3/graph.json")
    edges = {(e["source"], e["target"], e["kind"]) for e in graph["edges"]}
    assert any(target == f"record:{hazard.pk}" and kind == "materialized_from" for _s, target, kind in edges)
    assert graph["counts"]["records"] == PublicRecord.objects.listed().count()
    text = json.dumps([systemic, graph])
    assert "zebra" not in text and f"record:{draft.pk}" not in text
