"""The record lint (SPEC §3.2): errors block publication, warnings are shown to editors.

It checks the record's public document (the exact thing that would be published) plus its staff-only fields,
so `caim lint` can check a working copy and a published version alike. Every issue names its rule, the field
and what to do, in the staff member's language.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date
from urllib.parse import unquote_plus

from django.utils.translation import gettext as _

from caim.records.fields import (
    CHILD_LISTS,
    CHILDREN,
    DATE,
    VOCABULARIES,
    VOCABULARY,
    Field,
    document_path,
    fields_of,
    get_path,
)
from caim.records.inline_citations import cited_keys, loose_citations
from caim.taxonomy.loader import Taxonomy, get_taxonomy

ERROR, WARNING = "error", "warning"

# Verification levels that need evidence of a given strength, and what counts as that evidence.
PRIMARY_SOURCE_TYPES = {"official", "court", "regulator", "disclosure"}


@dataclass(frozen=True)
class LintIssue:
    rule: str
    level: str
    field: str
    message: str

    def as_dict(self) -> dict:
        return {"rule": self.rule, "level": self.level, "field": self.field, "message": self.message}

    def __str__(self) -> str:
        return f"{self.level} [{self.rule}] {self.field}: {self.message}"


# Letters that Unicode does not decompose into a base letter and an accent.
LOOK_ALIKES = str.maketrans({"ø": "o", "Ø": "o", "æ": "ae", "Æ": "ae", "œ": "oe", "Œ": "oe", "ł": "l", "Ł": "l",
                             "ı": "i", "đ": "d", "Đ": "d", "ß": "ss"})  # fmt: skip


def fold(text: str) -> str:
    """Case- and accent-insensitive form used to find private names. Invisible format characters (soft
    hyphens, zero-width spaces, common in pasted text) are dropped, so they cannot split a name."""
    decomposed = unicodedata.normalize("NFKD", (text or "").translate(LOOK_ALIKES))
    return "".join(
        c for c in decomposed if not unicodedata.combining(c) and unicodedata.category(c) != "Cf"
    ).casefold()


def parse_date(value: str | None) -> date | None:
    return date.fromisoformat(value) if value else None


PUBLIC_CHILD_TEXT = ("title", "publisher", "citation_key", "url", "archived_url", "name")


def public_texts(doc: dict) -> Iterator[tuple[str, str]]:
    """(field path, text) for every public text of a document: the slug (it is in the URL), URLs and citation
    keys included."""
    yield "slug", doc.get("slug") or ""
    for key, value in doc.items():
        if isinstance(value, str) and (key.endswith(("_en", "_fr"))):
            yield key, value
    for lang in ("en", "fr"):
        yield f"canada_nexus.note_{lang}", doc["canada_nexus"].get(f"canada_nexus_note_{lang}") or ""
    for list_name in CHILDREN:
        for i, item in enumerate(doc.get(list_name, [])):
            for key, value in item.items():
                if isinstance(value, str) and (key.endswith(("_en", "_fr")) or key in PUBLIC_CHILD_TEXT):
                    yield f"{list_name}[{i + 1}].{key}", value


def _words(text: str) -> str:
    """Folded text with every run of non-word characters as one space: "/jane-roe_v" -> " jane roe v".
    Percent-encoded text (in URLs) is decoded first: "Jane%20Roe" is "Jane Roe"."""
    return " " + re.sub(r"[\W_]+", " ", fold(unquote_plus(text or ""))) + " "


def names_found(text: str, names: Iterable[str]) -> list[str]:
    """The private names that appear in `text` as whole words (case, accents and punctuation ignored)."""
    words = _words(text)
    return [name for name in names if name.strip() and _words(name).strip() and _words(name) in words]


class _Linter:
    def __init__(
        self, doc: dict, staff: dict, taxonomy: Taxonomy, today: date, links: dict[int, tuple[str, bool]]
    ):
        self.doc, self.staff, self.tax, self.today, self.links = doc, staff, taxonomy, today, links
        self.issues: list[LintIssue] = []
        self.incident = doc["type"] == "incident"

    def add(self, rule: str, level: str, field: str, message: str) -> None:
        self.issues.append(LintIssue(rule, level, field, message))

    def run(self) -> list[LintIssue]:
        for check in (
            self.required,
            self.vocabularies,
            self.citations,
            self.verification,
            self.dates,
            self.private_persons,
            self.links_and_references,
            self.hazard_fields,
            self.translations,
        ):
            check()
        return self.issues

    # -- required fields --------------------------------------------------------------------------------------
    def required(self) -> None:
        """Fields the declaration requires (errors) or recommends (warnings), and child lists that must not be
        empty; a bilingual field is required in the record's original language."""
        doc = self.doc
        lang = doc.get("original_language", "en")
        for f in fields_of(doc["type"], public=True):
            if not (f.required or f.recommended):
                continue
            path = f"{f.path}_{lang}" if f.bilingual else f.path
            value = get_path(doc, path)
            if value not in (None, "", []) and (not isinstance(value, str) or value.strip()):
                continue
            if f.required:
                self.add("required", ERROR, path, str(f.required))
            else:
                self.add(f"{f.name.replace('_', '-')}-missing", WARNING, path, str(f.recommended))
        for child in CHILD_LISTS:
            if child.required and not doc[child.name]:
                self.add("required", ERROR, child.name, str(child.required))

    # -- vocabularies -----------------------------------------------------------------------------------------
    def _check_values(self, vocabulary: str, field: str, values: Iterable[str | None]) -> None:
        vocab = self.tax[vocabulary]
        for value in values:
            if value and value not in vocab:
                self.add(
                    "unknown-vocabulary-value",
                    ERROR,
                    field,
                    _("“%(value)s” is not a %(vocabulary)s value. Use one of: %(known)s.")
                    % {"value": value, "vocabulary": vocabulary, "known": ", ".join(vocab.slugs())},
                )

    def _check_field(self, f: Field, value, path: str) -> None:
        if f.kind == VOCABULARY:
            self._check_values(f.vocabulary, path, [value])
        elif f.kind == VOCABULARIES:
            self._check_values(f.vocabulary, path, value or [])

    def vocabularies(self) -> None:
        doc = self.doc
        for f in fields_of(doc["type"], public=True):
            self._check_field(f, get_path(doc, f.path), f.path)
        for child in CHILD_LISTS:
            for i, item in enumerate(doc[child.name], 1):
                for f in child.fields:
                    self._check_field(f, item.get(f.name), f"{child.name}[{i}].{f.name}")
        for i, mit in enumerate(doc["mitigations"], 1):
            if mit["pathway"] and mit["pathway"] not in doc["taxonomy"]["ai_pathways"]:
                self.add(
                    "mitigation-pathway-not-on-record",
                    ERROR,
                    f"mitigations[{i}].pathway",
                    _(
                        "The mitigation is for the pathway “%(pathway)s”, which the record's taxonomy does not list. "
                        "Add the pathway to the taxonomy or change the mitigation."
                    )
                    % {"pathway": mit["pathway"]},
                )

    # -- citations --------------------------------------------------------------------------------------------
    def citations(self) -> None:
        keys = {s["citation_key"] for s in self.doc["sources"]}
        cited: set[str] = set()
        for name in (f.path for f in fields_of(self.doc["type"]) if f.cites):
            for lang in ("en", "fr"):
                field = f"{name}_{lang}"
                found = cited_keys(self.doc.get(field) or "")
                cited |= found
                for key in sorted(found - keys):
                    self.add(
                        "citation-unresolved",
                        ERROR,
                        field,
                        _(
                            "The citation “(%(key)s)” matches no source. Add the source, or correct the citation to "
                            "one of: %(keys)s."
                        )
                        % {"key": key, "keys": "; ".join(sorted(keys)) or _("(no sources)")},
                    )
                for loose in loose_citations(self.doc.get(field) or ""):
                    known = any(key in keys for key in loose.suggestion.split("; "))
                    self.add(
                        "citation-malformed",
                        ERROR if known else WARNING,
                        field,
                        _(
                            "“(%(text)s)” reads like a citation but lacks the comma before the year, so it links to "
                            "no source. Write “(%(fixed)s)”."
                        )
                        % {"text": loose.text, "fixed": loose.suggestion}
                        if known
                        else _(
                            "“(%(text)s)” reads like a citation but links to no source. If it is one, write it as "
                            "“(Publisher, year)” with a source's citation key; if not, ignore this warning."
                        )
                        % {"text": loose.text},
                    )
        for src in self.doc["sources"]:
            if src["citation_key"] not in cited and not src["background"]:
                self.add(
                    "source-uncited",
                    ERROR,
                    f"sources[{src['number']}]",
                    _(
                        "Source %(number)s (“%(key)s”) is not cited in the summary, narrative or assessment. Cite it "
                        "or mark it as background."
                    )
                    % {"number": src["number"], "key": src["citation_key"]},
                )

    # -- verification -----------------------------------------------------------------------------------------
    def verification(self) -> None:
        if not self.incident:
            return
        level, sources = self.doc.get("verification"), self.doc["sources"]
        if level == "confirmed" and not any(s["source_type"] in PRIMARY_SOURCE_TYPES for s in sources):
            self.add(
                "confirmed-needs-primary-source",
                ERROR,
                "verification",
                _(
                    "“Confirmed” needs an official, court or regulator source, or a disclosure by the responsible "
                    "party. Attach one, or lower the level to “corroborated” or “reported”."
                ),
            )
        if level == "corroborated" and len({fold(s["publisher"]).strip() for s in sources}) < 2:
            self.add(
                "corroborated-needs-two-publishers",
                ERROR,
                "verification",
                _(
                    "“Corroborated” needs sources from at least two independent publishers. Attach another "
                    "publisher's report, or lower the level to “reported”."
                ),
            )
        if level == "unverified":
            self.add(
                "unverified-not-public",
                ERROR,
                "verification",
                _("Unverified claims are never published. Verify them first."),
            )
        if self.doc.get("dispute") == "contested" and not (
            (self.doc.get("dispute_note_en") or "").strip() or (self.doc.get("dispute_note_fr") or "").strip()
        ):
            self.add(
                "contested-needs-note",
                ERROR,
                f"dispute_note_{self.doc.get('original_language', 'en')}",
                _("A contested record needs a note naming who disputes what."),
            )

    # -- dates ------------------------------------------------------------------------------------------------
    def dates(self) -> None:
        doc = self.doc
        dated = {f.path: get_path(doc, f.path) for f in fields_of(doc["type"], public=True) if f.kind == DATE}
        for child in CHILD_LISTS:
            for f in child.fields:
                if f.kind == DATE:
                    dated.update(
                        {
                            f"{child.name}[{i}].{f.name}": item[f.name]
                            for i, item in enumerate(doc[child.name], 1)
                        }
                    )
        for field, value in dated.items():
            when = parse_date(value)
            if when and when > self.today:
                self.add(
                    "date-in-future",
                    ERROR,
                    field,
                    _("The date %(date)s is in the future. Correct it.") % {"date": value},
                )
        occurred, end = parse_date(doc.get("occurred")), parse_date(doc.get("occurred_end"))
        reported = parse_date(doc.get("reported"))
        if occurred and end and end < occurred:
            self.add(
                "date-end-before-start",
                ERROR,
                "occurred_end",
                _("The end of the period (%(end)s) is before its start (%(start)s).")
                % {"end": end, "start": occurred},
            )
        if occurred and reported and reported < occurred:
            self.add(
                "date-reported-before-occurred",
                ERROR,
                "reported",
                _(
                    "The incident is reported (%(reported)s) before it occurred (%(occurred)s). Check both dates."
                )
                % {"reported": reported, "occurred": occurred},
            )

    # -- privacy ----------------------------------------------------------------------------------------------
    def private_persons(self) -> None:
        names = [n for n in self.staff.get("private_persons", []) if n and n.strip()]
        if not names:
            return
        for field, text in public_texts(self.doc):
            for name in names_found(text, names):
                self.add(
                    "private-person-named",
                    ERROR,
                    field,
                    _(
                        "A private person listed in the record (“%(name)s”) is named here. Describe the person "
                        "instead (“the complainant”, “a passenger”)."
                    )
                    % {"name": name},
                )

    # -- links ------------------------------------------------------------------------------------------------
    def links_and_references(self) -> None:
        keys = {s["citation_key"] for s in self.doc["sources"]}
        for list_name in ("responses", "policy_recommendations"):
            for i, item in enumerate(self.doc[list_name], 1):
                key = item.get("source_key")
                if key and key not in keys:
                    self.add(
                        "dangling-link",
                        ERROR,
                        f"{list_name}[{i}].source_key",
                        _("“%(key)s” is not one of the record's sources. Pick one of: %(keys)s.")
                        % {"key": key, "keys": "; ".join(sorted(keys))},
                    )
                elif list_name == "policy_recommendations" and not key:
                    self.add(
                        "dangling-link",
                        ERROR,
                        f"{list_name}[{i}].source_key",
                        _("Attribute the recommendation to one of the record's sources."),
                    )
        for link in self.doc.get("materialized_from", []):
            kind, public = self.links.get(link["id"], (None, False))
            if kind is None:
                self.add(
                    "dangling-link",
                    ERROR,
                    "materialized_from",
                    _("The linked record %(slug)s no longer exists. Remove the link.")
                    % {"slug": link["slug"]},
                )
            elif kind != "hazard":
                self.add(
                    "dangling-link",
                    ERROR,
                    "materialized_from",
                    _("%(slug)s is not a hazard: an incident can only materialize hazards.")
                    % {"slug": link["slug"]},
                )
            elif not public:
                self.add(
                    "materialized-from-unpublished",
                    ERROR,
                    "materialized_from",
                    _("The hazard %(slug)s is not published: publish it first, or remove the link.")
                    % {"slug": link["slug"]},
                )

    # -- hazards ----------------------------------------------------------------------------------------------
    def hazard_fields(self) -> None:
        if self.incident:
            return
        if not (
            (self.doc.get("governance_gap_en") or "").strip()
            or (self.doc.get("governance_gap_fr") or "").strip()
        ):
            self.add(
                "hazard-governance-gap-missing",
                ERROR,
                f"governance_gap_{self.doc.get('original_language', 'en')}",
                _("A hazard must state its governance gap: what is missing in law, regulation or practice."),
            )

    # -- translations -----------------------------------------------------------------------------------------
    def translations(self) -> None:
        for field, status in self.doc.get("translation_status", {}).items():
            if status == "missing":
                self.add(
                    "translation-missing",
                    WARNING,
                    document_path(field),
                    _("No %(language)s text yet; the page falls back to the other language.")
                    % {"language": _("French") if field.endswith("_fr") else _("English")},
                )
        for list_name in CHILDREN:
            for i, item in enumerate(self.doc[list_name], 1):
                for key, value in item.items():
                    if not key.endswith("_en"):
                        continue
                    pair = {"en": (value or "").strip(), "fr": (item.get(key[:-3] + "_fr") or "").strip()}
                    for lang, other in (("fr", "en"), ("en", "fr")):
                        if pair[other] and not pair[lang]:
                            self.add(
                                "translation-missing",
                                WARNING,
                                f"{list_name}[{i}].{key[:-3]}_{lang}",
                                _("No %(language)s text yet; the page falls back to the other language.")
                                % {"language": _("French") if lang == "fr" else _("English")},
                            )


def lint_document(
    doc: dict,
    staff: dict,
    *,
    today: date,
    links: dict[int, tuple[str, bool]] | None = None,
    taxonomy: Taxonomy | None = None,
) -> list[LintIssue]:
    """Lint a record document. `links` maps linked record ids to (record type, is public)."""
    return _Linter(doc, staff, taxonomy or get_taxonomy(), today, links or {}).run()


def errors(issues: Iterable[LintIssue]) -> list[LintIssue]:
    return [i for i in issues if i.level == ERROR]
