"""One-record exports for other databases (SPEC §7): OECD reporting framework fields and AIID submission JSON.

Expected crosswalk values are computed here from the raw taxonomy.yaml, not through the code under test.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import yaml
from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext

from caim.interop.exports.aiid import AIID_FIELDS, NotAnIncident, aiid_submission
from caim.interop.exports.oecd import oecd_export
from caim.records import actions
from caim.records.lint import fold
from caim.records.models import PublicRecord, Record, RecordVersion, Status
from tests import factories

INCIDENT = "air-canada-chatbot-bereavement-fare"
HAZARD = "customer-service-chatbot-misinformation"


# -- expectations from the raw vocabulary file --------------------------------------------------------------


def raw_vocabularies() -> dict[str, list[dict]]:
    data = yaml.safe_load(Path(settings.CAIM_TAXONOMY_FILE).read_text(encoding="utf-8"))
    return {v["slug"]: v["values"] for v in data["vocabularies"]}


VOCABS = raw_vocabularies()


def oecd_of(vocabulary: str, slug: str) -> dict:
    value = next(v for v in VOCABS[vocabulary] if v["slug"] == slug)
    mapping = value["crosswalk"]["oecd"]
    return {} if mapping == "none" else mapping


def expected(vocabulary: str, slugs, field: str) -> list[str]:
    """OECD `field` values of the given slugs: value by value in file order, first occurrence kept."""
    out: list[str] = []
    for value in VOCABS[vocabulary]:
        if value["slug"] in slugs:
            out += [t for t in oecd_of(vocabulary, value["slug"]).get(field, []) if t not in out]
    return out


def union(*lists: list[str]) -> list[str]:
    out: list[str] = []
    for values in lists:
        out += [v for v in values if v not in out]
    return out


def current(slug: str) -> PublicRecord:
    return PublicRecord.objects.select_related("version").get(slug=slug)


def get_json(client, url: str) -> dict:
    response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    assert response["Content-Type"].startswith("application/json")
    assert response["Access-Control-Allow-Origin"] == "*"
    return json.loads(response.content)


# -- OECD ---------------------------------------------------------------------------------------------------


def test_oecd_export_of_a_demo_incident(client, db):
    public = current(INCIDENT)
    doc = public.version.document
    tax = doc["taxonomy"]
    data = get_json(client, f"/incidents/{INCIDENT}/oecd.json")

    assert data["framework"] == "OECD common reporting framework for AI incidents"
    assert data["record"]["id"] == public.pk and data["record"]["version"] == public.version_number
    assert (
        data["record"]["url"] == f"{settings.CAIM_SITE_URL}/incidents/{INCIDENT}/v/{public.version_number}/"
    )
    assert data["record"]["same_as"] == [{"db": "aiid", "id": "639"}, {"db": "oecd", "id": "2024-02-15-7d63"}]
    assert data["language"] == "en" and data["country"] == "CA"
    assert data["title"] == doc["title_en"] and data["description"] == doc["summary_en"]
    assert data["type"] == "AI incident" and data["monitor_type"] == "incident"
    assert data["dates"] == {
        "occurred": {"date": "2022-11-11", "precision": "day"},
        "occurred_end": None,
        "reported": {"date": "2024-02-14", "precision": "day"},
    }
    assert data["severity"] == {
        "monitor": "minor",
        "oecd": oecd_of("severity", "minor")["severity_incident"],
    }
    assert (
        data["harm_types"] == expected("harm_type", tax["harm_types"], "harm_types") == ["Economic/Property"]
    )
    assert data["industries"] == expected("domain", tax["domains"], "industries")
    assert set(data["industries"]) == {
        "Mobility and autonomous vehicles",
        "Consumer services",
        "Consumer products",
    }
    assert data["lifecycle_stages"] == expected("lifecycle_phase", tax["lifecycle_phases"], "lifecycle_stage")
    assert data["lifecycle_stages"] == ["Deploy", "Operate and monitor"]
    assert data["ai_principles"] == union(
        expected("harm_type", tax["harm_types"], "ai_principles"),
        expected("ai_pathway", tax["ai_pathways"], "ai_principles"),
        expected("domain", tax["domains"], "ai_principles"),
    )
    assert {"Robustness & digital security", "Accountability"} <= set(data["ai_principles"])
    # no entity is an affected party here: stakeholder groups come from the harm types and domains
    assert data["affected_stakeholders"] == union(
        expected("harm_type", tax["harm_types"], "affected_stakeholders"),
        expected("domain", tax["domains"], "affected_stakeholders"),
    )
    assert "Consumers" in data["affected_stakeholders"]
    assert data["ai_systems"] == [
        {"name": s["name"], "type": "Chatbot", "developer": (s["developer"] or {}).get("name")}
        for s in doc["systems"]
    ]
    assert {"name": "Air Canada", "kind": "company", "roles": ["deployer"]} in data["actors"]
    assert data["sources"] == [
        {"url": s["url"], "title": s["title"], "publisher": s["publisher"], "date": s["date_published"]}
        for s in doc["sources"]
    ]
    assert data["sources"][0]["url"].startswith("https://decisions.civilresolutionbc.ca/")
    assert data["crosswalk_notes"] == []  # every value of this record has an OECD equivalent
    # the AI system's relation to the event: a performance failure (malfunction) left without oversight (use)
    assert data["ai_system_relation"] == {
        "relation": ["Use", "Malfunction"],
        "pathways": ["Performance Failure", "Insufficient Human Oversight"],
        "systems": [{"name": s["name"], "involvement": s["involvement_en"]} for s in doc["systems"]],
    }
    assert data["ai_system_relation"]["systems"][0]["involvement"]
    # who reports: the monitor, a third party, with the record's sources as the primary reports
    assert data["reporter"] == {
        "name": settings.CAIM_SITE_NAME,
        "type": "Third party (independent monitor, media, researcher or civil society)",
        "url": settings.CAIM_SITE_URL + "/",
        "country": "CA",
        "primary_reports": [s["url"] for s in doc["sources"]],
    }
    assert len(data["harms"]) == len(doc["harms"]) and data["harms"][0]["harm_types"] == ["Economic/Property"]


def test_oecd_export_of_a_demo_hazard(client, db):
    public = current(HAZARD)
    doc = public.version.document
    data = get_json(client, f"/hazards/{HAZARD}/oecd.json")
    assert data["type"] == "AI hazard" and data["monitor_type"] == "hazard"
    assert data["title"] == doc["title_en"] and data["governance_gap"] == doc["governance_gap_en"]
    assert data["dates"] == {
        "identified": {"date": "2024-02-01", "precision": "month"},
        "last_assessed": {"date": doc["last_assessed"], "precision": "day"},
    }
    assert data["severity"] == {
        "monitor": doc["severity"],
        "oecd": oecd_of("severity", doc["severity"])["severity_hazard"],
    }
    assert data["harm_types"] == expected("harm_type", doc["taxonomy"]["harm_types"], "harm_types")
    assert data["harm_types"] == ["Economic/Property", "Public interest"]
    assert data["industries"] == expected("domain", doc["taxonomy"]["domains"], "industries")
    assert data["record"]["url"].endswith(f"/hazards/{HAZARD}/v/{public.version_number}/")
    # AIID takes incidents only
    assert client.get(f"/hazards/{HAZARD}/aiid.json").status_code == 404
    assert client.get(f"/hazards/{HAZARD}/v/1/aiid.json").status_code == 404
    assert (
        client.get(f"/incidents/{HAZARD}/aiid.json").status_code == 404
    )  # not even through the type redirect
    with pytest.raises(NotAnIncident):
        aiid_submission(doc, record_url="https://x.example/", site_name="Monitor")


def test_french_export_uses_french_texts(client, db):
    doc = current(INCIDENT).version.document
    data = get_json(client, f"/fr/incidents/{INCIDENT}/oecd.json")
    assert data["language"] == "fr" and data["title"] == doc["title_fr"]
    assert "/fr/incidents/" in data["record"]["url"]
    assert data["harm_types"] == ["Economic/Property"]  # OECD terms stay OECD terms
    assert data["ai_system_relation"]["relation"] == ["Use", "Malfunction"]
    assert data["ai_system_relation"]["pathways"] == [
        "Défaillance de performance",
        "Supervision humaine insuffisante",
    ]
    assert data["ai_system_relation"]["systems"][0]["involvement"] == doc["systems"][0]["involvement_fr"]
    assert data["reporter"]["name"] == settings.CAIM_SITE_NAME_FR
    aiid = get_json(client, f"/fr/incidents/{INCIDENT}/aiid.json")
    assert aiid["language"] == "fr" and aiid["description"] == doc["summary_fr"]
    assert aiid["submitters"] == [settings.CAIM_SITE_NAME_FR]


def test_crosswalk_notes_name_values_without_oecd_equivalent(editor, reviewer, entities, clock):
    group = actions.create_entity(
        actor=editor, slug="t-riders-union", name="Riders Union", kind="civil_society"
    )
    data = factories.incident_data(
        taxonomy={
            "domains": ["research_science", "employment"],
            "harm_types": ["child_safety", "economic_harm"],
            "ai_pathways": ["performance_failure"],
            "lifecycle_phases": ["operation"],
        }
    )
    data["entities"][1]["roles"] = ["regulator", "affected_party"]
    data["entities"].append({"slug": group.slug, "roles": ["affected_party"]})
    record = factories.draft(editor, "incident", data, clock)
    factories.submit_and_publish(record, editor, reviewer, clock)
    doc = current(record.slug).version.document
    out = oecd_export(doc, record_url="https://monitor.example/r/1/")
    assert out["crosswalk_notes"] == [
        {
            "vocabulary": "domain",
            "value": "research_science",
            "label": "Research & Science",
            "field": "industries",
        },
        {
            "vocabulary": "entity_kind",
            "value": "civil_society",
            "label": "Civil-society organization",
            "field": "affected_stakeholders",
            "entity": "Riders Union",
        },
    ]
    # affected parties first (a regulator is a government body to OECD), then harm types, then domains
    assert out["affected_stakeholders"] == ["Government", "Children", "Workers"]
    assert out["harm_types"] == expected("harm_type", ["child_safety", "economic_harm"], "harm_types")
    assert out["harm_types"] == ["Economic/Property", "Psychological", "Physical"]
    assert out["industries"] == ["Business processes and support services"]
    # the relation of the AI system to the event comes from the AI pathway: a performance failure is a malfunction
    assert out["ai_system_relation"]["relation"] == ["Malfunction"]
    assert out["ai_system_relation"]["pathways"] == ["Performance Failure"]


def test_exports_are_pure_functions_of_the_document(django_assert_num_queries, db):
    doc = current(INCIDENT).version.document
    before = json.dumps(doc, sort_keys=True)
    with django_assert_num_queries(0):
        oecd_export(doc, record_url="https://monitor.example/x/", lang="fr")
        aiid_submission(doc, record_url="https://monitor.example/x/", site_name="Monitor")
    assert json.dumps(doc, sort_keys=True) == before  # the document is not modified


# -- AIID ---------------------------------------------------------------------------------------------------


def test_aiid_submission_of_a_demo_incident(client, db):
    public = current(INCIDENT)
    doc = public.version.document
    data = get_json(client, f"/incidents/{INCIDENT}/aiid.json")
    first = doc["sources"][0]
    pinned = f"{settings.CAIM_SITE_URL}/incidents/{INCIDENT}/v/{public.version_number}/"
    assert data["title"] == doc["title_en"] and data["description"] == doc["summary_en"]
    assert data["text"] == doc["narrative_en"]
    assert data["url"] == first["url"] and data["source_domain"] == "decisions.civilresolutionbc.ca"
    assert data["authors"] == [first["publisher"]] and data["submitters"] == [settings.CAIM_SITE_NAME]
    assert data["incident_date"] == "2022-11-11"
    assert data["date_published"] == first["date_published"] == "2024-02-14"
    assert data["date_downloaded"] == doc["published_at"][:10]
    assert data["incident_id"] == 639  # the record's AIID link: a new report for that incident
    assert data["deployers"] == ["Air Canada"] and data["developers"] == [] and data["harmed_parties"] == []
    assert data["language"] == "en"
    assert data["tags"] == ["Transportation", "Consumer Technology", "Economic Harm"]
    assert pinned in data["editor_notes"] and f"version {public.version_number}" in data["editor_notes"]
    mit = data["taxonomy_suggestions"]["MIT"]
    # single-valued MIT fields: one value each; the subdomain 7.3 (performance failure) sets its domain 7, the
    # economic harm's domain 6 is an alternative; Entity AI (performance failure) and Human (insufficient
    # oversight) tie, the first named wins
    assert mit == {
        "Risk Domain": ["7. AI system safety, failures, and limitations"],
        "Risk Subdomain": ["7.3. Lack of capability or robustness"],
        "Entity": ["AI"],
        "Intent": ["Unintentional"],
        "Timing": ["Post-deployment"],
    }
    cset = data["taxonomy_suggestions"]["CSETv1"]
    assert cset["Sector of Deployment"] == ["transportation and storage", "information and communication"]
    # single-valued in CSETv1, and "incident" names two of each: alternatives only
    assert "AI Harm Level" not in cset and "Tangible Harm" not in cset
    assert data["taxonomy_alternatives"] == {
        "CSETv1": {
            "AI Harm Level": ["AI tangible harm event", "AI tangible harm near-miss"],
            "Tangible Harm": [
                "tangible harm definitively occurred",
                "imminent risk of tangible harm (near miss) did occur",
            ],
        },
        "MIT": {
            "Risk Domain": ["6. Socioeconomic & Environmental Harms"],
            # economic harm lists four subdomains: alternatives to 7.3, which the performance failure names
            "Risk Subdomain": [
                "6.1. Power centralization and unfair distribution of benefits",
                "6.2. Increased inequality and decline in employment quality",
                "6.3. Economic and cultural devaluation of human effort",
                "6.4. Competitive dynamics",
            ],
            "Entity": ["Human"],
        },
    }


def test_every_aiid_crosswalk_field_is_named_in_the_suggestions():
    used = {
        field
        for values in VOCABS.values()
        for value in values
        if isinstance(value["crosswalk"]["aiid"], dict)
        for field in value["crosswalk"]["aiid"]
    } - {"aiid_record_type", "aiid_entity_role"}
    assert used <= set(AIID_FIELDS), used - set(AIID_FIELDS)
    for key, (namespace, name, _cardinality) in AIID_FIELDS.items():
        prefix = {"CSETv1": "cset_v1_", "MIT": "mit_"}.get(namespace)
        if prefix:
            assert key == prefix + name.lower().replace(" ", "_"), key


def test_aiid_roles_and_source_domain(editor, reviewer, entities, clock):
    data = factories.incident_data()
    data["entities"][1]["roles"] = ["regulator", "affected_party"]
    data["sources"] = [dict(factories.SOURCES[1], url="https://www.news.example.ca/a"), factories.SOURCES[0]]
    record = factories.draft(editor, "incident", data, clock)
    factories.submit_and_publish(record, editor, reviewer, clock)
    out = aiid_submission(
        current(record.slug).version.document, record_url="https://m.example/", site_name="M"
    )
    assert out["developers"] == ["Acme AI Inc."] and out["deployers"] == ["Acme AI Inc."]
    assert out["harmed_parties"] == ["Test Privacy Regulator"]
    assert out["url"] == "https://www.news.example.ca/a" and out["source_domain"] == "news.example.ca"
    assert out["authors"] == ["Daily News"] and out["incident_id"] == 0


# -- what never leaves ----------------------------------------------------------------------------------------


def test_private_persons_never_appear_in_any_export(client, db):
    records = Record.objects.filter(public__isnull=False, public__withdrawn=False).exclude(private_persons=[])
    assert records.count() >= 5
    checked = 0
    for record in records.select_related("public"):
        base = "incidents" if record.record_type == "incident" else "hazards"
        formats = ["oecd", "aiid"] if record.record_type == "incident" else ["oecd"]
        for prefix in ("", "/fr"):
            for fmt in formats:
                body = fold(client.get(f"{prefix}/{base}/{record.slug}/{fmt}.json").content.decode())
                for name in record.private_persons:
                    assert not re.search(rf"(?<!\w){re.escape(fold(name))}(?!\w)", body), (
                        record.slug,
                        fmt,
                        name,
                    )
                checked += 1
    assert checked >= 20


def test_drafts_have_no_exports(client, editor, entities, clock):
    incident = factories.draft(editor, "incident", factories.incident_data(title_en="Secret draft"), clock)
    hazard = factories.draft(editor, "hazard", factories.hazard_data(), clock)
    actions.set_status(
        hazard, actor=editor, status=Status.REVIEW, clock=clock
    )  # awaiting review: still private
    for url in (
        f"/incidents/{incident.slug}/oecd.json",
        f"/incidents/{incident.slug}/aiid.json",
        f"/incidents/{incident.slug}/v/1/oecd.json",
        f"/incidents/{incident.slug}/v/1/aiid.json",
        f"/fr/incidents/{incident.slug}/oecd.json",
        f"/incidents/{incident.pk}/oecd.json",
        f"/hazards/{hazard.slug}/oecd.json",
        f"/hazards/{hazard.slug}/v/1/oecd.json",
    ):
        assert client.get(url).status_code == 404, url


def test_withdrawn_records_have_no_exports(client, reviewer, incident):
    assert client.get(f"/incidents/{incident.slug}/oecd.json").status_code == 200
    actions.withdraw_record(incident, actor=reviewer, reason_en="Duplicate.", reason_fr="Doublon.")
    for url in (f"/incidents/{incident.slug}/oecd.json", f"/incidents/{incident.slug}/v/1/aiid.json"):
        assert client.get(url).status_code == 404, url
    assert "oecd.json" not in client.get(f"/incidents/{incident.slug}/").content.decode()


# -- versions, redirects, page links --------------------------------------------------------------------------


def test_version_pinned_export_uses_that_versions_document(client, editor, reviewer, incident, clock):
    actions.update_record(
        incident,
        actor=editor,
        expected_lock_version=incident.lock_version,
        data={"title_en": "Second title", "severity": "severe"},
        clock=clock,
    )
    actions.publish_record(
        incident, actor=reviewer, changelog_en="Retitled.", changelog_fr="Nouveau titre.", clock=clock
    )
    old = get_json(client, f"/incidents/{incident.slug}/v/1/oecd.json")
    new = get_json(client, f"/incidents/{incident.slug}/oecd.json")
    first = RecordVersion.objects.get(record=incident, number=1).document
    assert old["title"] == first["title_en"] == factories.INCIDENT["title_en"]
    assert old["record"]["version"] == 1 and old["record"]["url"].endswith(f"/incidents/{incident.slug}/v/1/")
    assert old["severity"]["oecd"] == oecd_of("severity", "significant")["severity_incident"]
    assert new["title"] == "Second title" and new["record"]["version"] == 2
    assert new["severity"]["oecd"] == oecd_of("severity", "severe")["severity_incident"]
    aiid_old = get_json(client, f"/incidents/{incident.slug}/v/1/aiid.json")
    assert aiid_old["title"] == factories.INCIDENT["title_en"] and "version 1" in aiid_old["editor_notes"]
    assert client.get(f"/incidents/{incident.slug}/v/9/oecd.json").status_code == 404


def test_demo_record_versions(client, db):
    public = current(INCIDENT)
    assert public.version_number >= 2  # the demo record was revised
    for number in range(1, public.version_number + 1):
        doc = RecordVersion.objects.get(record_id=public.pk, number=number).document
        data = get_json(client, f"/incidents/{INCIDENT}/v/{number}/oecd.json")
        assert data["record"]["version"] == number and data["description"] == doc["summary_en"]


def test_ids_and_wrong_types_redirect_to_the_canonical_export(client, incident, hazard):
    response = client.get(f"/incidents/{incident.pk}/oecd.json")
    assert response.status_code == 301 and response["Location"] == f"/incidents/{incident.slug}/oecd.json"
    response = client.get(f"/fr/incidents/{incident.pk}/v/1/aiid.json")
    assert response["Location"] == f"/fr/incidents/{incident.slug}/v/1/aiid.json"
    response = client.get(f"/incidents/{hazard.slug}/oecd.json")
    assert response.status_code == 301 and response["Location"] == f"/hazards/{hazard.slug}/oecd.json"


def test_export_query_count(client, incident):
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(f"/incidents/{incident.slug}/oecd.json").status_code == 200
    assert len(ctx.captured_queries) == 1  # the public record with its current version
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(f"/incidents/{incident.slug}/v/1/aiid.json").status_code == 200
    assert len(ctx.captured_queries) == 1


def test_record_pages_link_the_version_pinned_exports(client, incident, hazard):
    page = client.get(f"/incidents/{incident.slug}/").content.decode()
    other = page.split('id="h-other"', 1)[1].split("</section>", 1)[0]
    assert "Export:" in other
    assert f'href="/incidents/{incident.slug}/v/1/oecd.json"' in other
    assert f'href="/incidents/{incident.slug}/v/1/aiid.json"' in other
    assert "OECD reporting framework (JSON)" in other and "AIID submission (JSON)" in other
    hazard_page = client.get(f"/hazards/{hazard.slug}/").content.decode()
    other = hazard_page.split('id="h-other"', 1)[1].split("</section>", 1)[0]
    assert f'href="/hazards/{hazard.slug}/v/1/oecd.json"' in other and "aiid.json" not in other
    fr = client.get(f"/fr/incidents/{incident.slug}/").content.decode()
    assert f'href="/fr/incidents/{incident.slug}/v/1/oecd.json"' in fr
    for url in (f"/incidents/{incident.slug}/v/1/oecd.json", f"/hazards/{hazard.slug}/v/1/oecd.json"):
        assert client.get(url).status_code == 200
