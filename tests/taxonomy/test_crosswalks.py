"""Crosswalks (SPEC §2, §7): every vocabulary value says what it is in OECD AIM and in AIID, without gaps.

These tests read the raw YAML file, not only the loader, so that a missing key is caught even if the loader
were to default it. AIID targets for CSETv1 and MIT must be permitted values of AIID's own taxonomy definitions
(`aiid-repo/taxa_definitions_from_playwright_seed.json` of the AIID data folder; without that folder, the cut of
it in tests/fixtures/aiid/aiid-repo/, which is checked against the full file when both are available).
"""

from __future__ import annotations

import json
import re
from collections import defaultdict
from pathlib import Path

import pytest
import yaml
from django.conf import settings

from caim.interop.aiid.reader import default_aiid_dir

TAXA_FILE = Path("aiid-repo") / "taxa_definitions_from_playwright_seed.json"
FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "aiid" / TAXA_FILE

OECD_FIELDS = {
    "harm_types",
    "severity_incident",
    "severity_hazard",
    "affected_stakeholders",
    "industries",
    "ai_principles",
    "lifecycle_stage",
    "record_type",
}
AIID_FIXED_FIELDS = {"gmf_technical_failure", "aiid_entity_role", "aiid_record_type"}
AIID_PREFIXES = {"cset_v1_": "CSETv1", "mit_": "MIT"}
# CSETv1 number fields: a crosswalk names them with the one value "1 or more" (caim.interop.aiid.crosswalk).
AIID_COUNT_FIELDS = {"cset_v1_lives_lost", "cset_v1_injuries"}

# Closed OECD term lists: the OECD definitions of AI incidents and hazards (2024) and the OECD AI system lifecycle.
OECD_CLOSED = {
    "record_type": ["AI incident", "AI hazard"],
    "severity_incident": ["AI incident", "Serious AI incident", "AI disaster"],  # ordered, least severe first
    "severity_hazard": ["AI hazard", "Serious AI hazard"],
    "lifecycle_stage": [
        "Plan and design",
        "Collect and process data",
        "Build and use model",
        "Verify and validate",
        "Deploy",
        "Operate and monitor",
        "Retire/decommission",
    ],
}
AIID_CLOSED = {
    "aiid_record_type": ["incident", "issue"],
    "aiid_entity_role": [
        "Alleged developer of AI system",
        "Alleged deployer of AI system",
        "Alleged harmed or nearly harmed parties",
    ],
}
# Which vocabulary owns which target field: a field used elsewhere would be an inconsistent crosswalk.
OECD_FIELD_OWNERS = {
    "record_type": {"record_type"},
    "severity_incident": {"severity"},
    "severity_hazard": {"severity"},
    "harm_types": {"harm_type"},
    "lifecycle_stage": {"lifecycle_phase"},
    "industries": {"domain", "system_type"},
    "ai_principles": {"harm_type", "domain", "ai_pathway"},
    "affected_stakeholders": {"harm_type", "domain", "entity_role", "entity_kind"},
}


def raw_taxonomy() -> dict:
    return yaml.safe_load(Path(settings.CAIM_TAXONOMY_FILE).read_text(encoding="utf-8"))


def all_values():
    """(vocabulary slug, value slug, raw value dict) for every value of every vocabulary in the file."""
    for vocab in raw_taxonomy()["vocabularies"]:
        for value in vocab.get("values") or []:
            yield vocab["slug"], value.get("slug"), value


def mappings(target: str):
    """(vocabulary, value, {field: [values]}) for every value that maps to `target` (oecd | aiid)."""
    for vocab, slug, value in all_values():
        mapping = value["crosswalk"][target]
        if isinstance(mapping, dict):
            yield vocab, slug, mapping


def snake(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", name.lower()).strip("_")


def permitted_from_definitions(definitions: list[dict]) -> dict[str, dict[str, list[str]]]:
    """{namespace: {field short name: permitted values}} for the CSETv1 and MIT fields with a closed list."""
    out: dict[str, dict[str, list[str]]] = {}
    for taxonomy in definitions:
        if taxonomy.get("namespace") not in AIID_PREFIXES.values():
            continue
        fields = out.setdefault(taxonomy["namespace"], {})
        for f in taxonomy["field_list"]:
            if f.get("permitted_values"):
                fields[f["short_name"]] = list(f["permitted_values"])
    return out


def load_definitions(path: Path) -> dict[str, dict[str, list[str]]]:
    return permitted_from_definitions(json.loads(path.read_text(encoding="utf-8")))


def permitted_values() -> dict[str, set[str]]:
    """Our snake_case AIID target key (cset_v1_sector_of_deployment, mit_risk_domain, ...) -> permitted values."""
    full = default_aiid_dir() / TAXA_FILE
    path = full if full.exists() else FIXTURE
    assert path.exists(), f"neither {full} nor the test cut {FIXTURE} exists"
    namespaces = load_definitions(path)
    out: dict[str, set[str]] = defaultdict(set)
    for prefix, namespace in AIID_PREFIXES.items():
        for name, values in namespaces[namespace].items():
            out[prefix + snake(name)].update(values)  # "Sector of Deployment" -> cset_v1_sector_of_deployment
    return out


# -- completeness -------------------------------------------------------------------------------------------


def test_every_value_has_both_crosswalks_explicitly():
    gaps = []
    for vocab, slug, value in all_values():
        where = f"{vocab}.{slug}"
        crosswalk = value.get("crosswalk")
        if not isinstance(crosswalk, dict):
            gaps.append(f"{where}: no crosswalk mapping")
            continue
        keys = {"oecd", "aiid", "oecd_reason", "aiid_reason", "aiid_export_only"}
        if set(crosswalk) - keys:
            gaps.append(f"{where}: unknown crosswalk targets {sorted(set(crosswalk) - keys)}")
        for target in ("oecd", "aiid"):
            if target not in crosswalk:
                gaps.append(f"{where}.{target}: missing (write 'none' when there is no equivalent)")
                continue
            mapping = crosswalk[target]
            if mapping == "none":
                continue
            if not isinstance(mapping, dict) or not mapping:
                gaps.append(
                    f"{where}.{target}: expected a non-empty mapping or the string 'none', got {mapping!r}"
                )
                continue
            for field, targets in mapping.items():
                if not isinstance(targets, list) or not targets:
                    gaps.append(f"{where}.{target}.{field}: expected a non-empty list")
                    continue
                for t in targets:
                    if not isinstance(t, str) or not t.strip() or t != t.strip():
                        gaps.append(f"{where}.{target}.{field}: bad value {t!r}")
                if len(set(targets)) != len(targets):
                    gaps.append(f"{where}.{target}.{field}: duplicate values")
    assert not gaps, "\n".join(gaps)


def test_target_fields_are_documented():
    unknown = []
    for vocab, slug, mapping in mappings("oecd"):
        unknown += [f"{vocab}.{slug}: oecd.{f}" for f in mapping if f not in OECD_FIELDS]
    for vocab, slug, mapping in mappings("aiid"):
        unknown += [
            f"{vocab}.{slug}: aiid.{f}"
            for f in mapping
            if f not in AIID_FIXED_FIELDS and not f.startswith(tuple(AIID_PREFIXES))
        ]
    assert not unknown, "\n".join(unknown)


def test_the_test_cut_has_aiids_permitted_values():
    full = default_aiid_dir() / TAXA_FILE
    if not full.exists() or not FIXTURE.exists():
        pytest.skip("needs both the AIID data folder and the test cut")
    assert load_definitions(FIXTURE) == load_definitions(full)


# -- AIID ---------------------------------------------------------------------------------------------------


def test_cset_and_mit_targets_are_permitted_values():
    permitted = permitted_values()
    assert {"cset_v1_sector_of_deployment", "cset_v1_ai_harm_level", "mit_risk_domain", "mit_entity"} <= set(
        permitted
    )
    bad = []
    for vocab, slug, mapping in mappings("aiid"):
        for field, targets in mapping.items():
            if not field.startswith(tuple(AIID_PREFIXES)):
                continue
            if field in AIID_COUNT_FIELDS:
                bad += [
                    f"{vocab}.{slug}: {field} {t!r} is not '1 or more'" for t in targets if t != "1 or more"
                ]
                continue
            if field not in permitted:
                bad.append(f"{vocab}.{slug}: {field} is not a CSETv1/MIT field with permitted values")
                continue
            bad += [
                f"{vocab}.{slug}: {field} {t!r} is not permitted"
                for t in targets
                if t not in permitted[field]
            ]
    assert not bad, "\n".join(bad)


def test_closed_aiid_fields():
    bad = []
    for vocab, slug, mapping in mappings("aiid"):
        for field, allowed in AIID_CLOSED.items():
            bad += [f"{vocab}.{slug}: {field} {t!r}" for t in mapping.get(field, []) if t not in allowed]
    assert not bad, "\n".join(bad)


def test_mit_subdomains_come_with_their_domain():
    """A value mapped to MIT subdomain "5.2. ..." also maps to MIT domain "5. ...", as AIID classifies both."""
    bad = []
    for vocab, slug, mapping in mappings("aiid"):
        domains = {d.split(".", 1)[0] for d in mapping.get("mit_risk_domain", [])}
        for sub in mapping.get("mit_risk_subdomain", []):
            if sub.split(".", 1)[0] not in domains:
                bad.append(f"{vocab}.{slug}: {sub!r} without its MIT risk domain")
    assert not bad, "\n".join(bad)


@pytest.mark.parametrize(
    ("vocabulary", "fields"),
    [
        ("domain", {"cset_v1_sector_of_deployment"}),  # CSETv1 "Sector of Deployment"
        ("ai_pathway", {"mit_entity", "mit_intent", "mit_timing"}),  # MIT causal taxonomy
        ("lifecycle_phase", {"mit_timing"}),
        ("entity_role", {"aiid_entity_role"}),
        ("record_type", {"aiid_record_type", "cset_v1_ai_harm_level"}),
    ],
)
def test_aiid_fields_are_covered_for_their_vocabulary(vocabulary, fields):
    """Each value of the vocabulary carries these AIID fields, or says 'none' (explicitly no equivalent)."""
    gaps = []
    for vocab, slug, value in all_values():
        mapping = value["crosswalk"]["aiid"]
        if vocab == vocabulary and mapping != "none":
            gaps += [f"{vocab}.{slug}: aiid.{f} missing" for f in sorted(fields - set(mapping))]
    assert not gaps, "\n".join(gaps)


# AIID fields that say what harm occurred (not its cause, sector or level).
AIID_HARM_FIELDS = {
    "mit_risk_domain",
    "cset_v1_harm_distribution_basis",
    "cset_v1_involving_minor",
    "cset_v1_lives_lost",
    "cset_v1_injuries",
}


def test_harm_types_come_from_aiid_harm_fields_with_a_reason():
    """A harm type is read from a harm field of AIID, never from a failure cause (MIT 7.x, GMF), and says why."""
    bad = []
    for vocab, slug, value in all_values():
        if vocab != "harm_type":
            continue
        mapping = value["crosswalk"]["aiid"]
        if not value["crosswalk"].get("aiid_reason"):
            bad.append(f"harm_type.{slug}: no aiid_reason")
        if mapping == "none":
            continue
        if not set(mapping) & AIID_HARM_FIELDS:
            bad.append(f"harm_type.{slug}: no AIID harm field")
        causes = [d for d in mapping.get("mit_risk_domain", []) if d.startswith("7.")]
        causes += mapping.get("gmf_technical_failure", [])
        bad += [f"harm_type.{slug}: {c!r} is a cause, not a harm" for c in causes]
    assert not bad, "\n".join(bad)


def test_every_domain_rule_has_a_reason():
    bad = [
        f"domain.{slug}"
        for vocab, slug, value in all_values()
        if vocab == "domain" and not value["crosswalk"].get("aiid_reason")
    ]
    assert not bad, bad


# -- OECD ---------------------------------------------------------------------------------------------------


def test_every_harm_type_maps_to_oecd_harm_types_or_none():
    gaps = [
        f"harm_type.{slug}"
        for vocab, slug, value in all_values()
        if vocab == "harm_type"
        and value["crosswalk"]["oecd"] != "none"
        and not value["crosswalk"]["oecd"].get("harm_types")
    ]
    assert not gaps, gaps


def test_every_severity_has_incident_and_hazard_severity():
    rows = [(slug, value) for vocab, slug, value in all_values() if vocab == "severity"]
    assert rows
    for slug, value in rows:
        oecd = value["crosswalk"]["oecd"]
        assert isinstance(oecd, dict), slug
        assert oecd.get("severity_incident") and oecd.get("severity_hazard"), slug


def test_oecd_severity_grows_with_ours():
    rank = {field: {term: i for i, term in enumerate(OECD_CLOSED[field])} for field in OECD_CLOSED}
    rows = sorted(
        (
            (value["order"], value["crosswalk"]["oecd"])
            for vocab, _, value in all_values()
            if vocab == "severity"
        ),
        key=lambda row: row[0],
    )
    for field in ("severity_incident", "severity_hazard"):
        lowest = [min(rank[field][t] for t in oecd[field]) for _, oecd in rows]
        assert lowest == sorted(lowest), field


@pytest.mark.parametrize(
    ("vocabulary", "field"),
    [("domain", "industries"), ("ai_pathway", "ai_principles"), ("lifecycle_phase", "lifecycle_stage")],
)
def test_oecd_fields_are_covered_for_their_vocabulary(vocabulary, field):
    gaps = [
        f"{vocab}.{slug}"
        for vocab, slug, value in all_values()
        if vocab == vocabulary
        and value["crosswalk"]["oecd"] != "none"
        and not value["crosswalk"]["oecd"].get(field)
    ]
    assert not gaps, gaps


def test_oecd_fields_are_used_by_their_vocabularies_only():
    bad = [
        f"{vocab}.{slug}: oecd.{field}"
        for vocab, slug, mapping in mappings("oecd")
        for field in mapping
        if vocab not in OECD_FIELD_OWNERS.get(field, set())
    ]
    assert not bad, "\n".join(bad)


def test_closed_oecd_fields():
    bad = []
    for vocab, slug, mapping in mappings("oecd"):
        for field, allowed in OECD_CLOSED.items():
            bad += [f"{vocab}.{slug}: {field} {t!r}" for t in mapping.get(field, []) if t not in allowed]
    assert not bad, "\n".join(bad)


def test_affected_stakeholders_are_the_ones_an_affected_party_can_be():
    """entity_role.affected_party lists every OECD stakeholder group; no other value may invent one."""
    affected = next(
        value for vocab, slug, value in all_values() if (vocab, slug) == ("entity_role", "affected_party")
    )
    groups = set(affected["crosswalk"]["oecd"]["affected_stakeholders"])
    bad = [
        f"{vocab}.{slug}: {t!r}"
        for vocab, slug, mapping in mappings("oecd")
        for t in mapping.get("affected_stakeholders", [])
        if t not in groups
    ]
    assert not bad, "\n".join(bad)


@pytest.mark.parametrize("target", ["oecd", "aiid"])
def test_no_near_duplicate_target_values(target):
    """ "Economic/Property" and "Economic / property" in the same field would be a typo, not two terms."""
    seen: dict[str, dict[str, str]] = defaultdict(dict)
    clashes = []
    for _, _, mapping in mappings(target):
        for field, targets in mapping.items():
            for t in targets:
                key = re.sub(r"[^a-z0-9]", "", t.lower())
                other = seen[field].setdefault(key, t)
                if other != t:
                    clashes.append(f"{field}: {other!r} / {t!r}")
    assert not clashes, "\n".join(clashes)
