"""What a record page shows, computed from a record document in one language (SPEC §1.6).

Views stay thin and templates stay dumb: every label, fallback and formatted date is decided here.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from functools import cached_property

from django.urls import reverse
from django.utils.html import format_html, strip_tags
from django.utils.safestring import SafeString
from django.utils.text import Truncator
from django.utils.translation import gettext as _
from django.utils.translation import override

from caim.records.badges import Badge, record_badges
from caim.records.bilingual import Html, RecordLink, Text, as_written, name_in, pick
from caim.records.fields import (
    DATE,
    GENERIC,
    SECTIONS,
    VOCABULARIES,
    VOCABULARY,
    Field,
    fields_of,
    get_path,
    taxonomy_fields,
)
from caim.records.formatting import format_day, format_period, format_precise
from caim.records.inline_citations import render_cited_paragraphs
from caim.records.models import record_path
from caim.taxonomy.loader import get_taxonomy

OTHER_DATABASES = {
    "aiid": ("AI Incident Database", "https://incidentdatabase.ai/cite/{id}/"),
    "oecd": ("OECD AI Incidents Monitor", "https://oecd.ai/en/incidents/{id}"),
    "wikidata": ("Wikidata", "https://www.wikidata.org/wiki/{id}"),
}


def _moment(value: str | None) -> datetime | None:
    """A timestamp of the document (ISO 8601), so that its day is taken in the site's time zone."""
    return datetime.fromisoformat(value) if value else None


class RecordPage:
    def __init__(
        self,
        doc: dict,
        lang: str,
        *,
        changelog: list,
        linked: list,
        current_number: int,
        related=(),
        slug: str = "",
        current_withdrawal: dict | None = None,
        link=RecordLink,
    ):
        self.doc, self.lang = doc, lang
        self.link = link  # (record, lang) -> RecordLink: the static export shares them between pages
        self.tax = get_taxonomy()
        self.changelog_versions = changelog
        self.linked_records = linked
        self.related_records = list(related)
        self.current_number = current_number
        self.is_incident = doc["type"] == "incident"
        # The record's current slug: links from an earlier version go to where the record is now.
        self.slug = slug or doc["slug"]
        self.current_withdrawal = current_withdrawal
        self.numbers = {s["citation_key"]: s["number"] for s in doc["sources"]}
        # A citation key is written as its source names itself, in the source's language (SPEC §1.6).
        self.key_languages = {s["citation_key"]: s.get("language") or "" for s in doc["sources"]}

    def label(self, vocabulary: str, slug: str | None) -> str:
        return self.tax.label(vocabulary, slug, self.lang) if slug else ""

    def text(self, item: dict, name: str) -> Text:
        """A text in the page language (or the other, marked); the record's own texts say when they are a
        machine translation."""
        found = pick(item, name, self.lang)
        if (
            item is self.doc
            and found
            and self.doc.get("translation_status", {}).get(f"{name}_{found.lang}") == "machine"
        ):
            return replace(found, machine=True)
        return found

    def cited(self, name: str) -> Html:
        t = self.text(self.doc, name)
        html = render_cited_paragraphs(t.text, self.numbers, languages=self.key_languages, lang=t.lang)
        return Html(html, t.lang, t.fallback, t.machine)

    # -- the page's parts, in order (records/page_sections.py lays them out) ------------------------------------

    @cached_property
    def generic(self) -> dict[str, list[dict]]:
        """Per section, the declared fields with no markup of their own (page=GENERIC) that this record fills:
        {name, label, value}. A new plain field shows here without code of its own."""
        out: dict[str, list[dict]] = {name: [] for name in SECTIONS}
        for f in fields_of(self.doc["type"], public=True):
            if f.page != GENERIC:
                continue
            value = self.display_value(f)
            if value:
                out[f.section or "details"].append({"name": f.name, "label": f.label, "value": value})
        return out

    def display_value(self, f: Field) -> Text:
        """A field's value as text in the page language."""
        if f.bilingual:
            return pick(self.doc, f.path, self.lang)
        value = get_path(self.doc, f.path)
        if f.kind == VOCABULARY:
            value = self.label(f.vocabulary, value)
        elif f.kind == VOCABULARIES:
            value = ", ".join(self.label(f.vocabulary, v) for v in value or [])
        elif f.kind == DATE:
            value = format_day(value, self.lang) if value else ""
        return Text(str(value) if value not in (None, "") else "", self.lang)

    # -- header -----------------------------------------------------------------------------------------------
    @cached_property
    def title(self) -> Text:
        return self.text(self.doc, "title")

    @property
    def is_synthetic(self) -> bool:
        return self.doc.get("origin") == "synthetic"

    @property
    def version(self) -> int:
        return self.doc["version"]

    @property
    def is_current(self) -> bool:
        return self.version == self.current_number

    @cached_property
    def withdrawn(self) -> Text | None:
        """The withdrawal notice, also on the pages of earlier versions of a withdrawn record."""
        info = self.doc.get("withdrawn") or self.current_withdrawal
        return self.text(info, "reason") if info else None

    @cached_property
    def badges(self) -> list[Badge]:
        d = self.doc
        return record_badges(
            d["type"],
            verification=d.get("verification") or "",
            contested=d.get("dispute") == "contested",
            severity=d.get("severity") or "",
            hazard_status=d.get("hazard_status") or "",
            confidence=d.get("confidence") or "",
            version=None if not self.is_incident else d["version"],
            lang=self.lang,
        )

    @cached_property
    def summary(self) -> Html:
        return self.cited("summary")

    @cached_property
    def description(self) -> str:
        """The summary as plain text, cut at 200 characters: the page's description for search engines and
        previews (striptags|truncatechars:200, once for both of the page's tags). Still markup: the summary's
        escaped text without its tags."""
        return SafeString(Truncator(strip_tags(self.summary.html)).chars(200))

    @cached_property
    def governance_gap(self) -> Html:
        return self.cited("governance_gap")

    @cached_property
    def dispute_note(self) -> Text:
        return self.text(self.doc, "dispute_note")

    @cached_property
    def dates(self) -> list[tuple[str, str]]:
        d, lang = self.doc, self.lang
        rows = []
        if self.is_incident:
            if d.get("occurred"):
                rows.append(
                    (
                        _("Occurred"),
                        format_period(
                            d["occurred"],
                            d["occurred_precision"],
                            d.get("occurred_end"),
                            d.get("occurred_end_precision"),
                            lang,
                        ),
                    )
                )
            if d.get("reported"):
                rows.append((_("Reported"), format_day(d["reported"], lang)))
        else:
            if d.get("identified"):
                rows.append(
                    (_("Identified"), format_precise(d["identified"], d["identified_precision"], lang))
                )
            if d.get("last_assessed"):
                rows.append((_("Last assessed"), format_day(d["last_assessed"], lang)))
        # The record's own history, distinct from the event's dates (SPEC §1.1): when it first became public,
        # and when the version shown was published (the record's last update, unless an earlier version is shown).
        first, this = _moment(d.get("first_published_at")), _moment(d.get("published_at"))
        if first:
            rows.append((_("First published"), format_day(first, lang)))
        if this and d.get("version", 1) > 1:
            label = _("Last updated") if self.is_current else _("This version published")
            rows.append((label, format_day(this, lang)))
        return rows

    # -- body -------------------------------------------------------------------------------------------------
    @cached_property
    def narrative(self) -> Html:
        return self.cited("narrative")

    @cached_property
    def editorial_assessment(self) -> Html:
        return self.cited("editorial_assessment")

    def _linked(self, records) -> list[RecordLink]:
        return [self.link(p, self.lang) for p in records]

    @cached_property
    def linked(self) -> list[RecordLink]:
        return self._linked(self.linked_records)

    @cached_property
    def related(self) -> list[RecordLink]:
        return self._linked(self.related_records)

    @cached_property
    def harms(self) -> list[dict]:
        return [
            {
                "description": self.text(h, "description"),
                "harm_types": [self.label("harm_type", t) for t in h["harm_types"]],
                "severity": self.label("severity", h.get("severity")),
                "reach": self.label("reach", h.get("reach")),
            }
            for h in self.doc["harms"]
        ]

    def source_by_key(self, key: str | None) -> dict | None:
        return next((s for s in self.doc["sources"] if s["citation_key"] == key), None) if key else None

    def _named(self, entry: dict | None) -> dict | None:
        """An entity's entry (an actor, a developer) with its name in the page language."""
        return {**entry, "name": name_in(entry, self.lang)} if entry else None

    def as_written(self, text: str, source: dict) -> Text:
        """A source's publisher or title, in the source's language (marked when it is not the page's)."""
        return as_written(text, source.get("language") or "", self.lang)

    def attribution(self, key: str | None) -> dict | None:
        """ "Publisher, Title" (as written, in the source's language) and "(date)" (in the page's) for a policy
        recommendation's source."""
        s = self.source_by_key(key)
        if not s:
            return None
        return {
            "text": self.as_written(f"{s['publisher']}, {s['title']}", s),
            "date": format_precise(s["date_published"], s["date_precision"], self.lang),
        }

    def _source_ref(self, key: str | None) -> dict | None:
        s = self.source_by_key(key)
        return {**s, "publisher": self.as_written(s["publisher"], s)} if s else None

    @cached_property
    def responses(self) -> list[dict]:
        return [
            {
                "kind": self.label("response_kind", r["kind"]),
                "actor": self._named(r["actor"]),
                "date": format_precise(r["date"], r["date_precision"], self.lang),
                "description": self.text(r, "description"),
                "source": self._source_ref(r.get("source_key")),
            }
            for r in self.doc["responses"]
        ]

    @cached_property
    def sources(self) -> list[dict]:
        return [
            {
                **s,
                "publisher": self.as_written(s["publisher"], s),
                "type_label": self.label("source_type", s["source_type"]),
                "date": format_precise(s["date_published"], s["date_precision"], self.lang),
                "supports": self.text(s, "supports"),
            }
            for s in self.doc["sources"]
        ]

    @cached_property
    def recommendations(self) -> list[dict]:
        return [
            {
                "text": self.text(p, "text"),
                "attribution": self.attribution(p.get("source_key")),
                "source": self.source_by_key(p.get("source_key")),
            }
            for p in self.doc["policy_recommendations"]
        ]

    @cached_property
    def mitigations(self) -> list[dict]:
        return [
            {"pathway": self.label("ai_pathway", m["pathway"]), "text": self.text(m, "text")}
            for m in self.doc["mitigations"]
        ]

    @cached_property
    def entities(self) -> list[dict]:
        return [
            {
                **e,
                "name": name_in(e, self.lang),
                "roles_label": ", ".join(self.label("entity_role", r) for r in e["roles"]),
                "description": self.text(e, "description"),
            }
            for e in self.doc["entities"]
        ]

    @cached_property
    def systems(self) -> list[dict]:
        return [
            {
                **s,
                "name": name_in(s, self.lang),
                "developer": self._named(s.get("developer")),
                "type_label": self.label("system_type", s["system_type"]),
                "involvement": self.text(s, "involvement"),
            }
            for s in self.doc["systems"]
        ]

    @cached_property
    def taxonomy(self) -> list[dict]:
        list_name = "incident_list" if self.is_incident else "hazard_list"
        with override(self.lang):
            base = reverse(list_name)
        groups = []
        for f in taxonomy_fields():
            values = get_path(self.doc, f.path)
            if values:
                groups.append(
                    {
                        "label": self.tax[f.vocabulary].label_in(self.lang),
                        "values": [
                            {"label": self.label(f.vocabulary, v), "url": f"{base}?{f.vocabulary}={v}"}
                            for v in values
                        ],
                    }
                )
        return groups

    @cached_property
    def canada_nexus(self) -> dict | None:
        nexus = self.doc["canada_nexus"]
        if not nexus.get("criterion"):
            return None
        return {
            "label": self.label("canada_nexus", nexus["criterion"]),
            "note": self.text(nexus, "canada_nexus_note"),
        }

    @cached_property
    def other_databases(self) -> list[dict]:
        out = []
        for link in self.doc.get("same_as", []):
            name, pattern = OTHER_DATABASES.get(link["db"], (link["db"], None))
            url = link.get("url") or (pattern.format(id=link["id"]) if pattern else None)
            if url:
                out.append({"name": name, "id": link["id"], "url": url})
        return out

    @property
    def has_details(self) -> bool:
        return bool(
            self.recommendations
            or self.mitigations
            or self.editorial_assessment
            or self.entities
            or self.systems
            or self.taxonomy
            or self.canada_nexus
        )

    # -- changelog and citation -------------------------------------------------------------------------------
    @cached_property
    def changelog(self) -> list[dict]:
        return [
            {
                "number": v.number,
                "date": format_day(v.published_at, self.lang),
                "note": pick({"note_en": v.changelog_en, "note_fr": v.changelog_fr}, "note", self.lang),
                "url": record_path(self.doc["type"], self.slug, self.lang, version=v.number),
                "is_this": v.number == self.version,
                "diff_url": self._diff_url(previous.number, v.number)
                if previous and v.kind != "withdrawal"
                else "",
            }
            for previous, v in zip([None, *self.changelog_versions], self.changelog_versions, strict=False)
        ]

    def _diff_url(self, first: int, second: int) -> str:
        name = "incident" if self.is_incident else "hazard"
        with override(self.lang):
            return reverse(
                f"records:{name}_diff", kwargs={"ident": self.slug, "first": first, "second": second}
            )

    @cached_property
    def citation_downloads(self) -> list[tuple[str, str]]:
        name = "incident" if self.is_incident else "hazard"
        pinned = {"ident": self.slug, "number": self.version}
        with override(self.lang):
            return [
                (label, reverse(f"records:{name}_version_cite", kwargs={**pinned, "fmt": fmt}))
                for label, fmt in (("CSL-JSON", "csl.json"), ("BibTeX", "bib"), ("RIS", "ris"))
            ]

    def citation(self, site_name: str, site_url: str) -> SafeString:
        """A formatted citation pinned to this version."""
        year = (self.doc.get("published_at") or "")[:4]
        url = site_url + record_path(self.doc["type"], self.slug, self.lang, version=self.version)
        label = _("Version %(n)s") % {"n": self.version}
        return format_html(
            '{}. ({}). <cite>{}</cite> ({}). {}. <a href="{}">{}</a>',
            site_name,
            year,
            self.title.text,
            label,
            _("Record %(id)s") % {"id": self.doc["id"]},
            url,
            url,
        )
