"""Helpers shared by the one-record exports (oecd.py, aiid.py).

Both exports are pure functions of a public record document (records/versions.py `build_document`): they never
read the database or staff-only fields, so an export can only show what the record page shows.
"""

from __future__ import annotations

from collections.abc import Iterable

from caim.taxonomy.loader import get_taxonomy

LANGS = ("en", "fr")


def other(lang: str) -> str:
    return "en" if lang == "fr" else "fr"


def export_language(doc: dict, lang: str) -> str:
    """The language of an export: `lang` when the record has its title and summary in it, else the other one."""
    lang = lang if lang in LANGS else "en"
    if (doc.get(f"title_{lang}") or "").strip() and (doc.get(f"summary_{lang}") or "").strip():
        return lang
    return other(lang)


def text(item: dict, name: str, lang: str) -> str:
    """The `name` text of `item` in `lang`, or in the other language when it has none (never empty if either)."""
    return (item.get(f"{name}_{lang}") or "").strip() or (item.get(f"{name}_{other(lang)}") or "").strip()


def dedupe(values: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(values))


def in_vocabulary_order(vocabulary: str, slugs: Iterable[str]) -> list[str]:
    """The record's values of `vocabulary`, in the order of the vocabulary file (unknown slugs dropped)."""
    wanted = set(slugs)
    return [slug for slug in get_taxonomy()[vocabulary].slugs() if slug in wanted]


def crosswalk(vocabulary: str, slug: str, target: str) -> dict[str, list[str]]:
    """{field: [values]} of one value in `target` (oecd | aiid); empty when the value maps to 'none'."""
    vocab = get_taxonomy()[vocabulary]
    if slug not in vocab:
        return {}
    return vocab[slug].crosswalk.get(target) or {}


def crosswalk_targets(vocabulary: str, slugs: Iterable[str], target: str, field: str) -> list[str]:
    """Target values of `field` for the given values, deduplicated, values taken in vocabulary order."""
    return dedupe(
        t
        for slug in in_vocabulary_order(vocabulary, slugs)
        for t in crosswalk(vocabulary, slug, target).get(field, [])
    )


def label(vocabulary: str, slug: str, lang: str) -> str:
    return get_taxonomy().label(vocabulary, slug, lang)


def dated(value: str | None, precision: str | None) -> dict | None:
    """An ISO date with its precision (day | month | year | approximate), or None."""
    return {"date": value, "precision": precision or "day"} if value else None


def entities_with_role(doc: dict, role: str) -> list[dict]:
    return [e for e in doc.get("entities", []) if role in e.get("roles", [])]


def sources_in_order(doc: dict) -> list[dict]:
    return sorted(doc.get("sources", []), key=lambda s: s.get("number") or 0)
