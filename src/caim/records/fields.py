"""What a record is: every field, declared once (SPEC §1).

Each declaration says what kind of value a field holds, which record types have it, whether it has an English
and a French text, where it goes in the public document, where the record page shows it, whether the lint
requires it, whether lists filter on it, and how editors see it (label, help). These read the declaration:

- `versions.build_document` (the public document of a version) and `versions.translation_statuses`;
- `changes.parse_changes` (what an edit may write, and how it is checked);
- `lint` (required fields, vocabulary values, dates in the future, citations, translations);
- `public.public_columns` and `site/lists.py` with `site/listindex.py` (list columns, filters, facet counts);
- `presenters.RecordPage` (the page's sections in order, and the fields shown generically);
- the API documentation on the Data and API page, and the editor's forms.

Adding a plain field: one `Field` here, the model column (and its migration), its French label in the catalogue
(docs/development.md has the recipe).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

INCIDENT, HAZARD = "incident", "hazard"
BOTH = (INCIDENT, HAZARD)
LANGUAGES = ("en", "fr")

# The record page, in the order of SPEC §1.6 (the banner belongs to the site frame). Each name is a function of
# records/page_sections.py; a field's `section` says which one shows it.
SECTIONS = (
    "notices",
    "header",
    "summary",
    "dates",
    "narrative",
    "linked",
    "harms",
    "responses",
    "evidence",
    "details",
    "related",
    "other_databases",
    "changelog",
    "citation",
)

# Field kinds. Text: one line (titles, names, keys). Prose: paragraphs.
TEXT, PROSE, VOCABULARY, VOCABULARIES, DATE, PRECISION = (
    "text",
    "prose",
    "vocabulary",
    "vocabularies",
    "date",
    "precision",
)
SLUG, CHOICE, NAMES, LINKS, SAME_AS, SYSTEM = "slug", "choice", "names", "links", "same_as", "system"  # fmt: skip
URL, FLAG, LANGUAGE, REFERENCE = "url", "flag", "language", "reference"

# How the API documentation names each kind of value.
KIND_LABELS = {
    TEXT: _("text (one line)"),
    PROSE: _("text (paragraphs)"),
    VOCABULARY: _("a value of the vocabulary “%(vocabulary)s”"),
    VOCABULARIES: _("a list of values of the vocabulary “%(vocabulary)s”"),
    DATE: _("date (YYYY-MM-DD)"),
    PRECISION: _("precision of a date: day, month, year or approximate"),
    SLUG: _("slug"),
    CHOICE: _("one of the listed values"),
    NAMES: _("a list of names"),
    LINKS: _("a list of {id, slug} of hazards"),
    SAME_AS: _("a list of {db, id, url}"),
    SYSTEM: _("set by the monitor"),
    URL: _("URL (http or https)"),
    FLAG: _("true or false"),
    LANGUAGE: _("language code (en, fr, ...)"),
    REFERENCE: _("a reference: {slug, name, ...}"),
}

# Where a field is seen on the record page: by the section's own markup, by the generic renderer at the end of
# its section (a new plain field needs no template), or not at all (said why in `help`).
CUSTOM, GENERIC, HIDDEN = "custom", "generic", "hidden"


def iso(value: date | datetime | None) -> str | None:
    return value.isoformat() if value else None


@dataclass(frozen=True)
class Field:
    name: str  # the model attribute; a bilingual field has name_en and name_fr
    kind: str
    label: Promise | str
    help: Promise | str = ""
    types: tuple[str, ...] = BOTH
    bilingual: bool = False
    vocabulary: str = ""  # the taxonomy vocabulary of VOCABULARY and VOCABULARIES fields
    max_length: int | None = None
    public: bool = True  # False: staff only, kept in the staff document
    document: str = ""  # dotted path in the public document (default: the name)
    empty_as_null: bool = False  # an empty value is null in the document
    date_of: str = ""  # PRECISION: the date field it qualifies; null in the document when that date is empty
    section: str = ""  # SECTIONS entry that shows it
    page: str = CUSTOM
    required: Promise | str = ""  # the lint message when the field is empty (an error)
    recommended: Promise | str = ""  # the lint message when it is empty (a warning)
    facet: str = (
        ""  # "field": lists filter on the PublicRecord column of that name; "tag": on its PublicTag rows
    )
    editable: bool = True  # False: set by the system (id, dates of publication, origin)
    cites: bool = False  # its inline citations must resolve to the record's sources (lint)
    build: Callable[[Any], dict] | None = None  # the document entries of a reference field
    produces: tuple[str, ...] = ()  # the document keys `build` writes, when they are not the field's path

    # -- names ------------------------------------------------------------------------------------------------
    @property
    def path(self) -> str:
        return self.document or self.name

    def attributes(self) -> tuple[str, ...]:
        """Its model attributes (and input keys): name, or name_en and name_fr."""
        return tuple(f"{self.name}_{lang}" for lang in LANGUAGES) if self.bilingual else (self.name,)

    def document_keys(self) -> tuple[str, ...]:
        """Its dotted paths in the public document."""
        if self.produces:
            return self.produces
        return tuple(f"{self.path}_{lang}" for lang in LANGUAGES) if self.bilingual else (self.path,)

    def kind_label(self) -> str:
        return str(KIND_LABELS[self.kind]) % {"vocabulary": self.vocabulary}

    def applies_to(self, record_type: str) -> bool:
        return record_type in self.types

    # -- values -----------------------------------------------------------------------------------------------
    def document_value(self, obj) -> dict[str, Any]:
        """{document path: value} of this field of `obj` (a record or a child row)."""
        if self.build is not None:
            return self.build(obj)
        if self.bilingual:
            return {f"{self.path}_{lang}": getattr(obj, f"{self.name}_{lang}") for lang in LANGUAGES}
        value = getattr(obj, self.name)
        if self.kind == DATE:
            value = iso(value)
        elif self.kind in (VOCABULARIES, NAMES, SAME_AS):
            value = list(value)
        elif self.kind == PRECISION and self.date_of and not getattr(obj, self.date_of):
            value = None
        if self.empty_as_null and value in ("", None):
            value = None
        return {self.path: value}


# An entity or AI system named in a record: its name, and its French name ("" when it has none: pages in French
# then show the name, marked as English). Documents published before French names existed have no `name_fr`.
def _named(obj) -> dict:
    return {"slug": obj.slug, "name": obj.name, "name_fr": obj.name_fr}


def _entity_entry(link) -> dict:
    return {**_named(link.entity), "kind": link.entity.kind}


def _system_entry(link) -> dict:
    system = link.system
    return {
        **_named(system),
        "system_type": system.system_type,
        "developer": _named(system.developer) if system.developer else None,
    }


def _actor_entry(response) -> dict:
    actor = response.actor
    return {"actor": _named(actor) if actor else None}


def _source_url(row) -> dict:
    return {"url": row.source.url}


def _materialized_from(record) -> dict:
    # Linked records by their public slug: a pending rename there is not reviewed yet (a hazard never public keeps
    # its own, and the lint refuses to publish a link to it).
    return {
        "materialized_from": [
            {"id": h.id, "slug": h.public_slug or h.slug} for h in record.materialized_from.all()
        ]
    }


# fmt: off
RECORD_FIELDS: tuple[Field, ...] = (  # in the order of the record page
    # Identity and bookkeeping
    Field("id", SYSTEM, _("Record number"), _("Never reused; /incidents/<number>/ redirects to the record."),
          editable=False, page=HIDDEN),
    Field("slug", SLUG, _("Address"), _("Lowercase words joined by hyphens; an earlier address keeps redirecting."),
          max_length=200, page=HIDDEN),
    Field("record_type", SYSTEM, _("Record type"), document="type", editable=False, section="header"),
    Field("origin", SYSTEM, _("Origin"), _("Written by the editors, imported, or synthetic (benchmarks)."),
          editable=False, section="notices"),
    Field("original_language", LANGUAGE, _("Original language"),
          _("The language the record was written in; the other is a translation."), page=HIDDEN),
    # Title and badges
    Field("title", TEXT, _("Title"), bilingual=True, max_length=300, section="header",
          required=_("The record has no title. Write a title.")),
    Field("verification", VOCABULARY, _("Verification"), vocabulary="verification", types=(INCIDENT,),
          empty_as_null=True, section="header", required=_("Set the incident's verification level."), facet="field"),
    Field("dispute", VOCABULARY, _("Dispute"), vocabulary="dispute", types=(INCIDENT,), empty_as_null=True,
          section="header"),
    Field("severity", VOCABULARY, _("Severity"), vocabulary="severity", empty_as_null=True, section="header",
          required=_("Set the record's severity."), facet="field"),
    Field("hazard_status", VOCABULARY, _("Hazard status"), vocabulary="hazard_status", types=(HAZARD,),
          empty_as_null=True, section="header", required=_("Set the hazard's status."), facet="field"),
    Field("confidence", VOCABULARY, _("Confidence"), vocabulary="confidence", types=(HAZARD,), empty_as_null=True,
          section="header", required=_("Set the confidence of the hazard assessment."), facet="field"),
    # Summary (a hazard's ends with its governance gap)
    Field("summary", PROSE, _("Summary"), _("One paragraph; cite sources as (Publisher, 2025)."), bilingual=True,
          cites=True, section="summary", required=_("The record has no summary. Write a one-paragraph summary.")),
    Field("governance_gap", PROSE, _("Governance gap"),
          _("What is missing in law, regulation or practice; the page shows it at the end of the summary."),
          types=(HAZARD,), bilingual=True, cites=True, section="summary"),
    Field("dispute_note", PROSE, _("Dispute note"), _("Who disputes what."), types=(INCIDENT,), bilingual=True,
          section="summary"),
    # Dates
    Field("occurred", DATE, _("Occurred"), _("The first day of the period."), types=(INCIDENT,), section="dates"),
    Field("occurred_precision", PRECISION, _("Precision of the date"), types=(INCIDENT,), section="dates"),
    Field("occurred_end", DATE, _("Occurred until"), types=(INCIDENT,), section="dates"),
    Field("occurred_end_precision", PRECISION, _("Precision of the end date"), types=(INCIDENT,),
          date_of="occurred_end", section="dates"),
    Field("reported", DATE, _("Reported"), _("When the incident first became public."), types=(INCIDENT,),
          section="dates"),
    Field("identified", DATE, _("Identified"), types=(HAZARD,), section="dates"),
    Field("identified_precision", PRECISION, _("Precision of the date"), types=(HAZARD,), date_of="identified",
          section="dates"),
    Field("last_assessed", DATE, _("Last assessed"), types=(HAZARD,), section="dates"),
    # Narrative and linked records
    Field("narrative", PROSE, _("Narrative"), _("Several paragraphs; every factual sentence cites its sources."),
          bilingual=True, cites=True, section="narrative"),
    Field("materialized_from", LINKS, _("Materialized from"), _("The hazards this incident is evidence of."),
          types=(INCIDENT,), section="linked", build=_materialized_from),
    # Record details
    Field("editorial_assessment", PROSE, _("Editorial assessment"), _("The editors' own reading, with citations."),
          bilingual=True, cites=True, section="details"),
    Field("domains", VOCABULARIES, _("Domain"), vocabulary="domain", document="taxonomy.domains",
          section="details", required=_("Choose at least one domain."), facet="tag"),
    Field("harm_types", VOCABULARIES, _("Harm type"), vocabulary="harm_type", document="taxonomy.harm_types",
          section="details", required=_("Choose at least one harm type."), facet="tag"),
    Field("ai_pathways", VOCABULARIES, _("AI pathway"), vocabulary="ai_pathway", document="taxonomy.ai_pathways",
          section="details", facet="tag"),
    Field("lifecycle_phases", VOCABULARIES, _("Lifecycle phase"), vocabulary="lifecycle_phase",
          document="taxonomy.lifecycle_phases", section="details", facet="tag"),
    Field("canada_nexus", VOCABULARY, _("Canada nexus"), vocabulary="canada_nexus", document="canada_nexus.criterion",
          empty_as_null=True, section="details", recommended=_("Say which Canada nexus criterion applies.")),
    Field("canada_nexus_note", PROSE, _("Canada nexus note"), bilingual=True,
          document="canada_nexus.canada_nexus_note", section="details"),
    Field("provinces", VOCABULARIES, _("Province or territory"),
          _("The provinces and territories the Canada nexus names; federal for a Canada-wide or federal matter."),
          vocabulary="province", document="canada_nexus.provinces", section="details", page=GENERIC, facet="tag"),
    # Links out; staff only
    Field("same_as", SAME_AS, _("In other databases"), _("The same event in AIID, OECD AIM or Wikidata."),
          section="other_databases"),
    Field("private_persons", NAMES, _("Private persons"),
          _("Staff only: names that must never appear in public text (the lint checks)."), public=False, page=HIDDEN),
)


@dataclass(frozen=True)
class ChildList:
    """A list of items a record holds (harms, sources, ...), in page order, with its item fields."""

    name: str  # document key and input key
    related_name: str  # the model's reverse accessor from Record
    label: Promise | str
    section: str
    fields: tuple[Field, ...] = field(default_factory=tuple)
    required: Promise | str = ""

    def document_entry(self, item) -> dict:
        out: dict = {}
        for f in self.fields:
            out.update(f.document_value(item))
        return out


CHILD_LISTS: tuple[ChildList, ...] = (
    ChildList("harms", "harms", _("Harms"), "harms", (
        Field("description", PROSE, _("Description"), bilingual=True),
        Field("harm_types", VOCABULARIES, _("Harm type"), vocabulary="harm_type"),
        Field("severity", VOCABULARY, _("Severity"), vocabulary="severity", empty_as_null=True),
        Field("reach", VOCABULARY, _("Reach"), vocabulary="reach", empty_as_null=True),
    ), required=_("The record lists no harm. Describe at least one harm.")),
    ChildList("sources", "record_sources", _("Evidence"), "evidence", (
        Field("number", SYSTEM, _("Number"), editable=False),
        Field("citation_key", TEXT, _("Citation key"), _("As cited in the text, e.g. RCMP, 2025."), max_length=150),
        Field("source_type", VOCABULARY, _("Source type"), vocabulary="source_type"),
        Field("publisher", TEXT, _("Publisher"), max_length=300),
        Field("title", TEXT, _("Title"), max_length=500),
        Field("url", URL, _("Address (URL)"), build=_source_url),
        Field("archived_url", URL, _("Archived copy"), empty_as_null=True),
        Field("date_published", DATE, _("Publication date")),
        Field("date_precision", PRECISION, _("Precision of the date")),
        Field("language", LANGUAGE, _("Language")),
        Field("supports", PROSE, _("What it supports"), bilingual=True),
        Field("background", FLAG, _("Background source"), _("Consulted, not cited in the text.")),
    ), required=_("The record has no sources. Attach at least one source.")),
    ChildList("entities", "record_entities", _("Entities involved"), "details", (
        Field("entity", REFERENCE, _("Entity"), build=_entity_entry, produces=("slug", "name", "name_fr", "kind")),
        Field("roles", VOCABULARIES, _("Roles"), vocabulary="entity_role"),
        Field("description", PROSE, _("Description"), bilingual=True),
    )),
    ChildList("systems", "record_systems", _("AI systems"), "details", (
        Field("system", REFERENCE, _("AI system"), build=_system_entry,
              produces=("slug", "name", "name_fr", "system_type", "developer")),
        Field("involvement", PROSE, _("Involvement"), bilingual=True),
    )),
    ChildList("responses", "responses", _("Responses"), "responses", (
        Field("kind", VOCABULARY, _("Kind"), vocabulary="response_kind"),
        Field("actor", REFERENCE, _("Actor"), build=_actor_entry),
        Field("date", DATE, _("Date")),
        Field("date_precision", PRECISION, _("Precision of the date")),
        Field("description", PROSE, _("Description"), bilingual=True),
        Field("source_key", TEXT, _("Source"), _("The citation key of one of the record's sources."), max_length=150,
           empty_as_null=True),
    )),
    ChildList("policy_recommendations", "policy_recommendations", _("Policy Recommendations"), "details", (
        Field("text", PROSE, _("Recommendation"), bilingual=True),
        Field("source_key", TEXT, _("Attributed to"), _("The citation key of the source that recommends it."),
           max_length=150),
    )),
    ChildList("mitigations", "mitigations", _("Mitigations"), "details", (
        Field("pathway", VOCABULARY, _("AI pathway"), vocabulary="ai_pathway"),
        Field("text", PROSE, _("Mitigation"), bilingual=True),
    )),
)
# fmt: on

# The fields of the model that are not part of a record's content: the pipeline's own bookkeeping.
INTERNAL = frozenset(
    {"status", "lock_version", "translation_status", "withdrawn_reason_en", "withdrawn_reason_fr",
     "created_at", "updated_at", "first_published_at", "current_version", "assignee", "merged_into"}
)  # fmt: skip

FIELDS: dict[str, Field] = {f.name: f for f in RECORD_FIELDS}
CHILDREN: dict[str, ChildList] = {c.name: c for c in CHILD_LISTS}


def fields_of(record_type: str, *, public: bool | None = None) -> Iterator[Field]:
    for f in RECORD_FIELDS:
        if f.applies_to(record_type) and (public is None or f.public == public):
            yield f


def bilingual_fields() -> tuple[str, ...]:
    """Names of the record's bilingual fields (each has a translation status)."""
    return tuple(f.name for f in RECORD_FIELDS if f.bilingual)


def facets(kind: str) -> tuple[Field, ...]:
    """Fields lists filter on: "field" (a PublicRecord column) or "tag" (taxonomy values)."""
    return tuple(f for f in RECORD_FIELDS if f.facet == kind)


def document_path(attribute: str) -> str:
    """The document path of a record's model attribute ("canada_nexus_note_fr" -> "canada_nexus.canada_nexus_note_fr"),
    as lint issues and the editor's anchors name fields."""
    for f in RECORD_FIELDS:
        for name, path in zip(f.attributes(), f.document_keys(), strict=False):
            if name == attribute:
                return path
    return attribute


def taxonomy_fields() -> tuple[Field, ...]:
    """The record's taxonomy (domains, harm types, AI pathways, lifecycle phases): its document group."""
    return tuple(f for f in RECORD_FIELDS if f.path.startswith("taxonomy."))


def set_path(doc: dict, path: str, value) -> None:
    """Set a dotted path ("taxonomy.domains") in a document, creating the parts on the way."""
    *parents, last = path.split(".")
    for part in parents:
        doc = doc.setdefault(part, {})
    doc[last] = value


def get_path(doc: dict, path: str, default=None):
    for part in path.split("."):
        if not isinstance(doc, dict) or part not in doc:
            return default
        doc = doc[part]
    return doc
