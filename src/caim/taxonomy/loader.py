"""Controlled vocabularies, loaded from one data file (taxonomy.yaml) and validated strictly.

The data file is configuration: labels, definitions and crosswalks change there, without a migration.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import yaml
from django.conf import settings

SLUG_RE = re.compile(r"^[a-z][a-z0-9]*(_[a-z0-9]+)*$")
LANGS = ("en", "fr")

# Vocabularies the code relies on; the file may add others.
REQUIRED_VOCABULARIES = (
    "record_type",
    "verification",
    "dispute",
    "severity",
    "reach",
    "harm_type",
    "domain",
    "ai_pathway",
    "lifecycle_phase",
    "source_type",
    "entity_role",
    "hazard_status",
    "confidence",
    "date_precision",
    "translation_status",
    "record_status",
    "entity_kind",
    "system_type",
    "response_kind",
    "canada_nexus",
)


class TaxonomyError(ValueError):
    """The vocabulary file is malformed."""


class UnknownSlug(ValueError):
    """A value is not in its vocabulary."""

    def __init__(self, vocabulary: str, slug: object, known: list[str]):
        self.vocabulary, self.slug = vocabulary, slug
        super().__init__(f"Unknown {vocabulary} value {slug!r}; expected one of: {', '.join(known)}.")


@dataclass(frozen=True)
class Value:
    slug: str
    label: dict[str, str]
    definition: dict[str, str]
    order: int | None
    proposed: bool
    crosswalk: dict[str, dict[str, list[str]] | None]  # None: explicitly no equivalent
    reasons: dict[str, str] = field(default_factory=dict)  # target -> why the crosswalk says what it says
    export_only: frozenset[str] = (
        frozenset()
    )  # targets whose crosswalk suggests values on export, never on import

    def label_in(self, lang: str) -> str:
        return self.label.get(lang) or self.label["en"]

    def definition_in(self, lang: str) -> str:
        return self.definition.get(lang) or self.definition["en"]


@dataclass(frozen=True)
class Vocabulary:
    slug: str
    label: dict[str, str]
    description: dict[str, str]
    ordinal: bool
    values: tuple[Value, ...]
    by_slug: dict[str, Value] = field(repr=False, compare=False)

    def __contains__(self, slug: object) -> bool:
        return slug in self.by_slug

    def __getitem__(self, slug: str) -> Value:
        try:
            return self.by_slug[slug]
        except KeyError:
            raise UnknownSlug(self.slug, slug, list(self.by_slug)) from None

    def slugs(self) -> list[str]:
        return [v.slug for v in self.values]

    def label_in(self, lang: str) -> str:
        return self.label.get(lang) or self.label["en"]

    def rank(self, slug: str | None) -> int:
        """Ordinal rank of a value (0 when empty or not ordinal): used for sorting by severity and the like."""
        if not slug or slug not in self.by_slug:
            return 0
        return self.by_slug[slug].order or 0


@dataclass(frozen=True)
class Taxonomy:
    schema_version: int
    vocabularies: dict[str, Vocabulary]
    source: Path

    def __getitem__(self, slug: str) -> Vocabulary:
        try:
            return self.vocabularies[slug]
        except KeyError:
            raise TaxonomyError(f"No vocabulary {slug!r} in {self.source}.") from None

    def validate(self, vocabulary: str, slug: object) -> str:
        """Return the slug when it belongs to the vocabulary; raise UnknownSlug otherwise."""
        vocab = self[vocabulary]
        if not isinstance(slug, str) or slug not in vocab:
            raise UnknownSlug(vocabulary, slug, vocab.slugs())
        return slug

    def label(self, vocabulary: str, slug: str, lang: str = "en") -> str:
        vocab = self[vocabulary]
        return vocab.by_slug[slug].label_in(lang) if slug in vocab else slug

    def as_json(self) -> dict:
        """The public, documented shape of /api/v3/taxonomy.json."""
        return {
            "schema_version": self.schema_version,
            "vocabularies": [
                {
                    "slug": v.slug,
                    "label": v.label,
                    "description": v.description,
                    "ordinal": v.ordinal,
                    "values": [
                        {
                            "slug": x.slug,
                            "label": x.label,
                            "definition": x.definition,
                            **({"order": x.order} if v.ordinal else {}),
                            "proposed": x.proposed,
                            "crosswalk": {
                                k: (m if m is not None else "none") for k, m in x.crosswalk.items()
                            },
                            **({"crosswalk_reasons": x.reasons} if x.reasons else {}),
                            **({"crosswalk_export_only": sorted(x.export_only)} if x.export_only else {}),
                        }
                        for x in v.values
                    ],
                }
                for v in self.vocabularies.values()
            ],
        }


def _bilingual(obj: object, where: str, errors: list[str]) -> dict[str, str]:
    if not isinstance(obj, dict):
        errors.append(f"{where}: expected {{en: ..., fr: ...}}")
        return {"en": "", "fr": ""}
    for lang in LANGS:
        if not isinstance(obj.get(lang), str) or not obj[lang].strip():
            errors.append(f"{where}.{lang}: missing text")
    return {lang: str(obj.get(lang, "")).strip() for lang in LANGS}


def _crosswalk(obj: object, where: str, errors: list[str]) -> dict[str, dict[str, list[str]] | None]:
    out: dict[str, dict[str, list[str]] | None] = {}
    if not isinstance(obj, dict):
        errors.append(f"{where}: expected a mapping with keys oecd and aiid")
        return {"oecd": None, "aiid": None}
    for target in CROSSWALK_TARGETS:
        mapping = obj.get(target)
        if mapping == "none":
            out[target] = None
        elif (
            isinstance(mapping, dict)
            and mapping
            and all(
                isinstance(k, str) and isinstance(v, list) and v and all(isinstance(i, str) for i in v)
                for k, v in mapping.items()
            )
        ):
            out[target] = {k: list(v) for k, v in mapping.items()}
        else:
            errors.append(f"{where}.{target}: expected a mapping of field -> [values], or the string 'none'")
            out[target] = None
    return out


CROSSWALK_TARGETS = ("oecd", "aiid")


def _reasons(obj: object, where: str, errors: list[str]) -> dict[str, str]:
    """{target: reason} from the `<target>_reason` keys of a crosswalk (one sentence: why this mapping)."""
    out: dict[str, str] = {}
    if not isinstance(obj, dict):
        return out
    for key, reason in obj.items():
        if key in CROSSWALK_TARGETS or key in EXPORT_ONLY_KEYS:
            continue
        target = key.removesuffix("_reason") if isinstance(key, str) else None
        if target not in CROSSWALK_TARGETS or key == target:
            errors.append(
                f"{where}: unknown key {key!r} (expected oecd, aiid, oecd_reason, aiid_reason, aiid_export_only)"
            )
        elif not isinstance(reason, str) or not reason.strip():
            errors.append(f"{where}.{key}: expected a sentence")
        else:
            out[target] = " ".join(reason.split())
    return out


EXPORT_ONLY_KEYS = {f"{target}_export_only": target for target in CROSSWALK_TARGETS}


def _export_only(obj: object, where: str, errors: list[str]) -> frozenset[str]:
    """The targets marked `<target>_export_only: true`: too weak as evidence to map their values on import."""
    if not isinstance(obj, dict):
        return frozenset()
    out = set()
    for key, target in EXPORT_ONLY_KEYS.items():
        if key in obj:
            if not isinstance(obj[key], bool):
                errors.append(f"{where}.{key}: expected true or false")
            elif obj[key]:
                out.add(target)
    return frozenset(out)


def parse_taxonomy(data: object, source: Path) -> Taxonomy:
    """Validate the raw YAML structure and build the Taxonomy; all problems are reported at once."""
    errors: list[str] = []
    if not isinstance(data, dict) or not isinstance(data.get("vocabularies"), list):
        raise TaxonomyError(f"{source}: expected a mapping with a 'vocabularies' list.")
    vocabularies: dict[str, Vocabulary] = {}
    for i, raw in enumerate(data["vocabularies"]):
        where = f"vocabularies[{i}]"
        slug = raw.get("slug") if isinstance(raw, dict) else None
        if not isinstance(slug, str) or not SLUG_RE.match(slug):
            errors.append(f"{where}.slug: {slug!r} is not a lower snake_case slug")
            continue
        where = f"vocabulary {slug}"
        if slug in vocabularies:
            errors.append(f"{where}: defined twice")
        ordinal = bool(raw.get("ordinal", False))
        values: list[Value] = []
        for j, rv in enumerate(raw.get("values") or []):
            vwhere = f"{where}.values[{j}]"
            vslug = rv.get("slug") if isinstance(rv, dict) else None
            if not isinstance(vslug, str) or not SLUG_RE.match(vslug):
                errors.append(f"{vwhere}.slug: {vslug!r} is not a lower snake_case slug")
                continue
            vwhere = f"{where}.{vslug}"
            order = rv.get("order")
            if ordinal and not isinstance(order, int):
                errors.append(f"{vwhere}.order: ordinal vocabularies need an integer order")
            values.append(
                Value(
                    slug=vslug,
                    label=_bilingual(rv.get("label"), f"{vwhere}.label", errors),
                    definition=_bilingual(rv.get("definition"), f"{vwhere}.definition", errors),
                    order=order if isinstance(order, int) else None,
                    proposed=bool(rv.get("proposed", False)),
                    crosswalk=_crosswalk(rv.get("crosswalk"), f"{vwhere}.crosswalk", errors),
                    reasons=_reasons(rv.get("crosswalk"), f"{vwhere}.crosswalk", errors),
                    export_only=_export_only(rv.get("crosswalk"), f"{vwhere}.crosswalk", errors),
                )
            )
        if not values:
            errors.append(f"{where}: no values")
        seen: set[str] = set()
        for v in values:
            if v.slug in seen:
                errors.append(f"{where}.{v.slug}: defined twice")
            seen.add(v.slug)
        vocabularies[slug] = Vocabulary(
            slug=slug,
            label=_bilingual(raw.get("label"), f"{where}.label", errors),
            description=_bilingual(raw.get("description"), f"{where}.description", errors),
            ordinal=ordinal,
            values=tuple(values),
            by_slug={v.slug: v for v in values},
        )
    for required in REQUIRED_VOCABULARIES:
        if required not in vocabularies:
            errors.append(f"vocabulary {required}: missing (the code relies on it)")
    if errors:
        shown = "\n  ".join(errors[:50])
        more = f"\n  ... and {len(errors) - 50} more" if len(errors) > 50 else ""
        raise TaxonomyError(f"{source}: {len(errors)} problem(s):\n  {shown}{more}")
    return Taxonomy(
        schema_version=int(data.get("schema_version", 1)), vocabularies=vocabularies, source=source
    )


def load_taxonomy(path: Path) -> Taxonomy:
    try:
        data = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise TaxonomyError(f"Cannot read the vocabulary file {path}: {exc}") from exc
    return parse_taxonomy(data, Path(path))


@cache
def _cached(path: str) -> Taxonomy:
    return load_taxonomy(Path(path))


def get_taxonomy() -> Taxonomy:
    return _cached(str(settings.CAIM_TAXONOMY_FILE))
