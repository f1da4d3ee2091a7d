"""Keeps the search index in step with the public layer: records, and the entities and AI systems they name.

Only public objects are indexed: a record while it is published (not withdrawn), an entity or AI system while
at least one such record names it.
"""

from __future__ import annotations

from collections.abc import Callable

from django.db import transaction
from django.db.models import Q

from caim.records.models import AISystem, Entity, PublicRecord
from caim.records.queries import listed
from caim.search.backends import get_backend
from caim.search.models import SearchEntry
from caim.search.text import index_text

LANGS = ("en", "fr")
Texts = dict[str, tuple[str, str]]  # lang -> (title, body)


def _text(item: dict, name: str, lang: str) -> str:
    other = "fr" if lang == "en" else "en"
    return (item.get(f"{name}_{lang}") or item.get(f"{name}_{other}") or "").strip()


def record_texts(doc: dict) -> Texts:
    """(title, body) of a record document in each language, falling back to the other language per field."""
    out = {}
    for lang in LANGS:
        parts = [
            _text(doc, n, lang) for n in ("summary", "narrative", "editorial_assessment", "governance_gap")
        ]
        parts += [_text(h, "description", lang) for h in doc.get("harms", [])]
        # Names in the body's language: an English-only name is in the English body only (the index holds the
        # stems of both bodies, so it is found from either language; a French snippet shows only French).
        parts += [_name(item, lang) for item in [*doc.get("entities", []), *doc.get("systems", [])]]
        out[lang] = (_text(doc, "title", lang), "\n".join(p for p in parts if p))
    return out


def _name(item: dict, lang: str) -> str:
    return (item.get("name_fr") or "").strip() if lang == "fr" else item["name"]


def entity_texts(entity: Entity) -> Texts:
    aliases = {"en": " ".join(entity.aliases), "fr": " ".join(entity.aliases_fr)}
    return {
        lang: (
            _name(vars(entity), lang) or entity.name,
            f"{aliases[lang]}\n{_text(vars(entity), 'description', lang)}".strip(),
        )
        for lang in LANGS
    }


def system_texts(system: AISystem) -> Texts:
    return {
        lang: (_name(vars(system), lang) or system.name, _text(vars(system), "description", lang))
        for lang in LANGS
    }


def entry(kind: str, obj_id: int, texts: Texts) -> SearchEntry:
    return SearchEntry(
        kind=kind, obj_id=obj_id, title_en=texts["en"][0], title_fr=texts["fr"][0], body_en=texts["en"][1],
        body_fr=texts["fr"][1], stems=index_text(texts),
    )  # fmt: skip


def _write(entries: list[SearchEntry]) -> None:
    SearchEntry.objects.bulk_create(entries, batch_size=1000)
    backend = get_backend()
    for kind in ("record", "entity", "system"):
        rows = [(e.obj_id, e.stems) for e in entries if e.kind == kind]
        if rows:
            backend.add(kind, rows)


def _replace(kind: str, obj_id: int, texts: Texts | None) -> None:
    if SearchEntry.objects.filter(kind=kind, obj_id=obj_id).delete()[0]:
        get_backend().remove(kind, [obj_id])
    if texts:
        _write([entry(kind, obj_id, texts)])


def index_record(public: PublicRecord, doc: dict) -> None:
    _replace("record", public.pk, None if public.withdrawn else record_texts(doc))


def index_entity(entity: Entity) -> None:
    is_public = entity.public_roles.listed().exists()
    _replace("entity", entity.pk, entity_texts(entity) if is_public else None)


def index_system(system: AISystem) -> None:
    is_public = system.public_links.listed().exists()
    _replace("system", system.pk, system_texts(system) if is_public else None)


def on_public_record_changed(
    sender, public: PublicRecord, document: dict, previous_entities=(), previous_systems=(), **kwargs
) -> None:
    index_record(public, document)
    entities = Q(slug__in=[e["slug"] for e in document.get("entities", [])]) | Q(
        pk__in=list(previous_entities)
    )
    for entity in Entity.objects.filter(entities):
        index_entity(entity)
    systems = Q(slug__in=[s["slug"] for s in document.get("systems", [])]) | Q(pk__in=list(previous_systems))
    for system in AISystem.objects.filter(systems):
        index_system(system)


def on_entities_merged(sender, loser_id: int, survivor: Entity, **kwargs) -> None:
    _replace("entity", loser_id, None)
    index_entity(survivor)


def on_public_records_added(sender, publics: list[PublicRecord], **kwargs) -> None:
    """Index a batch of newly published records, and the entities and systems they make public."""
    record_ids = [p.pk for p in publics]
    entries = [entry("record", p.pk, record_texts(p.version.document)) for p in publics]
    seen = set(SearchEntry.objects.filter(kind__in=("entity", "system")).values_list("kind", "obj_id"))
    for entity in Entity.objects.filter(public_roles__record_id__in=record_ids).distinct():
        if ("entity", entity.pk) not in seen:
            entries.append(entry("entity", entity.pk, entity_texts(entity)))
    for system in AISystem.objects.filter(public_links__record_id__in=record_ids).distinct():
        if ("system", system.pk) not in seen:
            entries.append(entry("system", system.pk, system_texts(system)))
    _write(entries)


def clear() -> None:
    """Empty the index (rows and full-text structures)."""
    SearchEntry.objects.all().delete()
    get_backend().rebuild()


def reindex_all(progress: Callable[[int], None] | None = None, batch: int = 500) -> dict[str, int]:
    """Rebuild the whole index from the public layer; returns the number of objects indexed per kind."""
    counts = {"record": 0, "entity": 0, "system": 0}
    with transaction.atomic():
        SearchEntry.objects.all().delete()
        pending: list[SearchEntry] = []
        publics = PublicRecord.objects.listed().select_related("version").iterator(chunk_size=batch)
        for public in publics:
            pending.append(entry("record", public.pk, record_texts(public.version.document)))
            counts["record"] += 1
            if len(pending) >= batch:
                SearchEntry.objects.bulk_create(pending)
                pending.clear()
                if progress:
                    progress(counts["record"])
        for entity in Entity.objects.filter(listed("public_roles__record__")).distinct():
            pending.append(entry("entity", entity.pk, entity_texts(entity)))
            counts["entity"] += 1
        for system in AISystem.objects.filter(listed("public_links__record__")).distinct():
            pending.append(entry("system", system.pk, system_texts(system)))
            counts["system"] += 1
        SearchEntry.objects.bulk_create(pending, batch_size=1000)
        get_backend().rebuild()
    return counts
