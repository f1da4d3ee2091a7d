"""Export of one record in the fields of the OECD common reporting framework for AI incidents (JSON).

`oecd_export(doc, record_url=..., lang=...)` is a pure function of the record's public document (one published
version, records/versions.py): it reads no staff field, so private persons and drafts cannot reach it. Our
controlled values become OECD AI Incidents Monitor (AIM) terms through the crosswalks of taxonomy.yaml; a value
of ours with no OECD equivalent is named in `crosswalk_notes` instead of being dropped silently.

Fields (lists of OECD terms are deduplicated; terms are taken value by value in the order of our vocabulary
file, so the same record always exports the same list):

- `framework`, `export_format`: what this document is ("OECD common reporting framework for AI incidents",
  "caim-oecd/2"; version 2 added `ai_system_relation` and `reporter`).
- `record`: the monitor's record: `id`, `slug`, `url` (the page of this version), `version`, `published_at`
  (of this version), `first_published_at`, `same_as` (the record's ids in other databases).
- `language`: language of the texts ("en" or "fr"; the requested one when the record has its title and summary
  in it, otherwise the other one; a longer field missing in that language falls back to the other one).
- `type`: "AI incident" or "AI hazard" (crosswalk `record_type` of our record type); `monitor_type` is ours.
- `title`; `description`: the summary; `governance_gap` (hazards).
- `dates`: incidents `occurred`, `occurred_end`, `reported`; hazards `identified`, `last_assessed`; each
  `{"date": ISO date, "precision": day|month|year|approximate}` or null.
- `severity`: `{"monitor": our severity, "oecd": [...]}`, the OECD terms through the crosswalk of our severity:
  `severity_incident` for incidents ("AI incident", "Serious AI incident", "AI disaster"), `severity_hazard` for
  hazards ("AI hazard", "Serious AI hazard").
- `harm_types`: OECD harm types (crosswalk `harm_types` of the record's harm types).
- `harms`: each harm of the record: `description`, `harm_types` (OECD), `severity` (OECD), `reach` (ours).
- `affected_stakeholders`: OECD stakeholder groups: the group of each entity with the role affected_party
  (crosswalk of its entity kind), then the `affected_stakeholders` crosswalk of the record's harm types and
  domains where one is defined (e.g. child safety: Children; employment: Workers).
- `industries`: OECD industries (crosswalk `industries` of the record's domains, then of its AI systems' types).
- `ai_principles`: OECD AI principles concerned (crosswalk `ai_principles` of harm types, AI pathways, domains).
- `lifecycle_stages`: OECD AI system lifecycle stages (crosswalk `lifecycle_stage` of lifecycle phases).
- `ai_systems`: `name`, `type` (our system type label), `developer` (name or null).
- `actors`: every entity of the record: `name`, `kind` (our entity kind), `roles` (developer, deployer,
  regulator, affected_party, reporter).
- `sources`: the evidence, in the record's order: `url`, `title`, `publisher`, `date` (ISO, may be null).
- `ai_system_relation`: how the AI systems relate to the event (mandatory criterion): `relation`, the ways of
  the OECD definition ("Development", "Use", "Malfunction") that the record's AI pathways name
  (`ai_pathway_relation` of oecd_vocabulary.yaml), or ["Unknown"] when it names none; `pathways`, those AI
  pathways (our labels); `systems`, each AI system's `name` with its `involvement` text (the record's own words).
- `reporter`: who reports the event (mandatory criterion): the monitor, `name`, `type` (a third party), `url`,
  `country`, and `primary_reports`, the URLs of the record's sources, which are the reports it rests on.
- `country`: ISO 3166-1 alpha-2 code of the monitor's country ("CA").
- `crosswalk_notes`: our values that had no OECD equivalent for the field they feed: `{"vocabulary", "value",
  "label", "field"}` (plus `entity` for an affected party whose kind maps to no stakeholder group).
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

import yaml
from django.conf import settings

from caim.interop.exports.common import (
    crosswalk,
    crosswalk_targets,
    dated,
    dedupe,
    entities_with_role,
    export_language,
    in_vocabulary_order,
    label,
    sources_in_order,
    text,
)

FRAMEWORK = "OECD common reporting framework for AI incidents"
EXPORT_FORMAT = "caim-oecd/2"
VOCABULARY_FILE = Path(__file__).with_name("oecd_vocabulary.yaml")


@cache
def oecd_vocabulary() -> dict:
    """OECD's value lists, the framework's mandatory criteria and our derivations (oecd_vocabulary.yaml)."""
    return yaml.safe_load(VOCABULARY_FILE.read_text(encoding="utf-8"))


# Which OECD field each of our vocabularies primarily feeds: a value without it gets a crosswalk note.
PRIMARY_FIELDS = (
    ("harm_type", "harm_types", "harm_types"),
    ("domain", "domains", "industries"),
    ("ai_pathway", "ai_pathways", "ai_principles"),
    ("lifecycle_phase", "lifecycle_phases", "lifecycle_stage"),
)


def severity_field(record_type: str) -> str:
    return "severity_incident" if record_type == "incident" else "severity_hazard"


def oecd_severity(severity: str | None, record_type: str) -> list[str]:
    return crosswalk("severity", severity, "oecd").get(severity_field(record_type), []) if severity else []


def affected_stakeholders(doc: dict) -> list[str]:
    tax = doc["taxonomy"]
    from_parties = [
        group
        for entity in entities_with_role(doc, "affected_party")
        for group in crosswalk("entity_kind", entity.get("kind") or "", "oecd").get(
            "affected_stakeholders", []
        )
    ]
    return dedupe(
        from_parties
        + crosswalk_targets("harm_type", tax["harm_types"], "oecd", "affected_stakeholders")
        + crosswalk_targets("domain", tax["domains"], "oecd", "affected_stakeholders")
    )


def crosswalk_notes(doc: dict, lang: str) -> list[dict]:
    """Our values that have no OECD equivalent for the field they feed."""
    tax = doc["taxonomy"]
    notes = []

    def note(vocabulary: str, slug: str, field: str, **extra) -> None:
        notes.append(
            {"vocabulary": vocabulary, "value": slug, "label": label(vocabulary, slug, lang), "field": field}
            | extra
        )

    severity = doc.get("severity")
    if severity and not oecd_severity(severity, doc["type"]):
        note("severity", severity, severity_field(doc["type"]))
    for vocabulary, key, field in PRIMARY_FIELDS:
        for slug in in_vocabulary_order(vocabulary, tax.get(key, [])):
            if not crosswalk(vocabulary, slug, "oecd").get(field):
                note(vocabulary, slug, field)
    for entity in entities_with_role(doc, "affected_party"):
        kind = entity.get("kind") or ""
        if kind and not crosswalk("entity_kind", kind, "oecd").get("affected_stakeholders"):
            note("entity_kind", kind, "affected_stakeholders", entity=entity["name"])
    return notes


def ai_system_relation(doc: dict, lang: str) -> dict:
    """How the record's AI systems relate to the event, from its AI pathways (OECD: development, use or
    malfunction of an AI system), with each system's involvement in the record's own words."""
    pathways = in_vocabulary_order("ai_pathway", doc["taxonomy"].get("ai_pathways", []))
    by_pathway = oecd_vocabulary()["ai_pathway_relation"]
    relation = dedupe(r for slug in pathways for r in by_pathway.get(slug, []))
    order = oecd_vocabulary()["lists"]["ai_system_relation"]
    return {
        "relation": sorted(relation, key=order.index) or ["Unknown"],
        "pathways": [label("ai_pathway", slug, lang) for slug in pathways],
        "systems": [
            {"name": s["name"], "involvement": text(s, "involvement", lang) or None}
            for s in doc.get("systems", [])
        ],
    }


def reporter(doc: dict, lang: str, site_name: str | None, site_url: str | None, country: str) -> dict:
    """The monitor reports the event; its sources are the primary reports."""
    if site_name is None:
        site_name = settings.CAIM_SITE_NAME_FR if lang == "fr" else settings.CAIM_SITE_NAME
    return {
        "name": site_name,
        "type": oecd_vocabulary()["reporter"]["type"],
        "url": (site_url if site_url is not None else settings.CAIM_SITE_URL) + "/",
        "country": country,
        "primary_reports": [s["url"] for s in sources_in_order(doc)],
    }


def dates(doc: dict) -> dict:
    if doc["type"] == "incident":
        return {
            "occurred": dated(doc.get("occurred"), doc.get("occurred_precision")),
            "occurred_end": dated(doc.get("occurred_end"), doc.get("occurred_end_precision")),
            "reported": dated(doc.get("reported"), "day"),
        }
    return {
        "identified": dated(doc.get("identified"), doc.get("identified_precision")),
        "last_assessed": dated(doc.get("last_assessed"), "day"),
    }


def oecd_export(
    doc: dict,
    *,
    record_url: str,
    lang: str = "en",
    country: str = "CA",
    site_name: str | None = None,
    site_url: str | None = None,
) -> dict:
    """The OECD reporting-framework fields of one record version (`doc`: its public document). The reporter is
    the monitor (`site_name` and `site_url`, by default those of the settings in the export's language)."""
    lang = export_language(doc, lang)
    tax = doc["taxonomy"]
    record_type = doc["type"]
    out = {
        "framework": FRAMEWORK,
        "export_format": EXPORT_FORMAT,
        "record": {
            "id": doc["id"],
            "slug": doc["slug"],
            "url": record_url,
            "version": doc["version"],
            "published_at": doc.get("published_at"),
            "first_published_at": doc.get("first_published_at"),
            "same_as": [{"db": s.get("db"), "id": s.get("id")} for s in doc.get("same_as", [])],
        },
        "language": lang,
        "type": (crosswalk("record_type", record_type, "oecd").get("record_type") or [None])[0],
        "monitor_type": record_type,
        "title": text(doc, "title", lang),
        "description": text(doc, "summary", lang),
    }
    if record_type == "hazard":
        out["governance_gap"] = text(doc, "governance_gap", lang)
    out |= {
        "dates": dates(doc),
        "severity": {"monitor": doc.get("severity"), "oecd": oecd_severity(doc.get("severity"), record_type)},
        "harm_types": crosswalk_targets("harm_type", tax["harm_types"], "oecd", "harm_types"),
        "harms": [
            {
                "description": text(h, "description", lang),
                "harm_types": crosswalk_targets("harm_type", h.get("harm_types", []), "oecd", "harm_types"),
                "severity": oecd_severity(h.get("severity"), record_type),
                "reach": h.get("reach"),
            }
            for h in doc.get("harms", [])
        ],
        "affected_stakeholders": affected_stakeholders(doc),
        "industries": dedupe(
            crosswalk_targets("domain", tax["domains"], "oecd", "industries")
            + crosswalk_targets(
                "system_type", [s.get("system_type") for s in doc.get("systems", [])], "oecd", "industries"
            )
        ),
        "ai_principles": dedupe(
            crosswalk_targets("harm_type", tax["harm_types"], "oecd", "ai_principles")
            + crosswalk_targets("ai_pathway", tax["ai_pathways"], "oecd", "ai_principles")
            + crosswalk_targets("domain", tax["domains"], "oecd", "ai_principles")
        ),
        "lifecycle_stages": crosswalk_targets(
            "lifecycle_phase", tax["lifecycle_phases"], "oecd", "lifecycle_stage"
        ),
        "ai_systems": [
            {
                "name": s["name"],
                "type": label("system_type", s["system_type"], lang) if s.get("system_type") else None,
                "developer": (s.get("developer") or {}).get("name"),
            }
            for s in doc.get("systems", [])
        ],
        "actors": [
            {"name": e["name"], "kind": e.get("kind"), "roles": list(e.get("roles", []))}
            for e in doc.get("entities", [])
        ],
        "sources": [
            {
                "url": s["url"],
                "title": s["title"],
                "publisher": s["publisher"],
                "date": s.get("date_published"),
            }
            for s in sources_in_order(doc)
        ],
        "ai_system_relation": ai_system_relation(doc, lang),
        "reporter": reporter(doc, lang, site_name, site_url, country),
        "country": country,
        "crosswalk_notes": crosswalk_notes(doc, lang),
    }
    return out
