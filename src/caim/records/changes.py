"""Parse and validate the data an editor (or the demo loader, or a revert) wants to write into a record.

The accepted shape is the record document's own shape (SPEC §1; see versions.build_document), so a published
version can be fed back as-is to restore it. Every problem is collected with its field path, and nothing is
written unless the whole change is valid.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from typing import Any
from urllib.parse import urlsplit

from django.db.models import Q

from caim.records.fields import (
    CHILDREN,
    DATE,
    LANGUAGE,
    LINKS,
    NAMES,
    PRECISION,
    PROSE,
    RECORD_FIELDS,
    SAME_AS,
    SLUG,
    TEXT,
    VOCABULARIES,
    VOCABULARY,
    Field,
)
from caim.records.models import (
    AISystem,
    Entity,
    Precision,
    Record,
    RecordType,
)
from caim.taxonomy.loader import Taxonomy

# Lowercase words joined by hyphens, with at least one letter (an all-digit slug would read as a record id).
SLUG_RE = re.compile(r"^(?=[a-z0-9-]*[a-z])[a-z0-9]+(?:-[a-z0-9]+)*$")
# Input keys: each editable field's own (title_en, severity, ...); a document's nested groups ("taxonomy",
# "canada_nexus") are read too, so a published version can be fed back as it is.
INPUT_KEYS: dict[str, Field] = {key: f for f in RECORD_FIELDS if f.editable for key in f.attributes()}
NESTED_KEYS: dict[str, dict[str, str]] = {}  # document group -> {key inside it: input key}
for _field in RECORD_FIELDS:
    if _field.editable and "." in _field.path:
        _group, _inner = _field.path.split(".", 1)
        for _doc_key, _key in zip(_field.document_keys(), _field.attributes(), strict=True):
            NESTED_KEYS.setdefault(_group, {})[_doc_key.split(".", 1)[1]] = _key
# Keys of a document that are computed or set by the system, never written by an edit.
IGNORED_KEYS = {f.path for f in RECORD_FIELDS if not f.editable} | {
    "schema_version", "version", "created_at", "first_published_at", "published_at", "withdrawn", "status",
    "translation_status_computed",
}  # fmt: skip
TEXT_FIELDS = {key for f in RECORD_FIELDS if f.bilingual for key in f.attributes()}
URL_SCHEMES = {"http", "https"}
TRANSLATION_STATUSES = {"original", "human", "machine", "missing"}


# Control characters other than tab and line breaks; they have no place in text and break line-based formats.
CONTROL_CHARACTERS = re.compile(r"[\x01-\x08\x0b\x0c\x0e-\x1f\x7f-\x84\x86-\x9f]")
LINE_BREAKS = re.compile(r"\r\n?|[\x85\u2028\u2029]")


def clean_text(value: str, *, single_line: bool = False) -> str:
    """Text without control characters, with line breaks as \\n; one line (breaks and tabs as spaces) for
    titles, names, publishers and keys."""
    value = CONTROL_CHARACTERS.sub("", LINE_BREAKS.sub("\n", value))
    if single_line:
        value = " ".join(value.split())
    return value.strip()


class InvalidRecordData(ValueError):
    def __init__(self, errors: list[str]):
        self.errors = errors
        super().__init__("; ".join(errors))


@dataclass
class ParsedChanges:
    """Validated changes: scalar column values, plus child lists to replace (None: leave unchanged)."""

    columns: dict[str, Any] = field(default_factory=dict)
    children: dict[str, list[dict]] = field(default_factory=dict)
    materialized_from: list[Record] | None = None


class _Parser:
    def __init__(self, data: dict, record_type: str, taxonomy: Taxonomy):
        self.data, self.record_type, self.tax = data, record_type, taxonomy
        self.errors: list[str] = []
        self.out = ParsedChanges()

    def error(self, path: str, message: str) -> None:
        self.errors.append(f"{path}: {message}")

    # -- scalars ----------------------------------------------------------------------------------------------
    def text(self, path: str, value: Any, *, max_length: int | None = None, single_line: bool = False) -> str:
        if value is None:
            return ""
        if not isinstance(value, str):
            self.error(path, "expected text")
            return ""
        if "\x00" in value:
            self.error(path, "contains a NUL character")
        value = clean_text(value, single_line=single_line)
        if max_length and len(value) > max_length:
            self.error(path, f"is {len(value)} characters long; the limit is {max_length}")
        return value

    def vocab(self, path: str, vocabulary: str, value: Any, *, required: bool = False) -> str:
        if value in (None, ""):
            if required:
                self.error(path, f"a {vocabulary} value is required")
            return ""
        if not isinstance(value, str) or value not in self.tax[vocabulary]:
            known = ", ".join(self.tax[vocabulary].slugs())
            self.error(path, f"unknown {vocabulary} value {value!r}; expected one of: {known}")
            return ""
        return value

    def vocab_list(self, path: str, vocabulary: str, value: Any) -> list[str]:
        if value is None:
            return []
        if not isinstance(value, list):
            self.error(path, "expected a list")
            return []
        out = []
        for i, item in enumerate(value):
            slug = self.vocab(f"{path}[{i + 1}]", vocabulary, item, required=True)
            if slug and slug not in out:
                out.append(slug)
        return out

    def date(self, path: str, value: Any) -> date | None:
        if value in (None, ""):
            return None
        if isinstance(value, date):
            return value
        if isinstance(value, str):
            try:
                return date.fromisoformat(value)
            except ValueError:
                pass
        self.error(path, f"{value!r} is not a date (YYYY-MM-DD)")
        return None

    def precision(self, path: str, value: Any) -> str:
        if value in (None, ""):
            return Precision.DAY
        if value not in Precision.values:
            self.error(path, f"unknown precision {value!r}; expected one of: {', '.join(Precision.values)}")
            return Precision.DAY
        return value

    def url(self, path: str, value: Any, *, required: bool) -> str:
        value = self.text(path, value, max_length=2000, single_line=True)
        if not value:
            if required:
                self.error(path, "a URL is required")
            return ""
        parts = urlsplit(value)
        if parts.scheme not in URL_SCHEMES or not parts.netloc or " " in value:
            self.error(path, f"{value!r} is not an http(s) URL")
        return value

    def bilingual(self, path: str, item: dict, name: str) -> dict[str, str]:
        return {
            f"{name}_{lang}": self.text(f"{path}.{name}_{lang}", item.get(f"{name}_{lang}"))
            for lang in ("en", "fr")
        }

    def slug_ref(self, value: Any) -> str | None:
        if isinstance(value, dict):
            value = value.get("slug")
        return value if isinstance(value, str) and value else None

    # -- the whole change -------------------------------------------------------------------------------------
    def parse(self) -> ParsedChanges:
        data = dict(self.data)
        for group, inner in NESTED_KEYS.items():  # document shape: {"taxonomy": {"domains": [...]}, ...}
            if isinstance(data.get(group), dict):
                nested = data.pop(group)
                data.update({inner[k]: v for k, v in nested.items() if k in inner})
        for key, value in data.items():
            if key in IGNORED_KEYS:
                continue
            f = INPUT_KEYS.get(key)
            if f is not None and not f.applies_to(self.record_type):
                if value not in (None, "", []):
                    theirs, ours = f"{f.types[0]}s", f"{self.record_type}s"
                    self.error(key, f"is a field of {theirs}, not of {ours}")
            elif f is not None:
                self.field(f, key, value)
            elif key == "translation_status":
                if not isinstance(value, dict) or any(
                    k not in TEXT_FIELDS or v not in TRANSLATION_STATUSES for k, v in value.items()
                ):
                    self.error(key, "expected {field_lang: original|human|machine|missing}")
                else:
                    self.out.columns[key] = dict(value)
            elif key in CHILDREN:
                if not isinstance(value, list) or not all(isinstance(i, dict) for i in value):
                    self.error(key, "expected a list of objects")
                else:
                    self.out.children[key] = getattr(self, f"child_{key}")(value)
            else:
                self.error(key, "is not a field of a record")
        if self.errors:
            raise InvalidRecordData(self.errors)
        return self.out

    def field(self, f: Field, key: str, value: Any) -> None:
        """Check one declared field's input value and keep it (or note the error)."""
        cols = self.out.columns
        if f.kind in (TEXT, PROSE):
            cols[key] = self.text(key, value, max_length=f.max_length, single_line=f.kind == TEXT)
        elif f.kind == VOCABULARY:
            cols[key] = self.vocab(key, f.vocabulary, value)
        elif f.kind == VOCABULARIES:
            cols[key] = self.vocab_list(key, f.vocabulary, value)
        elif f.kind == DATE:
            cols[key] = self.date(key, value)
        elif f.kind == PRECISION:
            cols[key] = self.precision(key, value)
        elif f.kind == SLUG:
            if not isinstance(value, str) or not SLUG_RE.match(value) or len(value) > f.max_length:
                self.error(
                    key,
                    "use lowercase letters, digits and single hyphens, with at least one letter (at most 200 characters)",
                )
            else:
                cols[key] = value
        elif f.kind == LANGUAGE:
            if value not in ("en", "fr"):
                self.error(key, "expected 'en' or 'fr'")
            else:
                cols[key] = value
        elif f.kind == NAMES:
            if not isinstance(value, list) or not all(isinstance(n, str) and n.strip() for n in value):
                self.error(key, "expected a list of names")
            else:
                cols[key] = [clean_text(n, single_line=True) for n in value]
        elif f.kind == SAME_AS:
            cols[key] = self.same_as(value)
        elif f.kind == LINKS:
            self.out.materialized_from = self.materialized_from(value)
        else:  # a kind added to the declaration without a parser: refuse rather than write unchecked data
            self.error(key, f"cannot be edited (no parser for {f.kind} fields)")

    def same_as(self, value: Any) -> list[dict]:
        if not isinstance(value, list):
            self.error("same_as", "expected a list of {db, id}")
            return []
        out = []
        for i, item in enumerate(value, 1):
            if (
                not isinstance(item, dict)
                or not isinstance(item.get("db"), str)
                or item.get("id") in (None, "")
            ):
                self.error(f"same_as[{i}]", "expected {db: aiid|oecd|wikidata|..., id: ...}")
                continue
            entry = {"db": item["db"], "id": str(item["id"])}
            if item.get("url"):
                entry["url"] = self.url(f"same_as[{i}].url", item["url"], required=False)
            out.append(entry)
        return out

    # -- child lists ------------------------------------------------------------------------------------------
    def child_harms(self, items: list[dict]) -> list[dict]:
        return [
            {
                **self.bilingual(f"harms[{i}]", h, "description"),
                "harm_types": self.vocab_list(f"harms[{i}].harm_types", "harm_type", h.get("harm_types")),
                "severity": self.vocab(f"harms[{i}].severity", "severity", h.get("severity")),
                "reach": self.vocab(f"harms[{i}].reach", "reach", h.get("reach")),
            }
            for i, h in enumerate(items, 1)
        ]

    def child_sources(self, items: list[dict]) -> list[dict]:
        out, keys, urls = [], set(), set()
        for i, s in enumerate(items, 1):
            path = f"sources[{i}]"
            key = self.text(f"{path}.citation_key", s.get("citation_key"), max_length=150, single_line=True)
            if not key:
                self.error(f"{path}.citation_key", "a citation key such as “RCMP, 2025” is required")
            elif key in keys:
                self.error(f"{path}.citation_key", f"“{key}” is used by two sources of the record")
            keys.add(key)
            url = self.url(f"{path}.url", s.get("url"), required=True)
            if url in urls:
                self.error(f"{path}.url", "the same URL is listed twice")
            urls.add(url)
            publisher = self.text(f"{path}.publisher", s.get("publisher"), max_length=300, single_line=True)
            title = self.text(f"{path}.title", s.get("title"), max_length=500, single_line=True)
            if not publisher:
                self.error(f"{path}.publisher", "the publisher is required")
            if not title:
                self.error(f"{path}.title", "the title is required")
            language = s.get("language") or "en"
            if not isinstance(language, str) or not re.match(r"^[a-z]{2,3}$", language):
                self.error(f"{path}.language", "expected a language code such as en or fr")
            out.append(
                {
                    "citation_key": key,
                    "url": url,
                    "publisher": publisher,
                    "title": title,
                    "source_type": self.vocab(
                        f"{path}.source_type", "source_type", s.get("source_type"), required=True
                    ),
                    "date_published": self.date(f"{path}.date_published", s.get("date_published")),
                    "date_precision": self.precision(f"{path}.date_precision", s.get("date_precision")),
                    "language": language,
                    "archived_url": self.url(f"{path}.archived_url", s.get("archived_url"), required=False),
                    **self.bilingual(path, s, "supports"),
                    "background": bool(s.get("background", False)),
                }
            )
        return out

    def _lookup(self, model, items: list[dict], key: str, path: str) -> dict[str, Any]:
        slugs = {self.slug_ref(item.get(key)) for item in items} - {None}
        found = {obj.slug: obj for obj in model.objects.filter(slug__in=slugs)}
        for i, item in enumerate(items, 1):
            slug = self.slug_ref(item.get(key))
            if item.get(key) and slug not in found:
                self.error(f"{path}[{i}].{key}", f"no {model._meta.verbose_name} with the slug {slug!r}")
        return found

    def child_entities(self, items: list[dict]) -> list[dict]:
        items = [{**it, "slug": it.get("slug") or it.get("entity")} for it in items]
        found = self._lookup(Entity, items, "slug", "entities")
        out, seen = [], set()
        for i, e in enumerate(items, 1):
            slug = self.slug_ref(e.get("slug"))
            if not slug:
                self.error(f"entities[{i}].slug", "the entity is required")
                continue
            if slug in seen:
                self.error(f"entities[{i}].slug", f"{slug} is listed twice; give it several roles instead")
            seen.add(slug)
            roles = self.vocab_list(f"entities[{i}].roles", "entity_role", e.get("roles"))
            if not roles:
                self.error(f"entities[{i}].roles", "give the entity at least one role")
            out.append(
                {
                    "entity": found.get(slug),
                    "roles": roles,
                    **self.bilingual(f"entities[{i}]", e, "description"),
                }
            )
        return out

    def child_systems(self, items: list[dict]) -> list[dict]:
        items = [{**it, "slug": it.get("slug") or it.get("system")} for it in items]
        found = self._lookup(AISystem, items, "slug", "systems")
        out, seen = [], set()
        for i, s in enumerate(items, 1):
            slug = self.slug_ref(s.get("slug"))
            if not slug:
                self.error(f"systems[{i}].slug", "the AI system is required")
                continue
            if slug in seen:
                self.error(f"systems[{i}].slug", f"{slug} is listed twice")
            seen.add(slug)
            out.append({"system": found.get(slug), **self.bilingual(f"systems[{i}]", s, "involvement")})
        return out

    def child_responses(self, items: list[dict]) -> list[dict]:
        found = self._lookup(Entity, items, "actor", "responses")
        return [
            {
                "kind": self.vocab(f"responses[{i}].kind", "response_kind", r.get("kind"), required=True),
                "actor": found.get(self.slug_ref(r.get("actor"))),
                "date": self.date(f"responses[{i}].date", r.get("date")),
                "date_precision": self.precision(f"responses[{i}].date_precision", r.get("date_precision")),
                **self.bilingual(f"responses[{i}]", r, "description"),
                "source_key": self.text(
                    f"responses[{i}].source_key", r.get("source_key"), max_length=150, single_line=True
                ),
            }
            for i, r in enumerate(items, 1)
        ]

    def child_policy_recommendations(self, items: list[dict]) -> list[dict]:
        return [
            {
                **self.bilingual(f"policy_recommendations[{i}]", p, "text"),
                "source_key": self.text(
                    f"policy_recommendations[{i}].source_key",
                    p.get("source_key"),
                    max_length=150,
                    single_line=True,
                ),
            }
            for i, p in enumerate(items, 1)
        ]

    def child_mitigations(self, items: list[dict]) -> list[dict]:
        return [
            {
                "pathway": self.vocab(
                    f"mitigations[{i}].pathway", "ai_pathway", m.get("pathway"), required=True
                ),
                **self.bilingual(f"mitigations[{i}]", m, "text"),
            }
            for i, m in enumerate(items, 1)
        ]

    def materialized_from(self, value: Any) -> list[Record]:
        if not isinstance(value, list):
            self.error("materialized_from", "expected a list of hazard slugs")
            return []
        # A reference is a slug, or a document's {id, slug} (by id, so that a renamed hazard is still found).
        refs = [(v.get("id") or v.get("slug")) if isinstance(v, dict) else v for v in value]
        ids = [r for r in refs if isinstance(r, int)]
        slugs = [r for r in refs if isinstance(r, str)]
        # A hazard renamed in its working copy is still known by its public slug.
        found = Record.objects.filter(Q(pk__in=ids) | Q(slug__in=slugs) | Q(public__slug__in=slugs))
        found = found.select_related("public")
        hazards = {key: r for r in found for key in (r.pk, r.slug, r.public_slug)}
        out = []
        for i, ref in enumerate(refs, 1):
            hazard = hazards.get(ref) if isinstance(ref, (int, str)) else None
            if hazard is None:
                self.error(f"materialized_from[{i}]", f"no record with the slug {ref!r}")
            elif hazard.record_type != RecordType.HAZARD:
                self.error(
                    f"materialized_from[{i}]", f"{ref} is an incident; an incident materializes hazards"
                )
            else:
                out.append(hazard)
        return out


SOURCE_DETAILS = (
    "citation_key", "source_type", "publisher", "title", "date_published", "date_precision", "language",
    "archived_url", "supports_en", "supports_fr", "background",
)  # fmt: skip


def source_details(parsed_source: dict) -> dict:
    """The RecordSource columns of a parsed source (everything but its URL, which names the shared row)."""
    return {name: parsed_source[name] for name in SOURCE_DETAILS}


def parse_changes(data: dict, *, record_type: str, taxonomy: Taxonomy) -> ParsedChanges:
    if not isinstance(data, dict):
        raise InvalidRecordData(["expected an object of record fields"])
    return _Parser(data, record_type, taxonomy).parse()
