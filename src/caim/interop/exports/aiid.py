"""Export of one incident as an AI Incident Database (AIID) report submission (JSON).

`aiid_submission(doc, record_url=..., lang=..., site_name=...)` is a pure function of the record's public
document (one published version, records/versions.py): it reads no staff field, so private persons and drafts
cannot reach it. AIID takes incidents only (its "issues" are submitted differently), so a hazard raises
`NotAnIncident`.

The fields are those of AIID's public submission form (incidentdatabase.ai/apps/submit, which also accepts them
as query parameters), filled from the record:

| AIID field        | from the record                                                                        |
|-------------------|----------------------------------------------------------------------------------------|
| `title`           | record title                                                                           |
| `description`     | record summary (AIID keeps its first 200 characters as the report description)         |
| `text`            | record narrative, Markdown paragraphs with their inline citations (summary if empty)   |
| `url`             | URL of the record's first source (source number 1), the report AIID will link          |
| `source_domain`   | host name of `url` without a leading "www." or "m." (AIID's own rule)                  |
| `authors`         | publisher of the first source (the creator of the linked content)                      |
| `submitters`      | the monitor's name                                                                     |
| `incident_date`   | `occurred` (first day of its period; AIID has no precision field)                      |
| `date_published`  | publication date of the first source (else `reported`, else `occurred`)                |
| `date_downloaded` | date this record version was published (when the monitor last checked the sources)     |
| `incident_id`     | the AIID incident id from the record's `same_as` links, 0 when none (a new incident)   |
| `deployers`       | names of the entities with the role deployer    (AIID "Alleged deployer of AI system") |
| `developers`      | names of the entities with the role developer   (AIID "Alleged developer of AI system")|
| `harmed_parties`  | names of the entities with the role affected_party (AIID "Alleged harmed or nearly harmed parties") |
| `language`        | language of the texts ("en" or "fr": the requested one when the record has its title   |
|                   | and summary in it, otherwise the other one)                                            |
| `tags`            | labels of the record's domains and harm types                                          |
| `editor_notes`    | the monitor record (name, id, version, URL of that version) and the linked source      |

Two keys are not form fields: `taxonomy_suggestions` gives the AIID classifications our taxonomy suggests
through the crosswalks of taxonomy.yaml, under AIID's own namespace and field names (CSETv1 "AI Harm Level",
"Tangible Harm", "Sector of Deployment", "Harm Distribution Basis"; MIT "Risk Domain", "Risk Subdomain",
"Entity", "Intent", "Timing"; GMF "Potential AI Technical Failure", since the pathways are our editors'
reading), each as a list. A field AIID defines as single-valued (`AIID_FIELDS`) holds at most one value: the one
most of the record's values point to (the first named on a tie; a MIT risk domain is the one of the chosen
subdomain); the other candidates are listed under `taxonomy_alternatives`, in the same shape, so that an AIID
editor sees them. Both are meant for AIID editors and are to be left out when posting the submission itself.
"""

from __future__ import annotations

from collections import Counter
from urllib.parse import urlsplit

from caim.interop.exports.common import (
    crosswalk,
    dedupe,
    entities_with_role,
    export_language,
    in_vocabulary_order,
    label,
    sources_in_order,
    text,
)

ROLE_FIELDS = (("deployer", "deployers"), ("developer", "developers"), ("affected_party", "harmed_parties"))

SINGLE, MULTI = "single", "multi"
# A count ("Lives Lost", display type "int"): the crosswalk reads it on import ("1 or more"), but a record does not
# say the number, so it is never suggested.
COUNT = "count"

# Our snake_case AIID crosswalk keys -> (AIID taxonomy namespace, field short name, cardinality). Cardinality is
# AIID's own: its taxonomy definitions (aiid-repo/taxa_definitions_from_playwright_seed.json) give each field a
# display type, "enum" for one value (a single-valued field), "multi" or "list" for several.
AIID_FIELDS = {
    "cset_v1_ai_harm_level": ("CSETv1", "AI Harm Level", SINGLE),
    "cset_v1_tangible_harm": ("CSETv1", "Tangible Harm", SINGLE),
    "cset_v1_sector_of_deployment": ("CSETv1", "Sector of Deployment", MULTI),
    "cset_v1_harm_distribution_basis": ("CSETv1", "Harm Distribution Basis", MULTI),
    "cset_v1_infrastructure_sectors": ("CSETv1", "Infrastructure Sectors", MULTI),
    "cset_v1_involving_minor": ("CSETv1", "Involving Minor", SINGLE),
    "cset_v1_rights_violation": ("CSETv1", "Rights Violation", SINGLE),
    "cset_v1_lives_lost": ("CSETv1", "Lives Lost", COUNT),
    "cset_v1_injuries": ("CSETv1", "Injuries", COUNT),
    "mit_risk_domain": ("MIT", "Risk Domain", SINGLE),
    "mit_risk_subdomain": ("MIT", "Risk Subdomain", SINGLE),
    "mit_entity": ("MIT", "Entity", SINGLE),
    "mit_intent": ("MIT", "Intent", SINGLE),
    "mit_timing": ("MIT", "Timing", SINGLE),
    "gmf_technical_failure": ("GMF", "Potential AI Technical Failure", MULTI),
}
SUGGESTION_SOURCES = (
    ("record_type", None),
    ("harm_type", "harm_types"),
    ("domain", "domains"),
    ("ai_pathway", "ai_pathways"),
    ("lifecycle_phase", "lifecycle_phases"),
)


class NotAnIncident(ValueError):
    """AIID submissions are for incidents; hazards have no AIID submission export."""


def source_domain(url: str) -> str:
    host = urlsplit(url).hostname or ""
    for prefix in ("www.", "m."):
        if host.startswith(prefix):
            return host[len(prefix) :]
    return host


def aiid_incident_id(doc: dict) -> int:
    for link in doc.get("same_as", []):
        if link.get("db") == "aiid" and str(link.get("id", "")).isdigit():
            return int(link["id"])
    return 0


def candidates(doc: dict) -> tuple[dict[str, list[str]], dict[str, list[str]]]:
    """({our AIID crosswalk key: every value the record's own values point to, one entry per pointing value (so
    a value named by two of the record's values appears twice), in the order of SUGGESTION_SOURCES and of the
    vocabulary file}, {key: values named only among several for a single-valued field}).

    A value of ours that lists several values of a single-valued AIID field names none of them in particular
    (economic harm lists four MIT subdomains): those are only alternatives, never the suggestion."""
    tax = doc["taxonomy"]
    out: dict[str, list[str]] = {}
    vague: dict[str, list[str]] = {}
    for vocabulary, key in SUGGESTION_SOURCES:
        slugs = [doc["type"]] if key is None else in_vocabulary_order(vocabulary, tax.get(key, []))
        for slug in slugs:
            for field, values in crosswalk(vocabulary, slug, "aiid").items():
                if field in ("aiid_record_type", "aiid_entity_role"):
                    continue  # the submission's own fields carry these
                cardinality = AIID_FIELDS.get(field, ("", "", MULTI))[2]
                if cardinality == COUNT:
                    continue
                target = vague if cardinality == SINGLE and len(values) > 1 else out
                target.setdefault(field, []).extend(values)
    return out, vague


def most_named(values: list[str]) -> str:
    """The value named most often; on a tie, the one named first."""
    counts = Counter(values)
    return max(dedupe(values), key=lambda v: counts[v])


def choose_single(field: str, values: list[str], chosen: dict[str, str]) -> str:
    """One value for a single-valued AIID field. A MIT risk domain follows the chosen subdomain ("7.3. ..." is in
    domain "7. ..."), so that the two never contradict each other."""
    if field == "mit_risk_domain" and "mit_risk_subdomain" in chosen:
        number = chosen["mit_risk_subdomain"].split(".", 1)[0] + "."
        within = [v for v in values if v.startswith(number)]
        if within:
            return most_named(within)
    return most_named(values)


def taxonomy_suggestions(
    doc: dict,
) -> tuple[dict[str, dict[str, list[str]]], dict[str, dict[str, list[str]]]]:
    """(suggestions, alternatives). A multi-valued AIID field gets every value the record points to; a
    single-valued one gets one value, the one most of the record's values point to, and the other candidates
    go to `alternatives` (so nothing is dropped without a word)."""
    found, vague = candidates(doc)
    chosen: dict[str, str] = {}
    if "mit_risk_subdomain" in found:  # first: the domain follows it
        chosen["mit_risk_subdomain"] = choose_single(
            "mit_risk_subdomain", found["mit_risk_subdomain"], chosen
        )
    suggestions: dict[str, dict[str, list[str]]] = {}
    alternatives: dict[str, dict[str, list[str]]] = {}
    for field, values in found.items():
        namespace, name, cardinality = AIID_FIELDS.get(field, ("other", field, MULTI))
        if cardinality == SINGLE:
            pick = chosen.get(field) or choose_single(field, values, chosen)
            suggestions.setdefault(namespace, {})[name] = [pick]
            others = [v for v in dedupe(values + vague.get(field, [])) if v != pick]
            if others:
                alternatives.setdefault(namespace, {})[name] = others
        else:
            suggestions.setdefault(namespace, {})[name] = dedupe(values)
    for field, values in vague.items():
        if field not in found:  # named only vaguely: every value is an alternative, none is suggested
            namespace, name, _cardinality = AIID_FIELDS[field]
            alternatives.setdefault(namespace, {})[name] = dedupe(values)
    return suggestions, alternatives


def editor_notes(doc: dict, record_url: str, first: dict | None, lang: str, site_name: str) -> str:
    if lang == "fr":
        notes = f"{site_name}, fiche {doc['id']}, version {doc['version']} : {record_url}"
        return notes + (f". Rapport lié : {first['publisher']}, « {first['title']} »." if first else ".")
    notes = f"{site_name}, record {doc['id']}, version {doc['version']}: {record_url}"
    return notes + (f". Linked report: {first['publisher']}, “{first['title']}”." if first else ".")


def aiid_submission(doc: dict, *, record_url: str, lang: str = "en", site_name: str) -> dict:
    """The AIID submission-form fields of one incident version (`doc`: its public document)."""
    if doc["type"] != "incident":
        raise NotAnIncident(f"record {doc['id']} is a {doc['type']}; AIID submissions are for incidents")
    lang = export_language(doc, lang)
    sources = sources_in_order(doc)
    first = sources[0] if sources else None
    url = first["url"] if first else record_url
    by_role = {field: dedupe(e["name"] for e in entities_with_role(doc, role)) for role, field in ROLE_FIELDS}
    tax = doc["taxonomy"]
    suggestions, alternatives = taxonomy_suggestions(doc)
    return {
        "title": text(doc, "title", lang),
        "description": text(doc, "summary", lang),
        "text": text(doc, "narrative", lang) or text(doc, "summary", lang),
        "url": url,
        "source_domain": source_domain(url),
        "authors": [first["publisher"]] if first else [site_name],
        "submitters": [site_name],
        "incident_date": doc.get("occurred"),
        "date_published": (first or {}).get("date_published") or doc.get("reported") or doc.get("occurred"),
        "date_downloaded": (doc.get("published_at") or "")[:10] or None,
        "incident_id": aiid_incident_id(doc),
        **by_role,
        "language": lang,
        "tags": dedupe(
            [label("domain", s, lang) for s in in_vocabulary_order("domain", tax["domains"])]
            + [label("harm_type", s, lang) for s in in_vocabulary_order("harm_type", tax["harm_types"])]
        ),
        "editor_notes": editor_notes(doc, record_url, first, lang, site_name),
        "taxonomy_suggestions": suggestions,
        "taxonomy_alternatives": alternatives,
    }
