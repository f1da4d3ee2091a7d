"""The vocabulary file: every vocabulary of SPEC §2, bilingual, with crosswalks; strict validation."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from django.conf import settings

from caim.taxonomy.loader import TaxonomyError, UnknownSlug, get_taxonomy, load_taxonomy, parse_taxonomy

SPEC_VALUES = {
    "record_type": ["incident", "hazard"],
    "verification": ["confirmed", "corroborated", "reported", "unverified", "refuted"],
    "dispute": ["contested"],
    "severity": ["minor", "significant", "severe", "critical"],
    "reach": ["individual", "group", "organization", "sector", "regional", "national", "international"],
    "harm_type": ["fraud_impersonation", "cyber_incident", "economic_harm", "physical_harm", "psychological_harm",
                  "privacy_violation", "discrimination_bias", "misinformation_manipulation", "rights_freedoms",
                  "child_safety", "public_service_disruption", "environmental_harm", "reputational_harm",
                  "democratic_process"],
    "domain": ["defence_security", "employment", "health", "education", "public_services", "justice_legal",
               "law_enforcement", "finance", "elections_democracy", "media_information", "transportation", "housing",
               "critical_infrastructure", "consumer_technology", "immigration", "environment", "research_science",
               "social_media"],
    "ai_pathway": ["use_beyond_intended_scope", "malicious_use", "design_flaw", "performance_failure", "data_issue",
                   "insufficient_oversight", "security_vulnerability", "over_reliance", "emergent_behaviour"],
    "lifecycle_phase": ["design", "data", "development", "evaluation", "deployment", "operation", "retirement"],
    "source_type": ["official", "disclosure", "media", "court", "regulator", "academic", "civil_society", "other"],
    "entity_role": ["developer", "deployer", "regulator", "affected_party", "reporter"],
    "hazard_status": ["emerging", "active", "escalating", "mitigated", "dormant"],
    "confidence": ["low", "medium", "high"],
    "date_precision": ["day", "month", "year", "approximate"],
}  # fmt: skip

SPEC_LABELS = {
    ("record_type", "hazard"): ("Hazard", "Danger"),
    ("verification", "confirmed"): ("Confirmed", "Confirmé"),
    ("verification", "corroborated"): ("Corroborated", "Corroboré"),
    ("verification", "reported"): ("Reported", "Signalé"),
    ("severity", "significant"): ("Significant", "Important"),
    ("severity", "critical"): ("Critical", "Critique"),
    ("hazard_status", "escalating"): ("Escalating", "En escalade"),
    ("confidence", "high"): ("High", "Élevée"),
}


@pytest.mark.parametrize("vocabulary", list(SPEC_VALUES))
def test_spec_vocabularies_are_complete(vocabulary):
    assert get_taxonomy()[vocabulary].slugs() == SPEC_VALUES[vocabulary]


def test_spec_labels():
    tax = get_taxonomy()
    for (vocabulary, slug), (en, fr) in SPEC_LABELS.items():
        assert (tax.label(vocabulary, slug, "en"), tax.label(vocabulary, slug, "fr")) == (en, fr)


def test_every_value_is_bilingual_with_crosswalks():
    for vocab in get_taxonomy().vocabularies.values():
        assert vocab.label["en"] and vocab.label["fr"]
        for value in vocab.values:
            assert value.label["en"] and value.label["fr"], (vocab.slug, value.slug)
            assert value.definition["en"] and value.definition["fr"], (vocab.slug, value.slug)
            assert set(value.crosswalk) == {"oecd", "aiid"}, (vocab.slug, value.slug)
            if vocab.ordinal:
                assert isinstance(value.order, int)


def test_ordinal_ranks():
    tax = get_taxonomy()
    assert tax["severity"].rank("critical") > tax["severity"].rank("severe") > tax["severity"].rank("minor")
    assert tax["verification"].rank("confirmed") > tax["verification"].rank("reported")
    assert tax["severity"].rank("") == 0


def test_unknown_slug_is_rejected_with_the_valid_ones():
    with pytest.raises(UnknownSlug) as excinfo:
        get_taxonomy().validate("severity", "catastrophic")
    assert str(excinfo.value) == (
        "Unknown severity value 'catastrophic'; expected one of: minor, significant, severe, critical."
    )


def test_malformed_file_reports_every_problem(tmp_path: Path):
    data = yaml.safe_load(Path(settings.CAIM_TAXONOMY_FILE).read_text(encoding="utf-8"))
    severity = next(v for v in data["vocabularies"] if v["slug"] == "severity")
    severity["values"][0]["label"] = {"en": "Minor"}  # French label missing
    severity["values"][1]["slug"] = "Bad-Slug"
    severity["values"][2]["crosswalk"] = {"oecd": "none"}  # aiid missing
    data["vocabularies"] = [v for v in data["vocabularies"] if v["slug"] != "reach"]
    path = tmp_path / "taxonomy.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    with pytest.raises(TaxonomyError) as excinfo:
        load_taxonomy(path)
    message = str(excinfo.value)
    assert "vocabulary severity.minor.label.fr: missing text" in message
    assert "'Bad-Slug' is not a lower snake_case slug" in message
    assert "severity.severe.crosswalk.aiid" in message
    assert "vocabulary reach: missing" in message


def test_unreadable_file(tmp_path: Path):
    path = tmp_path / "broken.yaml"
    path.write_text("vocabularies: [", encoding="utf-8")
    with pytest.raises(TaxonomyError, match="Cannot read the vocabulary file"):
        load_taxonomy(path)
    with pytest.raises(TaxonomyError, match="expected a mapping"):
        parse_taxonomy([], path)


def test_json_shape():
    data = get_taxonomy().as_json()
    severity = next(v for v in data["vocabularies"] if v["slug"] == "severity")
    assert severity["values"][0]["label"] == {"en": "Minor", "fr": "Mineur"}
    assert severity["values"][0]["order"] == 1
    assert all(value["crosswalk"]["oecd"] for v in data["vocabularies"] for value in v["values"])


def test_crosswalk_reasons_and_export_only_flags_are_checked(tmp_path: Path):
    data = yaml.safe_load(Path(settings.CAIM_TAXONOMY_FILE).read_text(encoding="utf-8"))
    harm = next(v for v in data["vocabularies"] if v["slug"] == "harm_type")
    harm["values"][0]["crosswalk"]["aiid_reason"] = ""
    harm["values"][1]["crosswalk"]["aiid_export_only"] = "yes"
    harm["values"][2]["crosswalk"]["aiid_note"] = "not a key"
    path = tmp_path / "taxonomy.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    with pytest.raises(TaxonomyError) as excinfo:
        load_taxonomy(path)
    message = str(excinfo.value)
    first, second, third = (harm["values"][i]["slug"] for i in range(3))
    assert f"harm_type.{first}.crosswalk.aiid_reason: expected a sentence" in message
    assert f"harm_type.{second}.crosswalk.aiid_export_only: expected true or false" in message
    assert f"harm_type.{third}.crosswalk: unknown key 'aiid_note'" in message


def test_crosswalk_reasons_are_served():
    values = {
        (v["slug"], x["slug"]): x for v in get_taxonomy().as_json()["vocabularies"] for x in v["values"]
    }
    physical = values[("harm_type", "physical_harm")]
    assert physical["crosswalk"]["aiid"] == {
        "cset_v1_lives_lost": ["1 or more"],
        "cset_v1_injuries": ["1 or more"],
    }
    assert "Lives Lost" not in physical["crosswalk_reasons"]["aiid"]
    assert "cause, not a harm" in physical["crosswalk_reasons"]["aiid"]
    assert values[("harm_type", "privacy_violation")]["crosswalk_export_only"] == ["aiid"]
    assert "crosswalk_export_only" not in physical
